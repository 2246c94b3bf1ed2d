"""Each document as HTML for the one PDF renderer (pdf.py): who asks, for which record, in which
language. The same access checks as the pages apply, through the user passed in, so a document
made outside a request (the CLI, a background job) shows exactly what that user may see."""

import re
from dataclasses import dataclass, field
from datetime import date

import segno
from flask import render_template, url_for
from markupsafe import Markup

from score_app import pdf
from score_app.auth import policy
from score_app.auth.models import User
from score_app.catalog.services import get_module_or_404, module_page, module_title
from score_app.enterprises.access import get_figures_or_404
from score_app.exceptions import InvalidInput
from score_app.i18n import current_locale_code, fold, in_locale
from score_app.i18n import gettext as _
from score_app.plans import services as plans
from score_app.plans.photos import photo_thumbnails
from score_app.plans.photos import upload_dir as photo_dir
from score_app.plans.report import plan_report
from score_app.programme.filters import Filters
from score_app.programme.report import breakdowns, results_report
from score_app.training import services as training
from score_app.training.access import (
    get_certificate_or_404,
    get_day_i_run,
    get_workshop_or_404,
)
from score_app.training.models import Certificate, Workshop


@dataclass(frozen=True)
class Document:
    html: str
    filename: str
    images: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def pdf(self) -> bytes:
        return pdf.render_pdf(self.html, self.images)


def plan(
    user: User,
    enterprise_id: int,
    *,
    locale: str,
    today: date,
    plan_id: int | None = None,
    follow_up: int | None = None,
) -> Document:
    """The printed improvement plan of an enterprise whose figures the user may read: its
    active plan, or the one asked for, compared with the chosen follow-up."""
    enterprise = get_figures_or_404(user, enterprise_id)
    chosen = plans.plan_of(enterprise, plan_id)
    thumbnails = photo_thumbnails(chosen.actions if chosen else [], photo_dir())
    with in_locale(locale):
        html = render_template(
            "pdf/plan.html",
            **plan_report(enterprise, chosen, follow_up, today, locale),
            generated_on=today,
            thumbnails=thumbnails,
        )
    images = {thumb.path: (thumb.data, "image/jpeg") for thumb in thumbnails.values()}
    return Document(html, f"improvement-plan-{enterprise.id}-{locale}.pdf", images)


def synthesis(user: User, filters: Filters, *, locale: str, today: date) -> Document:
    """The programme's results for these filters, over the enterprises the user reaches."""
    policy.require(user, policy.PROGRAMME_VIEW)
    with in_locale(locale):
        html = render_template(
            "pdf/synthesis.html",
            **results_report(user, filters, today, locale),
            breakdowns=breakdowns(user, filters),
            narrative=user.report_narrative,
            generated_on=today,
        )
    return Document(html, f"programme-results-{today.isoformat()}-{locale}.pdf")


def sign_in_sheet(user: User, workshop_id: int, day_id: int, *, locale: str) -> Document:
    """The sheet participants sign on a day of a workshop the user runs."""
    day = get_day_i_run(user, workshop_id, day_id)
    workshop = day.workshop
    days = sorted(d.day_date for d in workshop.days)
    with in_locale(locale):
        html = render_template(
            "pdf/sign_in_sheet.html",
            day=day,
            day_number=days.index(day.day_date) + 1,
            day_count=len(days),
            workshop=workshop,
            title=module_title(workshop.module_slug, locale),
            people=training.workshop_people(workshop),
            blank_rows=range(8),
            page_of=Markup(_page_of_css()),
        )
    return Document(html, f"sign-in-{day.day_date.isoformat()}.pdf")


_CSS_ESCAPES = {"\\": "\\\\", '"': '\\"', "<": "\\3c ", ">": "\\3e ", "\n": " "}


def _page_of_css() -> str:
    """ "Page N of M" in the reader's language as a CSS content value, the numbers counted by
    the PDF renderer page by page."""
    marker = "\x00"
    page, pages = f"{marker}page{marker}", f"{marker}pages{marker}"
    text = _("Page %(page)s of %(pages)s", page=page, pages=pages)
    pieces = []
    for index, piece in enumerate(text.split(marker)):
        if index % 2 and piece in ("page", "pages"):
            pieces.append(f"counter({piece})")
        elif piece:
            # A CSS string inside <style>: no quote, backslash or tag may end it early.
            quoted = "".join(_CSS_ESCAPES.get(char, char) for char in piece)
            pieces.append(f'"{quoted}"')
    return " ".join(pieces)


def certificate(user: User, code: str, *, public_url: str) -> Document:
    """A certificate in the user's scope, in the language it was issued in, with the QR code of
    its public check (`public_url`: the address the paper sends readers to)."""
    found = get_certificate_or_404(user, code)
    with in_locale(found.locale):
        html = _certificates_html([found], public_url, _("Certificate of participation"))
    return Document(html, f"certificate-{found.code}.pdf")


def check_workshop_certificates(user: User, workshop_id: int, *, most: int) -> None:
    """Refuse (InvalidInput) printing a workshop's certificates when there is none or more than
    `most`; NotFound for a workshop out of the user's scope."""
    workshop = get_workshop_or_404(user, workshop_id)
    found = training.workshop_certificates(user, workshop, valid_only=True)
    refusal = training.print_all_refusal(len(found), most)
    if refusal:
        raise InvalidInput({"certificates": refusal})


def workshop_certificates(
    user: User, workshop_id: int, *, public_url: str, locale: str, most: int
) -> Document:
    """Every valid certificate of a workshop that the user may see, one a page, each in the
    language it was issued in; refused (InvalidInput) when there is none or more than `most`."""
    workshop = get_workshop_or_404(user, workshop_id)
    found = training.workshop_certificates(user, workshop, valid_only=True)
    with in_locale(locale):
        refusal = training.print_all_refusal(len(found), most)
        if refusal:
            raise InvalidInput({"certificates": refusal})
        title = module_title(workshop.module_slug, locale)
        html = _certificates_html(found, public_url, f"{_('Certificates')} · {title}")
    return Document(html, f"certificates-{_file_words(workshop)}.pdf")


def _certificates_html(certificates: list, public_url: str, title: str) -> str:
    pages = [_certificate_page(found, public_url) for found in certificates]
    return render_template(
        "pdf/certificates.html", pages=pages, title=title, lang=current_locale_code()
    )


def _certificate_page(found: Certificate, public_url: str) -> Markup:
    """One certificate's page, in its own language."""
    verify_url = public_url.rstrip("/") + url_for("training.verify", code=found.code)
    with in_locale(found.locale):
        return Markup(
            render_template(
                "pdf/_certificate.html",
                certificate=found,
                module_title=module_title(found.module_slug, found.locale),
                verify_url=verify_url,
                qr_svg=Markup(segno.make(verify_url, error="m").svg_inline(scale=4)),
            )
        )


def _file_words(workshop: Workshop) -> str:
    """The workshop in a file name: module, place and first day, in plain ASCII."""
    words = f"{workshop.module_slug} {fold(workshop.place)} {workshop.start_date.isoformat()}"
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")


def handout(slug: str, *, locale: str) -> Document:
    """A module's participant handout (key ideas, exercises, checklist, no trainer's notes), in
    `locale` (or the language its guide falls back to)."""
    module = get_module_or_404(slug)
    page = module_page(module, locale, for_participants=True)
    with in_locale(locale):
        html = render_template("pdf/module.html", **page, for_pdf=True)
    return Document(html, f"{module.slug}-handout-{locale}.pdf")


def trainer_guide(slug: str, *, locale: str) -> Document:
    """A module's whole trainer guide, session notes and timing included, in `locale`."""
    module = get_module_or_404(slug)
    with in_locale(locale):
        html = render_template("pdf/module.html", **module_page(module, locale), for_pdf=True)
    return Document(html, f"{module.slug}-trainer-guide-{locale}.pdf")
