"""A device's offline work, sent when the connection returns: each queued operation applied on
its own through the forms and use cases of the pages, and answered applied, duplicate,
conflict, invalid, refused or skipped (docs/sync.md)."""

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from score_app.api.inputs import as_formdata, check_types, form_errors, numeric_inputs
from score_app.api.records import (
    action_json,
    attendance_json,
    measurement_json,
    visit_json,
    walk_in_json,
)
from score_app.auth import policy
from score_app.auth.models import SYNC_OPERATION, ApiToken, SyncOperation, User
from score_app.db_errors import first_save_wins
from score_app.enterprises.access import (
    enterprise_choices,
    get_enterprise_or_404,
    get_figures_or_404,
    require_figures,
)
from score_app.exceptions import EditConflict, InvalidInput, NotAllowed, NotFound
from score_app.extensions import db
from score_app.i18n import current_locale_code, format_number, ngettext
from score_app.i18n import gettext as _
from score_app.kpis import services as kpis
from score_app.kpis.forms import PeriodForm
from score_app.plans import photos
from score_app.plans import services as plans
from score_app.plans.forms import ActionForm
from score_app.training import services as training
from score_app.training.access import get_day_i_run, get_visit_or_404
from score_app.training.forms import WalkInForm
from score_app.visits import services as visits
from score_app.visits.forms import VisitForm

# A batch: enough for a day of field work (40 taps, a period of 13 figures, visits, actions),
# small enough to be answered well within a request's time.
MAX_OPERATIONS = 200
MAX_BYTES = 1_000_000

APPLIED, DUPLICATE, CONFLICT = "applied", "duplicate", "conflict"
INVALID, REFUSED, SKIPPED = "invalid", "refused", "skipped"

OPERATION_FIELDS = {
    "id": str,
    "kind": str,
    "payload": "object",
    "base_version": int,
    "recorded_at": str,
}


class Stale(Exception):
    """The record changed since the operation's base version; `current()` reads it as stored now
    (None if it was deleted), once the refused change is rolled back."""

    def __init__(self, current: Callable[[], dict | None]):
        super().__init__()
        self.current = current


class Skipped(Exception):
    """The operation refers to an earlier one of the batch that was not applied."""

    def __init__(self, ref: str):
        super().__init__(ref)
        self.ref = ref


def too_many(count: int) -> str:
    return ngettext(
        "A sync takes at most %(max)s operation; this one has %(count)s. Send the rest in "
        "another batch.",
        "A sync takes at most %(max)s operations; this one has %(count)s. Send the rest in "
        "another batch.",
        MAX_OPERATIONS,
        max=format_number(MAX_OPERATIONS),
        count=format_number(count),
    )


def run(user: User, device: ApiToken, operations: list) -> list[dict]:
    """Apply each operation in order, each in its own transaction, and answer each."""
    answers, earlier = [], {}
    for raw in operations:
        answer = _answer(user, device, raw, earlier)
        answers.append(answer)
        if answer["id"] is not None:
            earlier[answer["id"]] = answer  # an id sent twice: the later answer is the one known
    return answers


def _answer(user: User, device: ApiToken, raw, earlier: dict[str, dict]) -> dict:
    client_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    answer = {"id": client_id}
    try:
        kind, payload, base_version, recorded_at = _parsed(raw)
        done = _applied_before(user, client_id)
        if done is not None:
            return answer | {"status": DUPLICATE, **_result(done)}
        payload = {name: _resolved(name, value, user, earlier) for name, value in payload.items()}
        kind_of = KINDS[kind]
        check_types(payload, kind_of.fields, required=kind_of.required, nullable=kind_of.nullable)
        applied = _apply(user, device, client_id, kind, recorded_at, payload, base_version)
        return answer | {"status": APPLIED, **applied}
    except Skipped as skipped:
        message = _("It depends on operation %(id)s, which was not applied.", id=skipped.ref)
        return answer | {"status": SKIPPED, "error": message}
    except InvalidInput as error:
        db.session.rollback()
        return answer | {"status": INVALID, "errors": error.errors}
    except (NotFound, NotAllowed) as error:
        db.session.rollback()
        return answer | {"status": REFUSED, "error": _refusal(error)}
    except Stale as stale:
        db.session.rollback()
        return answer | {"status": CONFLICT, "error": _changed(), "current": stale.current()}
    except EditConflict:
        # Someone else's save at the same moment, or this very operation sent twice at once.
        db.session.rollback()
        done = _applied_before(user, client_id)
        if done is not None:
            return answer | {"status": DUPLICATE, **_result(done)}
        return answer | {"status": CONFLICT, "error": _changed(), "current": None}


def _refusal(error: NotFound | NotAllowed) -> str:
    reason = getattr(error, "reason", None)
    return reason or _(
        "This is outside what you may reach or do: the enterprise or workshop may no longer be "
        "assigned to you. Nothing was changed."
    )


def _changed() -> str:
    return _(
        "Someone else changed this record since your device read it, so nothing was done. Its "
        "current state is given here: check it, and send your change again on it."
    )


def _parsed(raw) -> tuple[str, dict, int | None, datetime]:
    if not isinstance(raw, dict):
        raise InvalidInput({"operation": _("Each operation must be a JSON object.")})
    check_types(
        raw, OPERATION_FIELDS, required=("id", "kind", "payload", "recorded_at"),
        nullable=("base_version",),
    )  # fmt: skip
    errors = {}
    if not _is_uuid(raw["id"]):
        errors["id"] = _("Must be a UUID made by the device, such as %(example)s.", example=_UUID)
    if raw["kind"] not in KINDS:
        errors["kind"] = _("Unknown kind: use one of %(kinds)s.", kinds=", ".join(KINDS))
    recorded_at = _device_time(raw["recorded_at"])
    if recorded_at is None:
        errors["recorded_at"] = _(
            "Must be the device's date and time in ISO 8601, such as %(example)s.",
            example="2026-03-02T09:30:00+00:00",
        )
    if errors:
        raise InvalidInput(errors)
    return raw["kind"], raw["payload"], raw.get("base_version"), recorded_at


_UUID = "0b7e5f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


def _is_uuid(text: str) -> bool:
    """A UUID written the one way (lower case, with its hyphens), so that an operation sent
    again is known by its id."""
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _device_time(text: str) -> datetime | None:
    """The device's time in UTC, as timestamps are stored; a time without an offset is UTC."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):  # not a date and time, or out of the years 1-9999
        return None
    return moment


def _applied_before(user: User, client_id: str | None) -> SyncOperation | None:
    if client_id is None:
        return None
    return db.session.scalar(
        select(SyncOperation).where(
            SyncOperation.user_id == user.id, SyncOperation.client_id == client_id
        )
    )


def _result(done: SyncOperation) -> dict:
    return done.result or {"record": None, "version": None}


def _resolved(name: str, value, user: User, earlier: dict[str, dict]):
    """A payload value with each {"ref": "<client id>"} in it (alone or in a list) replaced by
    the id of the record that earlier operation stored."""
    if isinstance(value, list):
        return [_resolved(name, item, user, earlier) for item in value]
    if isinstance(value, dict) and set(value) == {"ref"}:
        return _referred_id(name, value["ref"], user, earlier)
    return value


def _referred_id(name: str, ref, user: User, earlier: dict[str, dict]) -> int:
    answer = earlier.get(ref) if isinstance(ref, str) else None
    if answer is None:
        done = _applied_before(user, ref if isinstance(ref, str) else None)
        answer = {"status": APPLIED, **_result(done)} if done is not None else None
    if answer is None:
        raise InvalidInput({name: _("It refers to no earlier operation of yours.")})
    if answer["status"] not in (APPLIED, DUPLICATE):
        raise Skipped(ref)
    record = answer.get("record") or {}
    if not isinstance(record.get("id"), int):
        raise InvalidInput({name: _("It refers to an operation that stored no single record.")})
    return record["id"]


@first_save_wins
def _apply(user, device, client_id, kind, recorded_at, payload, base_version) -> dict:
    """One operation in one transaction: its use case commits the change, its audit rows and the
    operation's record together; the answer is kept with the record afterwards. Another save at
    the same moment (this very operation sent twice at once, or two taps of one person) is an
    edit conflict, as in the use cases."""
    done = SyncOperation(
        user_id=user.id, device_id=device.id, client_id=client_id, kind=kind,
        recorded_at=recorded_at,
    )  # fmt: skip
    db.session.add(done)
    db.session.flush()
    db.session.info[SYNC_OPERATION] = done.id
    try:
        result = KINDS[kind].apply(user, payload, base_version)
    finally:
        db.session.info.pop(SYNC_OPERATION, None)
    done.result = result
    db.session.commit()
    return result


def _stored(record: dict) -> dict:
    return {"record": record, "version": record.get("version")}


def _validated(form):
    if not form.validate():
        raise InvalidInput(form_errors(form))
    return form


def _form(form_class, values: dict):
    return form_class(formdata=as_formdata(values), meta={"csrf": False})


ATTENDANCE = {"workshop_id": int, "day_id": int, "person_id": int, "present": bool}


def mark_attendance(user: User, payload: dict, _base_version) -> dict:
    """One tap on the attendance page: a person present or not on a day of a workshop one runs."""
    day = get_day_i_run(user, payload["workshop_id"], payload["day_id"])
    training.mark_present(user, day, payload["person_id"], payload["present"])
    return _stored(attendance_json(day.id, payload["person_id"], payload["present"]))


WALK_IN = {
    "workshop_id": int,
    "day_id": int,
    "enterprise_id": int,
    "full_name": str,
    "sex": str,
    "job_role": str,
}


def add_walk_in(user: User, payload: dict, _base_version) -> dict:
    """Someone who came unlisted, added to one of the workshop's enterprises and marked present."""
    day = get_day_i_run(user, payload["workshop_id"], payload["day_id"])
    form = _validated(_form(WalkInForm, payload).fill_choices(day.workshop))
    person = training.add_walk_in(
        user, day, form.enterprise_id.data, form.full_name.data, form.sex.data, form.job_role.data
    )
    return _stored(walk_in_json(person, day.id))


FIGURES = {
    "enterprise_id": int,
    "phase": str,
    "period_start": "date",
    "period_end": "date",
    "entries": "object",
    "versions": "object",
}
ENTRY = {"inputs": dict, "comment": str}


def save_figures(user: User, payload: dict, _base_version) -> dict:
    """A period's figures saved as drafts, as the period form saves them: every filled indicator
    or none, with the same checks and warnings that need a comment. Figures already stored for
    the period are changed only on the versions the device read (`versions` by indicator), and
    verified ones never."""
    enterprise = get_enterprise_or_404(user, payload["enterprise_id"])
    policy.require(user, policy.MEASUREMENT_ENTER)
    period = _validated(_form(PeriodForm, payload))
    entries = _entries(payload["entries"])
    fields = {
        "phase": period.phase.data,
        "period_start": period.period_start.data,
        "period_end": period.period_end.data,
    }
    try:
        saved = kpis.save_period(
            user, enterprise, **fields, entries=entries, locale=current_locale_code(),
            seen_versions=_versions(payload.get("versions")),
        )  # fmt: skip
    except EditConflict:
        now = _figures_now(enterprise.id, fields)
        raise Stale(lambda: _period_json(enterprise.id, fields, now())) from None
    return _stored(_period_json(enterprise.id, fields, saved))


def _entries(raw: dict) -> dict[str, tuple[dict, str]]:
    """{code: {"inputs": {name: number}, "comment": text}} as the period form reads its rows."""
    entries, errors = {}, {}
    for code, entry in raw.items():
        if not isinstance(entry, dict):
            errors[code] = _("Must be a JSON object.")
            continue
        try:
            check_types(entry, ENTRY)
        except InvalidInput as error:
            errors.update({f"{code}.{name}": msg for name, msg in error.errors.items()})
            continue
        inputs, input_errors = numeric_inputs(entry.get("inputs"))
        errors.update({f"{code}.{name}": msg for name, msg in input_errors.items()})
        entries[code] = (inputs, entry.get("comment") or "")
    if errors:
        raise InvalidInput(errors)
    return entries


def _versions(raw: dict | None) -> dict[str, int | None]:
    versions = raw or {}
    wrong = [code for code, v in versions.items() if isinstance(v, bool) or not isinstance(v, int)]
    if wrong:
        raise InvalidInput({f"versions.{code}": _("Must be a whole number.") for code in wrong})
    return versions


def _figures_now(enterprise_id: int, fields: dict) -> Callable[[], list]:
    """What reads the period's figures as stored (once the refused save is rolled back)."""
    period = (fields["phase"], fields["period_start"], fields["period_end"])

    def read() -> list:
        return [
            m
            for m in kpis.measurements_of(enterprise_id)
            if (m.phase, m.period_start, m.period_end) == period
        ]

    return read


def _period_json(enterprise_id: int, fields: dict, measurements: list) -> dict:
    return {
        "enterprise_id": enterprise_id,
        "phase": fields["phase"],
        "period_start": fields["period_start"].isoformat(),
        "period_end": fields["period_end"].isoformat(),
        "measurements": [measurement_json(m) for m in measurements],
        "version": None,
    }


VISIT = {
    "visit_id": int,
    "enterprise_id": int,
    "module_slug": str,
    "visit_date": "date",
    "findings": str,
    "next_steps": str,
    "action_ids": list,
}


def save_visit(user: User, payload: dict, base_version) -> dict:
    """A visit recorded, or changed on the version the device read (`visit_id`), with the plan
    actions it followed up when `action_ids` is given."""
    policy.require(user, policy.VISIT_RECORD)
    visit_id = payload.get("visit_id")
    visit = get_visit_or_404(user, visit_id) if visit_id is not None else None
    if payload.get("enterprise_id") is not None:
        get_enterprise_or_404(user, payload["enterprise_id"])
    # The actions it followed up are the service's to check, against the enterprise's plan.
    fields = {name: value for name, value in payload.items() if name != "action_ids"}
    form = _form(VisitForm, fields).fill_choices(enterprise_choices(user), current_locale_code())
    _validated(form)
    try:
        visit = visits.save_visit(
            user, visit, enterprise_id=form.enterprise_id.data,
            module_slug=form.module_slug.data, visit_date=form.visit_date.data,
            findings=form.findings.data or "", next_steps=form.next_steps.data or "",
            action_ids=_action_ids(payload.get("action_ids")), seen_version=base_version,
        )  # fmt: skip
    except EditConflict:
        raise Stale(lambda: _visit_now(user, visit_id)) from None
    return _stored(_visit_now(user, visit.id))


def _action_ids(raw: list | None) -> list[int] | None:
    if raw is not None and any(isinstance(i, bool) or not isinstance(i, int) for i in raw):
        raise InvalidInput({"action_ids": _("Must be a list of whole numbers.")})
    return raw


def _visit_now(user: User, visit_id: int) -> dict | None:
    try:
        visit = get_visit_or_404(user, visit_id)
    except NotFound:
        return None
    return visit_json(visit, [a.id for a in visits.actions_followed_up(visit.id)])


NEW_ACTION = {
    "enterprise_id": int,
    "problem": str,
    "root_cause": str,
    "action": str,
    "responsible": str,
    "start_date": "date",
    "due_date": "date",
    "status": str,
    "module_slug": str,
    "indicator": str,
    "target_value": "number",
    "estimated_cost": "number",
    "realised_savings": "number",
}
NUMBERS = ("target_value", "estimated_cost", "realised_savings")


def add_action(user: User, payload: dict, _base_version) -> dict:
    """A new action in the enterprise's active plan, checked as the action form checks it."""
    enterprise = get_figures_or_404(user, payload["enterprise_id"])
    policy.require(user, policy.PLAN_EDIT)
    plan = plans.active_plan(enterprise.id)
    if plan is None:
        raise InvalidInput({"plan": _("Start a plan first.")})
    texts = {"status": "planned", "module_slug": "", "indicator": ""} | {
        name: value for name, value in payload.items() if name not in NUMBERS
    }
    form = _form(ActionForm, texts).fill_choices(plans.EDITABLE_STATUSES, current_locale_code())
    _validated(form)
    fields = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    # Amounts and the target come as JSON numbers, which need no reading in the user's locale.
    fields.update({name: payload.get(name) for name in NUMBERS})
    return _stored(action_json(plans.add_action(user, plan, fields, current_locale_code())))


ACTION_STATUS = {"action_id": int, "status": str}


def move_action(user: User, payload: dict, base_version) -> dict:
    """An action's quick status buttons: planned, in progress or done, on the version read."""
    action = plans.action_or_none(user, payload["action_id"])
    if action is None:
        raise NotFound
    require_figures(user, action.plan.enterprise)
    policy.require(user, policy.PLAN_EDIT)
    try:
        plans.move_action(user, action, payload["status"], seen_version=base_version)
    except EditConflict:
        raise Stale(lambda: _action_now(user, payload["action_id"])) from None
    return _stored(action_json(action))


def _action_now(user: User, action_id: int) -> dict | None:
    action = plans.action_or_none(user, action_id)
    return action_json(action) if action is not None else None


ACTION_PHOTO = {"action_id": int, "photo": str, "caption": str}


def add_action_photo(user: User, payload: dict, _base_version) -> dict:
    """An evidence photo for an action (one made earlier offline, by `ref`), as the action
    page's upload keeps it: base64 of a JPEG or PNG within the same size limit, cleaned again."""
    action = plans.action_or_none(user, payload["action_id"])
    if action is None:
        raise NotFound
    require_figures(user, action.plan.enterprise)
    policy.require(user, policy.PLAN_EDIT)
    try:
        data = base64.b64decode(payload["photo"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput({"photo": _("Must be a JPEG or PNG photo in base64.")}) from None
    photo = plans.add_photo(
        user, action, data=data, caption=payload.get("caption") or "",
        upload_dir=photos.upload_dir(), max_bytes=photos.max_megabytes() * 1_000_000,
    )  # fmt: skip
    record = {"id": photo.id, "action_id": action.id, "caption": photo.caption, "version": None}
    return _stored(record)


@dataclass(frozen=True)
class Kind:
    """What an operation of a kind does, and the JSON fields its payload takes (checked before
    it runs): those `required`, and those that may be null (by default every text, date or
    object field; see inputs.check_types)."""

    apply: Callable[[User, dict, int | None], dict]
    fields: dict
    required: tuple[str, ...] = ()
    nullable: tuple[str, ...] | None = None


KINDS = {
    "attendance": Kind(mark_attendance, ATTENDANCE, required=tuple(ATTENDANCE)),
    "walk_in": Kind(add_walk_in, WALK_IN, required=("workshop_id", "day_id")),
    "figures": Kind(save_figures, FIGURES, required=("enterprise_id", "entries")),
    "visit": Kind(
        save_visit, VISIT, nullable=tuple(name for name in VISIT if name != "enterprise_id")
    ),
    "action": Kind(add_action, NEW_ACTION, required=("enterprise_id",)),
    "action_status": Kind(move_action, ACTION_STATUS, required=tuple(ACTION_STATUS)),
    "action_photo": Kind(add_action_photo, ACTION_PHOTO, required=("action_id", "photo")),
}
