"""The PDF of each document, at the address its page links to; the language is the reader's
unless `lang` asks for another (certificates speak the language they were issued in). The
synthesis report and a workshop's certificates are made by background jobs: their address
starts the job and shows its page, from which the PDF is downloaded."""

from datetime import date

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user

from score_app.auth import policy
from score_app.documents import jobs as document_jobs
from score_app.documents import services
from score_app.documents.services import Document
from score_app.exceptions import InvalidInput
from score_app.i18n import SUPPORTED_LOCALES, current_locale_code
from score_app.programme.filters import FILTER_ARGS, parse_filters
from score_app.request_args import db_id, kept_args

bp = Blueprint("documents", __name__)


def _asked_locale() -> str:
    """The language the reader asked for with `lang`, else the page's own."""
    asked = request.args.get("lang")
    return asked if asked in SUPPORTED_LOCALES else current_locale_code()


def _as_pdf(document: Document):
    """The PDF, opened in the browser's viewer."""
    return (
        document.pdf(),
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{document.filename}"',
        },
    )


@bp.get("/enterprises/<int:enterprise_id>/plan.pdf")
def plan_pdf(enterprise_id: int):
    document = services.plan(
        current_user,
        enterprise_id,
        locale=_asked_locale(),
        today=date.today(),
        plan_id=request.args.get("plan", type=db_id),
        follow_up=request.args.get("follow_up", type=db_id),
    )
    return _as_pdf(document)


@bp.get("/programme/report.pdf")
def synthesis_pdf():
    policy.require(current_user, policy.PROGRAMME_VIEW)
    try:
        parse_filters(request.args)
    except InvalidInput:  # the dashboard explains it, with the filters as typed
        return redirect(url_for("programme.dashboard", **kept_args(FILTER_ARGS)))
    job = document_jobs.start_synthesis(current_user, request.args, locale=_asked_locale())
    return redirect(url_for("jobs.view_job", job_id=job.id), code=303)


@bp.get("/training/workshops/<int:workshop_id>/days/<int:day_id>/sign-in.pdf")
def sign_in_sheet_pdf(workshop_id: int, day_id: int):
    document = services.sign_in_sheet(
        current_user, workshop_id, day_id, locale=current_locale_code()
    )
    return _as_pdf(document)


def _public_url() -> str:
    """A link printed on paper goes to the configured public address, else the one asked for."""
    return current_app.config["SCORE_PUBLIC_URL"] or request.host_url


@bp.get("/certificates/<code>.pdf")
def certificate_pdf(code: str):
    return _as_pdf(services.certificate(current_user, code, public_url=_public_url()))


@bp.get("/training/workshops/<int:workshop_id>/certificates.pdf")
def workshop_certificates_pdf(workshop_id: int):
    """All the valid certificates of a workshop in one PDF, made as a job; the workshop's page
    says why not when there is nothing to print or too much."""
    most = current_app.config["SCORE_MAX_CERTIFICATES_PER_PDF"]
    try:
        # Refused at once, in the page's words, rather than by a job that fails.
        services.check_workshop_certificates(current_user, workshop_id, most=most)
    except InvalidInput as error:
        flash(next(iter(error.errors.values())), "error")
        return redirect(url_for("training.view_workshop", workshop_id=workshop_id))
    job = document_jobs.start_certificates(
        current_user,
        workshop_id,
        public_url=_public_url(),
        locale=current_locale_code(),
        most=most,
    )
    return redirect(url_for("jobs.view_job", job_id=job.id), code=303)


@bp.get("/modules/<slug>/handout.pdf")
def handout_pdf(slug: str):
    return _as_pdf(services.handout(slug, locale=_asked_locale()))


@bp.get("/modules/<slug>/guide.pdf")
def trainer_guide_pdf(slug: str):
    return _as_pdf(services.trainer_guide(slug, locale=_asked_locale()))
