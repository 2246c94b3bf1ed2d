"""Enterprise pages: the scoped list with filters, the profile, and the create and edit forms."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from score_app.auth import policy
from score_app.enterprises import services
from score_app.enterprises.forms import EnterpriseForm, PersonForm, sector_choices
from score_app.enterprises.models import Enterprise
from score_app.errors import InvalidInput, show_on_form
from score_app.i18n import country_choices
from score_app.i18n import gettext as _
from score_app.pages import db_id, paginate

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")


def _prepare(form: EnterpriseForm, enterprise: Enterprise | None) -> EnterpriseForm:
    countries = country_choices()
    if enterprise is None or policy.can(current_user, policy.ENTERPRISE_CREATE):
        countries = [c for c in countries if policy.country_in_scope(current_user, c[0])]
    else:
        countries = [c for c in countries if c[0] == enterprise.country]
    form.fill_choices(countries, enterprise.sector if enterprise else None)
    if not policy.can(current_user, policy.ENTERPRISE_CONSENT):
        form.data_sharing_consent.render_kw = {"disabled": True}
        if enterprise is not None:
            form.data_sharing_consent.data = enterprise.data_sharing_consent
    return form


def _form_data(form: EnterpriseForm, enterprise: Enterprise | None) -> dict:
    data = {name: getattr(form, name).data for name in services.FIELDS}
    if not policy.can(current_user, policy.ENTERPRISE_CONSENT):
        # The box is shown disabled, so browsers do not send it: keep what is recorded.
        data["data_sharing_consent"] = enterprise.data_sharing_consent if enterprise else False
    return data


@bp.get("")
def list_enterprises():
    filters = {
        "country": request.args.get("country", ""),
        "sector": request.args.get("sector", ""),
        "text": request.args.get("q", ""),
    }
    query = services.search_enterprises(policy.scoped_enterprises(current_user), **filters)
    page = paginate(query)
    return render_template(
        "enterprises/list.html",
        page=page,
        filters=filters,
        countries=services.countries_in_scope(current_user),
        sectors=sector_choices(),
        can_create=policy.can(current_user, policy.ENTERPRISE_CREATE),
    )


@bp.route("/new", methods=["GET", "POST"])
def create_enterprise():
    policy.require(current_user, policy.ENTERPRISE_CREATE)
    form = _prepare(EnterpriseForm(), None)
    if form.validate_on_submit():
        try:
            enterprise = services.create_enterprise(current_user, _form_data(form, None))
        except InvalidInput as error:
            show_on_form(form, error)
        else:
            flash(_("%(name)s is registered.", name=enterprise.name), "success")
            return redirect(url_for("enterprises.view_enterprise", enterprise_id=enterprise.id))
    return render_template("enterprises/form.html", form=form, enterprise=None)


@bp.get("/<int:enterprise_id>")
def view_enterprise(enterprise_id: int):
    enterprise = policy.get_enterprise_or_404(current_user, enterprise_id)
    return render_template(
        "enterprises/view.html",
        enterprise=enterprise,
        can_edit=policy.can(current_user, policy.ENTERPRISE_EDIT),
        can_manage_users=policy.can(current_user, policy.USER_MANAGE),
    )


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
def edit_enterprise(enterprise_id: int):
    enterprise = policy.get_enterprise_or_404(current_user, enterprise_id)
    policy.require(current_user, policy.ENTERPRISE_EDIT)
    form = _prepare(EnterpriseForm(obj=enterprise), enterprise)
    if form.validate_on_submit():
        try:
            services.update_enterprise(current_user, enterprise, _form_data(form, enterprise))
        except InvalidInput as error:
            show_on_form(form, error)
        else:
            flash(_("%(name)s is saved.", name=enterprise.name), "success")
            return redirect(url_for("enterprises.view_enterprise", enterprise_id=enterprise.id))
    return render_template("enterprises/form.html", form=form, enterprise=enterprise)


def _people_i_manage(enterprise_id: int) -> Enterprise:
    enterprise = policy.get_enterprise_or_404(current_user, enterprise_id)
    policy.require(current_user, policy.PEOPLE_MANAGE)
    return enterprise


@bp.route("/<int:enterprise_id>/people", methods=["GET", "POST"])
def list_people(enterprise_id: int):
    enterprise = policy.get_enterprise_or_404(current_user, enterprise_id)
    can_manage = policy.can(current_user, policy.PEOPLE_MANAGE)
    form = PersonForm()
    if request.method == "POST":
        policy.require(current_user, policy.PEOPLE_MANAGE)
        if form.validate():
            try:
                person = services.add_person(
                    enterprise, form.full_name.data, form.sex.data, form.job_role.data
                )
            except InvalidInput as error:
                show_on_form(form, error)
            else:
                flash(_("%(name)s is added.", name=person.full_name), "success")
                return redirect(url_for("enterprises.list_people", enterprise_id=enterprise.id))
    return render_template(
        "enterprises/people.html", enterprise=enterprise, form=form, can_manage=can_manage
    )


@bp.route("/<int:enterprise_id>/people/<int:person_id>", methods=["GET", "POST"])
def edit_person(enterprise_id: int, person_id: int):
    enterprise = _people_i_manage(enterprise_id)
    person = next((p for p in enterprise.people if p.id == person_id), None)
    if person is None:
        abort(404)
    form = PersonForm(
        data={"full_name": person.full_name, "sex": person.sex, "job_role": person.job_role}
    )
    if form.validate_on_submit():
        try:
            services.update_person(person, form.full_name.data, form.sex.data, form.job_role.data)
        except InvalidInput as error:
            show_on_form(form, error)
        else:
            flash(_("%(name)s is saved.", name=person.full_name), "success")
            return redirect(url_for("enterprises.list_people", enterprise_id=enterprise.id))
    return render_template("enterprises/person_form.html", enterprise=enterprise, form=form)


@bp.route("/<int:enterprise_id>/eit", methods=["GET", "POST"])
def eit(enterprise_id: int):
    enterprise = policy.get_enterprise_or_404(current_user, enterprise_id)
    can_manage = policy.can(current_user, policy.PEOPLE_MANAGE)
    if request.method == "POST":
        policy.require(current_user, policy.PEOPLE_MANAGE)
        try:
            chosen = {db_id(v) for v in request.form.getlist("members")}
            services.set_eit_members(enterprise, chosen)
        except (ValueError, InvalidInput):
            flash(_("Choose people of this enterprise only."), "error")
        else:
            flash(_("The Enterprise Improvement Team is saved."), "success")
        return redirect(url_for("enterprises.eit", enterprise_id=enterprise.id))
    members = [p for p in enterprise.people if p.is_eit_member]
    return render_template(
        "enterprises/eit.html",
        enterprise=enterprise,
        members=members,
        gaps=services.eit_gaps(members),
        can_manage=can_manage,
    )
