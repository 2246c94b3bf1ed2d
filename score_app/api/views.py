"""JSON API v1: token authentication and the enterprise endpoints."""

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _

from score_app.api.inputs import (
    ENTERPRISE_FIELDS,
    as_formdata,
    check_types,
    form_errors,
    read_object,
)
from score_app.auth import policy
from score_app.auth.services import user_for_token
from score_app.enterprises import services
from score_app.enterprises.forms import EnterpriseForm
from score_app.enterprises.models import Enterprise
from score_app.errors import InvalidInput
from score_app.extensions import db
from score_app.i18n import country_choices

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100


@bp.before_request
def authenticate():
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        response = jsonify(error=_("Authentication is needed: send a valid API token."))
        response.headers["WWW-Authenticate"] = 'Bearer realm="score_app"'
        return response, 401
    g.api_user = user
    return None


@bp.errorhandler(InvalidInput)
def invalid_input(error: InvalidInput):
    db.session.rollback()
    return jsonify(errors=error.errors), 422


def enterprise_json(enterprise: Enterprise) -> dict:
    return {
        "id": enterprise.id,
        "name": enterprise.name,
        "country": enterprise.country,
        "region": enterprise.region,
        "sector": enterprise.sector,
        "product": enterprise.product,
        "workers_women": enterprise.workers_women,
        "workers_men": enterprise.workers_men,
        "joined_on": enterprise.joined_on.isoformat() if enterprise.joined_on else None,
        "cohort": enterprise.cohort,
        "data_sharing_consent": enterprise.data_sharing_consent,
    }


def _validated_enterprise_data(values: dict) -> dict:
    form = EnterpriseForm(formdata=as_formdata(values), meta={"csrf": False})
    form.fill_choices(country_choices())
    if not form.validate():
        raise InvalidInput(form_errors(form))
    return {name: getattr(form, name).data for name in services.FIELDS}


@bp.get("/enterprises")
def list_enterprises():
    query = services.search_enterprises(
        policy.scoped_enterprises(g.api_user),
        country=request.args.get("country", ""),
        sector=request.args.get("sector", ""),
        text=request.args.get("q", ""),
    )
    per_page = min(
        request.args.get("per_page", current_app.config["SCORE_PAGE_SIZE"], type=int), MAX_PER_PAGE
    )
    page = db.paginate(query, per_page=max(per_page, 1), error_out=False)
    return jsonify(
        items=[enterprise_json(e) for e in page.items],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
        pages=page.pages,
    )


@bp.post("/enterprises")
def create_enterprise():
    policy.require(g.api_user, policy.ENTERPRISE_CREATE)
    body = read_object()
    check_types(body, ENTERPRISE_FIELDS)
    enterprise = services.create_enterprise(g.api_user, _validated_enterprise_data(body))
    response = jsonify(enterprise_json(enterprise))
    response.headers["Location"] = url_for("api.get_enterprise", enterprise_id=enterprise.id)
    return response, 201


@bp.get("/enterprises/<int:enterprise_id>")
def get_enterprise(enterprise_id: int):
    return jsonify(enterprise_json(policy.get_enterprise_or_404(g.api_user, enterprise_id)))


@bp.patch("/enterprises/<int:enterprise_id>")
def update_enterprise(enterprise_id: int):
    enterprise = policy.get_enterprise_or_404(g.api_user, enterprise_id)
    policy.require(g.api_user, policy.ENTERPRISE_EDIT)
    body = read_object()
    check_types(body, ENTERPRISE_FIELDS)
    current = {name: getattr(enterprise, name) for name in services.FIELDS}
    data = _validated_enterprise_data(current | body)
    services.update_enterprise(g.api_user, enterprise, data)
    return jsonify(enterprise_json(enterprise))
