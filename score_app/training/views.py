"""Training pages: sessions, workshops, attendance, sign-in sheets, visits and certificates."""

from datetime import date

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from score_app.auth import policy
from score_app.auth.access import public
from score_app.auth.models import Role, User
from score_app.catalog.services import get_catalogue, module_choices, module_title
from score_app.enterprises.access import enterprise_choices
from score_app.exceptions import InvalidInput, NotFound
from score_app.extensions import db, limiter
from score_app.forms import as_choices, save_form, seen_version, show_on_form, stored_beside_typed
from score_app.i18n import current_locale_code, ngettext
from score_app.i18n import gettext as _
from score_app.organisation import LOGO_URL_PATH, current_organisation
from score_app.request_args import db_id
from score_app.training import services
from score_app.training.access import (
    get_certificate_or_404,
    get_day_i_run,
    get_workshop_i_run,
    get_workshop_or_404,
    runs_workshop,
    visit_scope,
    workshop_scope,
)
from score_app.training.codes import has_code_shape, normalise_code
from score_app.training.forms import (
    IssueCertificatesForm,
    RevokeForm,
    VerifyForm,
    WalkInForm,
    WorkshopForm,
)
from score_app.training.models import Visit, Workshop, WorkshopDay

bp = Blueprint("training", __name__)


def _module_titles() -> dict[str, str]:
    return dict(module_choices(current_locale_code()))


@bp.get("/training")
def list_sessions():
    today = date.today()
    workshops = db.session.scalars(
        select(Workshop).where(workshop_scope(current_user)).order_by(Workshop.id.desc())
    ).all()
    visits = db.session.scalars(
        select(Visit).where(visit_scope(current_user)).order_by(Visit.visit_date.desc())
    ).all()
    return render_template(
        "training/sessions.html",
        upcoming=[w for w in workshops if w.end_date and w.end_date >= today],
        past=[w for w in workshops if not w.end_date or w.end_date < today],
        visits=visits,
        today=today,
        titles=_module_titles(),
        can_create_workshop=policy.can(current_user, policy.WORKSHOP_CREATE),
        can_record_visit=policy.can(current_user, policy.VISIT_RECORD),
    )


def _workshop_form(workshop: Workshop | None, **options) -> WorkshopForm:
    """The workshop form with its choices: the stored workshop on a first view (or with
    formdata=None)."""
    data = None
    if workshop is not None:
        days = [d.day_date for d in workshop.days]
        data = {
            "module_slug": workshop.module_slug,
            "trainer_id": workshop.trainer_id,
            "place": workshop.place,
            "enterprise_ids": [e.id for e in workshop.enterprises],
            "days": days,
        }
    form = WorkshopForm(data=data, **options)
    form.module_slug.choices = as_choices(
        [("", _("Choose a module")), *module_choices(current_locale_code())]
    )
    if current_user.role == Role.ADMIN:
        trainers = db.session.scalars(
            select(User)
            .where(User.role.in_([Role.TRAINER, Role.ADMIN]), User.is_active)
            .order_by(User.full_name)
        ).all()
        form.trainer_id.choices = as_choices((t.id, t.full_name) for t in trainers)
    else:
        del form.trainer_id  # a trainer runs their own workshops
    form.enterprise_ids.choices = as_choices(enterprise_choices(current_user))
    return form


def _save_workshop(workshop: Workshop | None):
    form = _workshop_form(workshop)
    saved, conflict = None, None
    if form.validate_on_submit():
        saved, conflict = save_form(
            form,
            lambda: services.save_workshop(
                current_user,
                workshop,
                module_slug=form.module_slug.data,
                trainer=db.session.get(User, form.trainer_id.data)
                if "trainer_id" in form
                else current_user,
                place=form.place.data,
                enterprise_ids=form.enterprise_ids.data,
                days=form.day_dates,
                seen_version=seen_version(),
            ),
            lambda: (
                workshop
                and stored_beside_typed(workshop, _workshop_form(workshop, formdata=None), form)
            ),
        )
    if saved:
        flash(_("The workshop is saved."), "success")
        return redirect(url_for("training.view_workshop", workshop_id=saved.id))
    return render_template(
        "training/workshop_form.html", form=form, workshop=workshop, conflict=conflict
    ), (409 if conflict else 200)


@bp.route("/training/workshops/new", methods=["GET", "POST"])
def create_workshop():
    policy.require(current_user, policy.WORKSHOP_CREATE)
    return _save_workshop(None)


@bp.route("/training/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
def edit_workshop(workshop_id: int):
    return _save_workshop(get_workshop_i_run(current_user, workshop_id))


@bp.get("/training/workshops/<int:workshop_id>")
def view_workshop(workshop_id: int):
    workshop = get_workshop_or_404(current_user, workshop_id)
    certificates = services.workshop_certificates(current_user, workshop)
    valid_count = sum(c.is_valid for c in certificates)
    runs = runs_workshop(current_user, workshop)
    return render_template(
        "training/workshop.html",
        workshop=workshop,
        title=module_title(workshop.module_slug, current_locale_code()),
        counts={day.id: services.attendance_counts(day)["total"] for day in workshop.days},
        eligible=services.eligible_people(workshop) if runs else [],
        certificates=certificates,
        valid_count=valid_count,
        print_all_refusal=services.print_all_refusal(
            valid_count, current_app.config["SCORE_MAX_CERTIFICATES_PER_PDF"]
        ),
        runs=runs,
        issue_form=IssueCertificatesForm(data={"locale": current_locale_code()}),
    )


def _attendance_page(day: WorkshopDay, walk_in: WalkInForm | None = None, status: int = 200):
    walk_in = walk_in or WalkInForm(formdata=None).fill_choices(day.workshop)
    return render_template(
        "training/attendance.html",
        day=day,
        workshop=day.workshop,
        title=module_title(day.workshop.module_slug, current_locale_code()),
        people=services.workshop_people(day.workshop),
        present=services.present_ids(day),
        counts=services.attendance_counts(day),
        walk_in=walk_in,
        day_has_come=services.day_has_come(day),
    ), status


@bp.route("/training/workshops/<int:workshop_id>/days/<int:day_id>", methods=["GET", "POST"])
def attendance(workshop_id: int, day_id: int):
    day = get_day_i_run(current_user, workshop_id, day_id)
    if request.method == "POST":
        try:
            chosen = {db_id(v) for v in request.form.getlist("present")}
            services.save_attendance(current_user, day, chosen)
        except ValueError:
            flash(_("Only people of the workshop's enterprises can attend."), "error")
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            flash(_("Attendance is saved."), "success")
        return redirect(url_for("training.attendance", workshop_id=workshop_id, day_id=day_id))
    return _attendance_page(day)


@bp.post("/training/workshops/<int:workshop_id>/days/<int:day_id>/mark")
def mark(workshop_id: int, day_id: int):
    """One tap from the attendance page's script: mark or unmark one person, answer the counts."""
    day = get_day_i_run(current_user, workshop_id, day_id)
    person_id = request.form.get("person_id", type=db_id)
    if person_id is None:
        return jsonify(error=_("Say whom to mark.")), 422
    try:
        services.mark_present(current_user, day, person_id, request.form.get("present") == "1")
    except InvalidInput as error:
        return jsonify(error=error.message), 422
    counts = services.attendance_counts(day)
    return jsonify(
        total=counts["total"],
        by_sex={str(k): v for k, v in counts["by_sex"].items()},
        by_role={str(k): v for k, v in counts["by_role"].items()},
        cells={f"{sex}-{role}": n for (sex, role), n in counts["cells"].items()},
    )


@bp.post("/training/workshops/<int:workshop_id>/days/<int:day_id>/walk-in")
def walk_in(workshop_id: int, day_id: int):
    day = get_day_i_run(current_user, workshop_id, day_id)
    form = WalkInForm().fill_choices(day.workshop)
    if form.validate_on_submit():
        try:
            person = services.add_walk_in(
                current_user,
                day,
                form.enterprise_id.data,
                form.full_name.data,
                form.sex.data,
                form.job_role.data,
            )
        except InvalidInput as error:
            show_on_form(form, error)
        else:
            flash(_("%(name)s is added and marked present.", name=person.full_name), "success")
            return redirect(url_for("training.attendance", workshop_id=workshop_id, day_id=day_id))
    return _attendance_page(day, walk_in=form, status=422)


@bp.post("/training/workshops/<int:workshop_id>/certificates")
def issue_certificates(workshop_id: int):
    workshop = get_workshop_i_run(current_user, workshop_id)
    form = IssueCertificatesForm()
    if form.validate_on_submit():
        try:
            issued = services.issue_certificates(current_user, workshop, form.locale.data)
        except InvalidInput as error:
            flash(next(iter(error.errors.values())), "error")
        else:
            flash(
                ngettext(
                    "%(num)d certificate issued.", "%(num)d certificates issued.", len(issued)
                ),
                "success",
            )
    return redirect(url_for("training.view_workshop", workshop_id=workshop.id))


@bp.route("/certificates/<code>/revoke", methods=["GET", "POST"])
def revoke_certificate(code: str):
    policy.require(current_user, policy.CERTIFICATE_REVOKE)
    certificate = get_certificate_or_404(current_user, code)
    form = RevokeForm()
    if form.validate_on_submit():
        services.revoke_certificate(current_user, certificate, form.reason.data)
        flash(_("Certificate %(code)s is revoked.", code=certificate.code), "success")
        return redirect(url_for("training.view_workshop", workshop_id=certificate.workshop_id))
    return render_template("training/revoke.html", form=form, certificate=certificate)


def _verify_limit() -> str:
    return current_app.config["SCORE_VERIFY_RATE_LIMIT"]


# Codes that are not found count against the reader's address, on the form and on the QR
# code's page alike; a found one never does, so checking real certificates is never slowed.
_limit_misses = limiter.shared_limit(
    _verify_limit, scope="verify", deduct_when=lambda response: response.status_code == 404
)


@bp.get("/verify")
@_limit_misses
@public
def verify_form():
    """The public check's form; with a code typed in, its answer at an address of its own."""
    if "code" not in request.args:
        return _verify_page(VerifyForm(formdata=None))
    form = VerifyForm(request.args)
    if not form.validate():
        return _verify_page(form, status=422)
    return _verify_page(form, form.code.data)


@bp.get("/verify/<code>")
@_limit_misses
@public
def verify(code: str):
    """The public page a certificate's QR code opens: its details and whether it is valid."""
    return _verify_page(VerifyForm(formdata=None, data={"code": code}), code)


def _verify_page(form: VerifyForm, typed: str | None = None, status: int = 200):
    """The check's page: the certificate of the typed code, or why there is none (404)."""
    certificate = services.find_certificate(typed) if typed else None
    code = normalise_code(typed) if typed else ""
    if typed and certificate is None:
        status = 404
        if not has_code_shape(typed):
            form.code.errors = [_("A certificate code has 12 letters and digits.")]
    module = get_catalogue().get(certificate.module_slug) if certificate else None
    return render_template(
        "training/verify.html",
        form=form,
        certificate=certificate,
        code=code,
        module_title=module.title_in(current_locale_code()) if module else "",
    ), status


@bp.get(LOGO_URL_PATH)
@public
def organisation_logo():
    """The issuing organisation's logo, as the certificate check and printed documents show it."""
    logo = current_organisation().logo_file
    if logo is None or not logo.is_file():  # none set, or taken away since the start
        raise NotFound
    return send_file(logo, max_age=0)
