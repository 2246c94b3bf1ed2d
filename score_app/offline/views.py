"""The device side of offline work: the service worker and web app manifest served from the site's
root, the "Make available offline" page with the list of pages it keeps on the device, the outbox
page of changes waiting to be sent, and the page of a device cleared because its access was
ended (docs/offline.md)."""

from datetime import date, timedelta
from pathlib import Path

from babel import Locale
from flask import Blueprint, current_app, jsonify, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from score_app.auth.access import public
from score_app.auth.models import Role
from score_app.catalog.indicators import INDICATORS
from score_app.catalog.services import module_choices
from score_app.enterprises.access import (
    enterprise_choices,
    get_enterprise_or_404,
    may_see_figures,
    require_figures,
)
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.i18n import current_locale_code, format_number, ngettext
from score_app.i18n import gettext as _
from score_app.kpis import checks, formulas
from score_app.plans import services as plans
from score_app.plans.forms import action_status_label
from score_app.plans.models import ActionStatus
from score_app.training.models import Workshop, WorkshopDay

bp = Blueprint("offline", __name__)

# Those who work on a shop floor with a tablet: trainers and enterprise owners.
OFFLINE_ROLES = (Role.TRAINER, Role.ENTERPRISE_OWNER)
OFFLINE_JS = "js/offline"
COUNT = "%(count)s"  # left in the text for the device's script to fill in


def works_offline(user) -> bool:
    return user.is_authenticated and user.role in OFFLINE_ROLES


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, from the root so that its scope is the whole site; never cached by
    the browser's HTTP cache, so a new version is picked up on the next visit."""
    path = Path(current_app.static_folder) / OFFLINE_JS / "sw.js"
    response = send_file(path, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
@public
def web_manifest():
    """What a tablet needs to keep the app on its home screen."""
    manifest = {
        "name": "SCORE",
        "short_name": "SCORE",
        "start_url": url_for("home.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5f8b",
        "lang": current_locale_code(),
    }
    response = jsonify(manifest)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/offline")
def prepare():
    """'Make available offline': what this device keeps, and the button that keeps it."""
    return render_template("offline/prepare.html", may_work_offline=works_offline(current_user))


@bp.get("/offline/outbox")
def outbox():
    """The changes made on this device and not yet sent; filled in by the device's script from
    its own store, so it works from the device's cache."""
    return render_template("offline/outbox.html")


@bp.get("/offline/unavailable")
def unavailable():
    """What the device shows for a page it did not keep, while offline."""
    return render_template("offline/unavailable.html")


@bp.get("/offline/signed-out")
@public
def signed_out():
    """Where a device lands once it has deleted what it kept because its access was ended (a
    lost or stolen device, docs/offline.md): how many unsent changes went with it."""
    discarded = max(request.args.get("discarded", 0, type=int), 0)
    return render_template("offline/signed_out.html", discarded=discarded)


@bp.get("/offline/enterprises/<int:enterprise_id>/checks.json")
def figure_checks(enterprise_id: int):
    """What the device needs to check a period's figures as the server does before it keeps
    them: each indicator's inputs and limits, the enterprise's workers, and the messages in the
    user's language (kpis/checks.py). Comparisons with a baseline stored on the server are left
    to the server, whose answer the outbox shows."""
    enterprise = get_enterprise_or_404(current_user, enterprise_id)
    require_figures(current_user, enterprise)
    return jsonify(
        workers=enterprise.workers_total,
        max_input=checks.MAX_INPUT,
        max_hours=checks.MAX_HOURS_PER_WORKER_MONTH,
        days_per_month=checks.DAYS_PER_MONTH,
        indicators={ind.code: _indicator_checks(ind) for ind in INDICATORS},
        messages={
            "enter_number": _("Enter a number."),
            "negative": _("Cannot be negative."),
            "too_large": _("This is too large for a factory figure: check it."),
            "whole_number": _("Must be a whole number: this is a count."),
            "start": _("Enter the first day of the period."),
            "end": _("Enter the last day of the period."),
            "end_before_start": _("The last day must be on or after the first day."),
            "future": _("The period cannot end in the future."),
            "comment": _("Add a comment that explains this: %(why)s", why="%(why)s"),
            "hours": _(
                "%(hours)s hours for %(workers)s workers is more than %(limit)s hours per "
                "worker a month.",
                hours="%(hours)s",
                workers=format_number(enterprise.workers_total),
                limit=format_number(checks.MAX_HOURS_PER_WORKER_MONTH),
            ),
        },
    )


def _indicator_checks(indicator) -> dict:
    _part, whole = indicator.inputs
    ones = {spec.name: 1 for spec in indicator.inputs}
    return {
        "inputs": [
            {"name": s.name, "is_count": s.is_count, "is_hours": s.is_hours_worked}
            for s in indicator.inputs
        ],
        # Every formula is the part times a factor, over the whole when it has one.
        "factor": formulas.compute(indicator.code, ones),
        "has_denominator": indicator.has_denominator,
        "is_part_of_whole": indicator.is_part_of_whole,
        "plausible_max": indicator.plausible_max,
        "zero_whole": _(
            "Must be more than zero: %(indicator)s is undefined when it is 0.",
            indicator=indicator.name,
        ),
        "above_whole": _("Cannot be more than %(whole)s.", whole=whole.label.lower()),
        "above_max": checks.warning_text({"code": checks.ABOVE_MAX, "indicator": indicator.code})
        if indicator.plausible_max is not None
        else None,
    }


@bp.get("/offline/manifest.json")
def pages_manifest():
    """The pages this device keeps for offline work: the app's shell, the user's enterprises
    (profile, results, plan and its actions, the period form, a new action), this week's
    workshops with their attendance days, the visit form and the five module guides, in the
    user's language (the pages follow the user's saved language)."""
    if not works_offline(current_user):
        return jsonify(pages=[], assets=[])
    return jsonify(pages=offline_pages(current_user, date.today()), assets=offline_assets())


def offline_pages(user, today: date) -> list[str]:
    pages = [
        url_for("home.index"),
        url_for("offline.prepare"),
        url_for("offline.outbox"),
        url_for("offline.unavailable"),
        url_for("enterprises.list_enterprises"),
        url_for("training.list_sessions"),
        url_for("catalog.list_modules"),
    ]
    pages += [url_for("catalog.read_module", slug=slug) for slug, _t in module_choices("en")]
    enterprise_ids = [enterprise_id for enterprise_id, _name in enterprise_choices(user)]
    enterprises = db.session.scalars(
        select(Enterprise).where(Enterprise.id.in_(enterprise_ids))
    ).all()
    for enterprise in enterprises:
        pages.append(url_for("enterprises.view_enterprise", enterprise_id=enterprise.id))
        if not may_see_figures(user, enterprise):
            continue
        pages += [
            url_for("offline.figure_checks", enterprise_id=enterprise.id),
            url_for("kpis.results", enterprise_id=enterprise.id),
            url_for("kpis.enter_period", enterprise_id=enterprise.id),
            url_for("plans.view_plan", enterprise_id=enterprise.id),
        ]
        plan = plans.active_plan(enterprise.id)
        if plan is not None:
            pages.append(url_for("plans.add_action", enterprise_id=enterprise.id))
            pages += [url_for("plans.view_action", action_id=a.id) for a in plan.actions]
    if user.role == Role.TRAINER:
        pages.append(url_for("visits.create_visit"))
        pages += _workshop_pages(user, today)
    return pages


def _workshop_pages(user, today: date) -> list[str]:
    """This week's workshops (Monday to Sunday) the trainer runs, with each day's attendance."""
    monday = today - timedelta(days=today.weekday())
    days = db.session.scalars(
        select(WorkshopDay)
        .join(Workshop)
        .where(
            Workshop.trainer_id == user.id,
            WorkshopDay.day_date >= monday,
            WorkshopDay.day_date < monday + timedelta(days=7),
        )
        .order_by(WorkshopDay.day_date, Workshop.id)
    ).all()
    pages = []
    for day in days:
        workshop_page = url_for("training.view_workshop", workshop_id=day.workshop_id)
        if workshop_page not in pages:
            pages.append(workshop_page)
        pages.append(url_for("training.attendance", workshop_id=day.workshop_id, day_id=day.id))
    return pages


def offline_assets() -> list[str]:
    """Every style sheet and script of the site, at its current version."""
    static = Path(current_app.static_folder)
    files = sorted(
        path.relative_to(static).as_posix()
        for folder in ("css", "js")
        for path in (static / folder).rglob("*")
        if path.is_file() and path.name != "sw.js"
    )
    versioned = [url_for("static", filename=name) for name in files]
    # The offline modules import each other by plain URL, which the device keeps too.
    plain = [
        f"{current_app.static_url_path}/{name}" for name in files if name.startswith(OFFLINE_JS)
    ]
    return versioned + plain


def plural_forms(message) -> dict[str, str]:
    """A message with a count (`message(n)`: an ngettext of `%(count)s` left as it is), in each
    plural category of the user's language as CLDR and the browser's Intl.PluralRules name
    them, for the script to fill in the count."""
    rule = Locale.parse(current_locale_code()).plural_form
    forms = {}
    for number in range(0, 200):
        category = rule(number)
        if category not in forms:
            forms[category] = message(number)
    return forms


@bp.app_context_processor
def offline_strings() -> dict:
    """The words of the device's offline scripts, from the catalogues like every other string,
    for the block base.html renders on the pages of those who may work offline."""
    # The signed-out page is shown by a device that has just deleted its store: nothing on it
    # may open the store again.
    if not works_offline(current_user) or request.endpoint == "offline.signed_out":
        return {"offline_words": None, "device_check_words": _device_check_words}
    return {"offline_words": _words, "device_check_words": _device_check_words}


def _device_check_words() -> dict:
    """The words of the sign-in page's check of the device (static/js/offline/signin.js)."""
    return {
        "waiting": plural_forms(
            lambda n: ngettext(
                "%(count)s change made on this device waits to be sent. Sign in, then make "
                "this device available offline again to send it.",
                "%(count)s changes made on this device wait to be sent. Sign in, then make "
                "this device available offline again to send them.",
                n,
                count=COUNT,
            )
        )
    }


def _words() -> dict:
    return {
        "online": _("Online"),
        "offline": _("Offline"),
        "last_sync": _("Last sent: %(time)s"),
        "never_synced": _("Nothing sent from this device yet"),
        "sending": _("Sending…"),
        "saved_on_device": _("Saved on this device. It will be sent when the connection returns."),
        "device_ended": _(
            "This device's sign-in has ended. Sign in again and make it available offline to "
            "send the waiting changes."
        ),
        "not_a_number": _("Enter a number."),
        "check_offline": _(
            "Checking needs the connection. Save keeps your figures on this device; they are "
            "checked when they are sent."
        ),
        "photo_label": _("Photo (optional)"),
        "photo_hint": _("Kept on this device and sent with the action."),
        "photo_unreadable": _("This file could not be read as a photo."),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this change? What it holds will be lost."),
        "resend": _("Send mine again over this version"),
        "yours": _("Yours"),
        "on_server": _("Now on the server"),
        "field": _("Field"),
        "deleted": _("It no longer exists on the server."),
        "empty": _("No change is waiting."),
        "made_at": _("Made %(time)s"),
        "everything": _("Everything on the server now"),
        # Field names and values of the records, as the pages name them.
        "labels": {
            "status": _("Status"),
            "problem": _("Problem"),
            "root_cause": _("Root cause"),
            "action": _("Action"),
            "due_date": _("Due date"),
            "start_date": _("Start date"),
            "findings": _("Findings"),
            "visit_date": _("Date of the visit"),
            "comment": _("Comment"),
        },
        "values": {status.value: action_status_label(status) for status in ActionStatus},
        "kinds": {
            "attendance": _("Attendance"),
            "walk_in": _("Walk-in"),
            "figures": _("Figures"),
            "visit": _("Visit"),
            "action": _("New action"),
            "action_status": _("Action status"),
            "action_photo": _("Photo of an action"),
        },
        "states": {
            "waiting": _("Waiting to be sent"),
            "conflict": _("Changed by someone else meanwhile"),
            "invalid": _("Refused: correct it and make it again"),
            "refused": _("Refused"),
        },
        "preparing": _("Keeping the pages on this device…"),
        "prepare_failed": _("The pages could not be kept: check the connection and try again."),
        "waiting": plural_forms(
            lambda n: ngettext(
                "%(count)s change waiting to be sent",
                "%(count)s changes waiting to be sent",
                n,
                count=COUNT,
            )
        ),
        "lost_on_sign_out": plural_forms(
            lambda n: ngettext(
                "%(count)s change made on this device is not sent yet and will be lost. Sign "
                "out anyway?",
                "%(count)s changes made on this device are not sent yet and will be lost. Sign "
                "out anyway?",
                n,
                count=COUNT,
            )
        ),
        "kept": plural_forms(
            lambda n: ngettext(
                "Ready: %(count)s page is kept on this device.",
                "Ready: %(count)s pages are kept on this device.",
                n,
                count=COUNT,
            )
        ),
    }
