"""JSON API v1: token authentication, enterprises, indicators, measurements, programme results,
and the devices that sync offline work."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Blueprint, abort, current_app, g, jsonify, make_response, request, url_for
from flask_login import current_user

from score_app.api import sync
from score_app.api.inputs import (
    BLANKABLE_CHANGES,
    DEVICE_FIELDS,
    ENTERPRISE_CHANGES,
    ENTERPRISE_FIELDS,
    MEASUREMENT_CHANGES,
    MEASUREMENT_FIELDS,
    REASONED_STEP_FIELDS,
    STEP_FIELDS,
    as_formdata,
    changed_dates,
    check_types,
    form_errors,
    numeric_inputs,
    parse_dates,
    read_object,
)
from score_app.api.records import measurement_json, rounded
from score_app.auth import policy
from score_app.auth import services as auth_services
from score_app.auth.models import ApiToken, TokenEnd
from score_app.auth.services import TokenRefused, live_token
from score_app.catalog.indicators import INDICATORS
from score_app.enterprises import services
from score_app.enterprises.access import get_enterprise_or_404, require_figures, scoped_enterprises
from score_app.enterprises.forms import EnterpriseForm
from score_app.enterprises.models import Enterprise
from score_app.exceptions import EditConflict, InvalidInput, NotAllowed
from score_app.extensions import csrf, db
from score_app.i18n import country_choices, format_number
from score_app.i18n import gettext as _
from score_app.kpis import services as kpi_services
from score_app.kpis.models import Measurement
from score_app.programme import services as programme
from score_app.programme.filters import parse_filters
from score_app.request_args import db_id, paginate

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100
PERIOD = ("period_start", "period_end")


# Endpoints for a signed-in browser session (with its CSRF token) rather than a bearer token.
SESSION_ENDPOINTS = {"api.register_device"}


@bp.before_request
def authenticate():
    if request.endpoint in SESSION_ENDPOINTS:
        return None
    scheme, _sep, plain = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer" or not plain.strip():
            raise TokenRefused(None)
        token = live_token(plain.strip())
    except TokenRefused as refused:
        return unauthenticated(refused.reason)
    g.api_user, g.api_token = token.user, token
    return None


def unauthenticated(reason: TokenEnd | None):
    """The 401 answer, saying why the token ended when it did: a device reads `reason` to know
    whether to delete what it keeps (docs/sync.md)."""
    response = jsonify(error=_token_refusal(reason), reason=reason)
    response.headers["WWW-Authenticate"] = 'Bearer realm="score_app"'
    return response, 401


def _token_refusal(reason: TokenEnd | None) -> str:
    if reason == TokenEnd.SIGNED_OUT:
        return _("This token ended when its device signed out.")
    if reason == TokenEnd.REVOKED:
        return _("This token was revoked.")
    if reason == TokenEnd.DEACTIVATED:
        return _("This account is deactivated.")
    if reason == TokenEnd.PASSWORD:
        return _("This token ended when the account's password changed: sign in again.")
    return _("Authentication is needed: send a valid API token.")


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
        "version": enterprise.version,
    }


def _validated_enterprise_data(values: dict, enterprise: Enterprise | None = None) -> dict:
    """The profile checked by the pages' form, and consent (a JSON boolean) when given."""
    form = EnterpriseForm(formdata=as_formdata(values), meta={"csrf": False})
    form.fill_choices(country_choices(), enterprise.sector if enterprise else None)
    if not form.validate():
        raise InvalidInput(form_errors(form))
    data = {name: getattr(form, name).data for name in services.PROFILE_FIELDS}
    if services.CONSENT in values:
        data[services.CONSENT] = values[services.CONSENT]
    return data


@bp.get("/enterprises")
def list_enterprises():
    query = services.search_enterprises(
        scoped_enterprises(g.api_user),
        country=request.args.get("country", ""),
        sector=request.args.get("sector", ""),
        text=request.args.get("q", ""),
    )
    per_page = request.args.get("per_page", current_app.config["SCORE_PAGE_SIZE"], type=db_id)
    page = paginate(query, per_page=min(max(per_page, 1), MAX_PER_PAGE))
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
    return jsonify(enterprise_json(get_enterprise_or_404(g.api_user, enterprise_id)))


@bp.patch("/enterprises/<int:enterprise_id>")
def update_enterprise(enterprise_id: int):
    """Some fields of the profile, or consent alone, on the version the client read."""
    enterprise = get_enterprise_or_404(g.api_user, enterprise_id)
    policy.require(g.api_user, policy.ENTERPRISE_EDIT)
    body = read_object()
    if body.get("id") == enterprise.id:
        del body["id"]  # an object sent back as GET returned it
    check_types(body, ENTERPRISE_CHANGES, required=("version",))
    seen_version = body.pop("version")
    current = {name: getattr(enterprise, name) for name in services.FIELDS}
    data = _validated_enterprise_data(current | body, enterprise)
    with _unless_changed_meanwhile(lambda: enterprise_json(enterprise), _enterprise_changed):
        services.update_enterprise(g.api_user, enterprise, data, seen_version=seen_version)
    return jsonify(enterprise_json(enterprise))


def _enterprise_changed() -> str:
    return _(
        "Someone else changed this enterprise since the version you sent, so nothing was done. "
        "Its current state is given here: check it, and send its version with your change."
    )


@bp.get("/indicators")
def list_indicators():
    return jsonify(
        [
            {
                "code": ind.code,
                "name": str(ind.name),
                "unit": str(ind.unit),
                "direction": ind.direction.value,
                "inputs": [
                    {
                        "name": s.name,
                        "label": str(s.label),
                        "unit": str(s.unit),
                        "whole_number": s.is_count,
                        "step": s.step,
                    }
                    for s in ind.inputs
                ],
            }
            for ind in INDICATORS
        ]
    )


@bp.post("/enterprises/<int:enterprise_id>/measurements")
def create_measurement(enterprise_id: int):
    enterprise = get_enterprise_or_404(g.api_user, enterprise_id)
    policy.require(g.api_user, policy.MEASUREMENT_ENTER)
    body = read_object()
    check_types(body, MEASUREMENT_FIELDS)
    inputs, input_errors = numeric_inputs(body.get("inputs"))
    dates, date_errors = parse_dates(body, PERIOD)
    try:
        measurement = kpi_services.record_measurement(
            g.api_user,
            enterprise,
            indicator=body.get("indicator") or "",
            phase=body.get("phase") or "",
            inputs=inputs,
            comment=body.get("comment") or "",
            **dates,
        )
    except InvalidInput as error:
        # Type errors are the more precise message for their fields.
        raise InvalidInput({**error.errors, **input_errors, **date_errors}) from None
    return jsonify(measurement_json(measurement)), 201


@bp.get("/enterprises/<int:enterprise_id>/measurements")
def list_measurements(enterprise_id: int):
    enterprise = get_enterprise_or_404(g.api_user, enterprise_id)
    require_figures(g.api_user, enterprise)
    indicator = request.args.get("indicator") or None
    return jsonify(
        [measurement_json(m) for m in kpi_services.measurements_of(enterprise.id, indicator)]
    )


def _measurement_or_404(measurement_id: int) -> Measurement:
    measurement = kpi_services.measurement_or_none(g.api_user, measurement_id)
    if measurement is None:
        abort(404)
    require_figures(g.api_user, measurement.enterprise)
    return measurement


def _change_request(
    measurement_id: int, permission: str, fields: dict, **type_rules
) -> tuple[Measurement, dict]:
    """The measurement if the user reaches it (else 404) and may change it so (else 403), and
    the request's body, checked against `fields` with the version required (else 422)."""
    measurement = _measurement_or_404(measurement_id)
    policy.require(g.api_user, permission)
    body = read_object()
    check_types(body, fields, required=("version",), **type_rules)
    return measurement, body


@contextmanager
def _unless_changed_meanwhile(
    now: Callable[[], dict], changed: Callable[[], str]
) -> Iterator[None]:
    """A change that met someone else's (EditConflict) keeps nothing and answers 409 with the
    record as it is now (`now()`, its JSON, which answers 404 if the record was deleted), for
    the client to decide again."""
    try:
        yield
    except EditConflict:
        db.session.rollback()
        current = now()
        abort(make_response(jsonify(error=changed(), current=current), 409))


def _measurement_now(measurement_id: int) -> Callable[[], dict]:
    def read() -> dict:
        measurement = kpi_services.measurement_or_none(g.api_user, measurement_id)
        if measurement is None:
            deleted = _("Someone else deleted this measurement meanwhile; its history is kept.")
            abort(make_response(jsonify(error=deleted), 404))
        return measurement_json(measurement)

    return read


def _measurement_changed() -> str:
    return _(
        "Someone else changed this measurement since the version you sent, so nothing was "
        "done. Its current state is given here: check it, and send its version with your "
        "change."
    )


@contextmanager
def _unless_measurement_changed(measurement_id: int) -> Iterator[None]:
    with _unless_changed_meanwhile(_measurement_now(measurement_id), _measurement_changed):
        yield


def _step(measurement_id: int, permission: str, step: Callable, fields=STEP_FIELDS) -> Measurement:
    """One step of the workflow (a kpis service taking the user, the measurement, the reason
    when `fields` has one, and the version the client saw)."""
    measurement, body = _change_request(measurement_id, permission, fields)
    reason = (body.get("reason") or "",) if "reason" in fields else ()
    with _unless_measurement_changed(measurement_id):
        step(g.api_user, measurement, *reason, seen_version=body["version"])
    return measurement


@bp.post("/measurements/<int:measurement_id>/submit")
def submit_measurement(measurement_id: int):
    measurement = _step(measurement_id, policy.MEASUREMENT_ENTER, kpi_services.submit_measurement)
    return jsonify(measurement_json(measurement))


@bp.post("/measurements/<int:measurement_id>/verify")
def verify_measurement(measurement_id: int):
    """Whoever last entered the figures gets the service's refusal, a 422 naming status: their
    role may verify, this measurement's history is what forbids it."""
    measurement = _step(measurement_id, policy.MEASUREMENT_VERIFY, kpi_services.verify_measurement)
    return jsonify(measurement_json(measurement))


@bp.post("/measurements/<int:measurement_id>/reopen")
def reopen_measurement(measurement_id: int):
    measurement = _step(
        measurement_id,
        policy.MEASUREMENT_REOPEN,
        kpi_services.reopen_measurement,
        REASONED_STEP_FIELDS,
    )
    return jsonify(measurement_json(measurement))


@bp.delete("/measurements/<int:measurement_id>")
def delete_measurement(measurement_id: int):
    _step(
        measurement_id,
        policy.MEASUREMENT_ENTER,
        kpi_services.delete_measurement,
        REASONED_STEP_FIELDS,
    )
    return "", 204


@bp.patch("/measurements/<int:measurement_id>")
def update_measurement(measurement_id: int):
    """New inputs, comment or period: what the body leaves out keeps its stored value."""
    measurement, body = _change_request(
        measurement_id, policy.MEASUREMENT_ENTER, MEASUREMENT_CHANGES, nullable=BLANKABLE_CHANGES
    )
    inputs, input_errors = numeric_inputs(body.get("inputs"))
    period, date_errors = changed_dates(body, PERIOD)
    if input_errors or date_errors:
        raise InvalidInput({**input_errors, **date_errors})
    comment = (body["comment"] or "") if "comment" in body else measurement.comment
    with _unless_measurement_changed(measurement_id):
        kpi_services.update_measurement(
            g.api_user,
            measurement,
            measurement.inputs | inputs,
            comment,
            seen_version=body["version"],
            **period,
        )
    return jsonify(measurement_json(measurement))


@bp.get("/enterprises/<int:enterprise_id>/comparison")
def comparison(enterprise_id: int):
    enterprise = get_enterprise_or_404(g.api_user, enterprise_id)
    require_figures(g.api_user, enterprise)
    follow_up = request.args.get("follow_up", type=db_id)
    return jsonify(
        [_comparison_json(row) for row in kpi_services.comparison(enterprise.id, follow_up)]
    )


def _period_json(measurement: Measurement | None) -> dict | None:
    if measurement is None:
        return None
    return {
        "start": measurement.period_start.isoformat(),
        "end": measurement.period_end.isoformat(),
        "status": measurement.status.value,
    }


def _comparison_json(row: kpi_services.ComparisonRow) -> dict:
    """One indicator's before/after: submitted and verified figures only."""
    change = row.change
    newer = row.newer_baseline
    return {
        "indicator": row.indicator.code,
        "unit": str(row.indicator.unit),
        "direction": row.indicator.direction.value,
        "cycle": row.cycle_number or None,
        "baseline": rounded(row.baseline.value) if row.baseline else None,
        "baseline_period": _period_json(row.baseline),
        "follow_up": rounded(row.follow_up.value) if row.follow_up else None,
        "follow_up_period": _period_json(row.follow_up),
        "follow_up_number": row.follow_up_number,
        "compared_per_days": change.per_days if change else None,
        "change_abs": rounded(change.absolute) if change else None,
        "change_pct": rounded(change.relative) if change else None,
        "improved": change.improved if change else None,
        "newer_baseline": (
            {"value": rounded(newer.value), "period": _period_json(newer)} if newer else None
        ),
        "drafts": len(row.drafts),
    }


@bp.get("/programme/summary")
def programme_summary():
    """One indicator across the enterprises the filters select (docs/domain.md, 'Programme
    results')."""
    policy.require(g.api_user, policy.PROGRAMME_VIEW)
    code = request.args.get("indicator", "")
    errors = {}
    if code not in {i.code for i in INDICATORS}:
        errors["indicator"] = _("Give the code of an indicator, for example defect_rate.")
    try:
        filters = parse_filters(request.args)
    except InvalidInput as error:
        errors.update(error.errors)
    if errors:
        raise InvalidInput(errors)
    result, excluded = programme.summary(g.api_user, filters, code)
    return jsonify(
        {
            "indicator": code,
            "n": result.n,
            "n_baseline_only": result.n_baseline_only,
            "n_follow_up_only": result.n_follow_up_only,
            "baseline_mean": rounded(result.baseline_mean),
            "follow_up_mean": rounded(result.follow_up_mean),
            "pooled_baseline": rounded(result.pooled_baseline),
            "pooled_follow_up": rounded(result.pooled_follow_up),
            "median_change": rounded(result.median_change),
            "share_improved": rounded(result.share_improved),
            "excluded_without_consent": excluded,
        }
    )


@bp.post("/devices")
def register_device():
    """A device registers for offline work from a page of the app, signed in with the browser
    session and its CSRF token: the person proved who they are by signing in there (with the
    sign-in pauses of auth/lockout.py), so no token has to be copied by hand; a bearer token
    cannot make more of itself."""
    if not current_user.is_authenticated:
        return jsonify(error=_("Sign in on this device first, then register it.")), 401
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()  # the blueprint is exempt from the check every form gets
    body = read_object()
    check_types(body, DEVICE_FIELDS, required=("label",))
    token, plain = auth_services.create_token(current_user, body["label"], is_device=True)
    return jsonify(device_id=token.id, label=token.label, token=plain), 201


def _device() -> ApiToken:
    if not g.api_token.is_device:
        raise NotAllowed(_("This needs the token of a registered device: register this device."))
    return g.api_token


@bp.delete("/devices/current")
def revoke_device():
    """Signing out on the device: its token ends here, whatever copies of it exist."""
    auth_services.sign_out_device(_device())
    return "", 204


@bp.post("/sync")
def sync_operations():
    """The operations a device queued offline, each applied on its own (api/sync.py)."""
    device = _device()
    if (request.content_length or 0) > sync.MAX_BYTES or len(request.get_data()) > sync.MAX_BYTES:
        return jsonify(error=_too_large()), 413
    body = read_object()
    check_types(body, {"operations": list}, required=("operations",), nullable=())
    operations = body["operations"]
    if len(operations) > sync.MAX_OPERATIONS:
        raise InvalidInput({"operations": sync.too_many(len(operations))})
    return jsonify(results=sync.run(g.api_user, device, operations))


def _too_large() -> str:
    return _(
        "A sync takes at most %(size)s kB; send the operations in smaller batches.",
        size=format_number(sync.MAX_BYTES // 1000),
    )
