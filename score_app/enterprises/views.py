"""Enterprise pages: the scoped list with filters, the profile, the create and edit forms,
consent, and the enterprise's people and EIT."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from score_app.auth import policy
from score_app.enterprises import services
from score_app.enterprises.access import country_in_scope, get_enterprise_or_404, scoped_enterprises
from score_app.enterprises.forms import EnterpriseForm, PersonForm, sector_choices
from score_app.enterprises.models import Enterprise, Person
from score_app.errors import changed_elsewhere, step_taken
from score_app.exceptions import EditConflict, InvalidInput
from score_app.extensions import db
from score_app.forms import (
    Conflict,
    ConflictRow,
    save_form,
    seen_version,
    show_on_form,
    stored_beside_typed,
)
from score_app.i18n import country_choices, format_moment
from score_app.i18n import gettext as _
from score_app.request_args import db_id, kept_args, paginate

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")


def _prepare(form: EnterpriseForm, enterprise: Enterprise | None) -> EnterpriseForm:
    countries = country_choices()
    if enterprise is None or policy.can(current_user, policy.ENTERPRISE_CREATE):
        countries = [c for c in countries if country_in_scope(current_user, c[0])]
    else:
        countries = [c for c in countries if c[0] == enterprise.country]
    form.fill_choices(countries, enterprise.sector if enterprise else None)
    return form


def _form_data(form: EnterpriseForm) -> dict:
    return {name: getattr(form, name).data for name in services.PROFILE_FIELDS}


def _consent_state(enterprise: Enterprise) -> str:
    """Whether the enterprise consents, and since when if it ever changed."""
    state = _("Consent given") if enterprise.data_sharing_consent else _("No consent")
    if enterprise.consent_changed_at is None:
        return state
    # i18n: %(state)s is "Consent given" or "No consent"; %(moment)s a date and time.
    return _(
        "%(state)s since %(moment)s",
        state=state,
        moment=format_moment(enterprise.consent_changed_at),
    )


# The list's query arguments, kept by its page links.
LIST_ARGS = ("country", "sector", "q")


@bp.get("")
def list_enterprises():
    filters = {
        "country": request.args.get("country", ""),
        "sector": request.args.get("sector", ""),
        "text": request.args.get("q", ""),
    }
    query = services.search_enterprises(scoped_enterprises(current_user), **filters)
    page = paginate(query)
    return render_template(
        "enterprises/list.html",
        page=page,
        filters=filters,
        args=kept_args(LIST_ARGS),
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
            enterprise = services.create_enterprise(current_user, _form_data(form))
        except InvalidInput as error:
            show_on_form(form, error)
        else:
            flash(_("%(name)s is registered.", name=enterprise.name), "success")
            return redirect(url_for("enterprises.view_enterprise", enterprise_id=enterprise.id))
    return render_template("enterprises/form.html", form=form, enterprise=None)


@bp.get("/<int:enterprise_id>")
def view_enterprise(enterprise_id: int):
    enterprise = get_enterprise_or_404(current_user, enterprise_id)
    can_manage_users = policy.can(current_user, policy.USER_MANAGE)
    return render_template(
        "enterprises/view.html",
        enterprise=enterprise,
        can_edit=policy.can(current_user, policy.ENTERPRISE_EDIT),
        can_consent=policy.can(current_user, policy.ENTERPRISE_CONSENT),
        can_manage_users=can_manage_users,
        assignable=services.assignable_users(enterprise) if can_manage_users else [],
    )


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
def edit_enterprise(enterprise_id: int):
    enterprise = get_enterprise_or_404(current_user, enterprise_id)
    policy.require(current_user, policy.ENTERPRISE_EDIT)
    form = _prepare(EnterpriseForm(obj=enterprise), enterprise)
    conflict = None
    if form.validate_on_submit():
        saved, conflict = save_form(
            form,
            lambda: services.update_enterprise(
                current_user, enterprise, _form_data(form), seen_version=seen_version()
            ),
            lambda: _stored_beside_typed(enterprise, form),
        )
        if saved:
            flash(_("%(name)s is saved.", name=enterprise.name), "success")
            return redirect(url_for("enterprises.view_enterprise", enterprise_id=enterprise.id))
    return render_template(
        "enterprises/form.html", form=form, enterprise=enterprise, conflict=conflict
    ), (409 if conflict else 200)


def _stored_beside_typed(enterprise: Enterprise, typed: EnterpriseForm) -> Conflict:
    """The stored profile beside the one typed, and consent as it is now, which saving the
    profile keeps whatever the page showed."""
    stored = _prepare(EnterpriseForm(formdata=None, obj=enterprise), enterprise)
    conflict = stored_beside_typed(enterprise, stored, typed)
    consent = _consent_state(enterprise)
    conflict.rows.append(ConflictRow(_("Data sharing"), consent, consent))
    return conflict


@bp.post("/<int:enterprise_id>/consent")
def change_consent(enterprise_id: int):
    """Consent's own button on the enterprise's page: give or withdraw, on the version the page
    showed."""
    enterprise = get_enterprise_or_404(current_user, enterprise_id)
    policy.require(current_user, policy.ENTERPRISE_CONSENT)
    choice = request.form.get("consent")

    def set_consent():
        if choice not in ("give", "withdraw"):
            raise InvalidInput({"consent": _("Choose to give or to withdraw consent.")})
        services.set_consent(
            current_user, enterprise, choice == "give", seen_version=seen_version()
        )

    if step_taken(set_consent):
        flash(_consent_changed(enterprise), "success")
    return redirect(url_for("enterprises.view_enterprise", enterprise_id=enterprise_id))


def _consent_changed(enterprise: Enterprise) -> str:
    if enterprise.data_sharing_consent:
        return _(
            "Consent is given: the figures of %(name)s enter programme results.",
            name=enterprise.name,
        )
    return _(
        "Consent is withdrawn: the figures of %(name)s are left out of programme results.",
        name=enterprise.name,
    )


def _people_i_manage(enterprise_id: int) -> Enterprise:
    enterprise = get_enterprise_or_404(current_user, enterprise_id)
    policy.require(current_user, policy.PEOPLE_MANAGE)
    return enterprise


@bp.route("/<int:enterprise_id>/people", methods=["GET", "POST"])
def list_people(enterprise_id: int):
    enterprise = get_enterprise_or_404(current_user, enterprise_id)
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


def _person_form(person: Person, **options) -> PersonForm:
    """The person form, showing the stored person on a first view (or with formdata=None)."""
    data = {"full_name": person.full_name, "sex": person.sex, "job_role": person.job_role}
    return PersonForm(data=data, **options)


@bp.route("/<int:enterprise_id>/people/<int:person_id>", methods=["GET", "POST"])
def edit_person(enterprise_id: int, person_id: int):
    enterprise = _people_i_manage(enterprise_id)
    person = next((p for p in enterprise.people if p.id == person_id), None)
    if person is None:
        abort(404)
    form = _person_form(person)
    conflict = None
    if form.validate_on_submit():
        saved, conflict = save_form(
            form,
            lambda: services.update_person(
                current_user,
                person,
                form.full_name.data,
                form.sex.data,
                form.job_role.data,
                seen_version=seen_version(),
            ),
            lambda: stored_beside_typed(person, _person_form(person, formdata=None), form),
        )
        if saved:
            flash(_("%(name)s is saved.", name=person.full_name), "success")
            return redirect(url_for("enterprises.list_people", enterprise_id=enterprise.id))
    return render_template(
        "enterprises/person_form.html",
        enterprise=enterprise,
        person=person,
        form=form,
        conflict=conflict,
    ), (409 if conflict else 200)


@bp.route("/<int:enterprise_id>/eit", methods=["GET", "POST"])
def eit(enterprise_id: int):
    enterprise = get_enterprise_or_404(current_user, enterprise_id)
    can_manage = policy.can(current_user, policy.PEOPLE_MANAGE)
    if request.method == "POST":
        policy.require(current_user, policy.PEOPLE_MANAGE)
        try:
            chosen = {db_id(v) for v in request.form.getlist("members")}
            services.set_eit_members(
                current_user, enterprise, chosen, seen_versions=_seen_people_versions(enterprise)
            )
        except (ValueError, InvalidInput):
            db.session.rollback()
            flash(_("Choose people of this enterprise only."), "error")
        except EditConflict:
            flash(changed_elsewhere(), "error")
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


def _seen_people_versions(enterprise: Enterprise) -> dict[int, int | None]:
    """The version of each person that the team page listed (`version-<id>` fields)."""
    return {p.id: request.form.get(f"version-{p.id}", type=int) for p in enterprise.people}
