"""The OpenAPI 3.1 document of the JSON API, built from the definitions the API itself uses."""

from wtforms.validators import InputRequired, Length, NumberRange

from score_app.api.inputs import (
    BLANKABLE_CHANGES,
    ENTERPRISE_CHANGES,
    ENTERPRISE_FIELDS,
    MEASUREMENT_CHANGES,
    MEASUREMENT_FIELDS,
    NON_NULL_TYPES,
    REASONED_STEP_FIELDS,
    STEP_FIELDS,
)
from score_app.api.sync import KINDS, MAX_BYTES, MAX_OPERATIONS
from score_app.api.views import MAX_PER_PAGE, bp
from score_app.auth.models import TokenEnd
from score_app.auth.services import TOKEN_PREFIX
from score_app.catalog.indicators import INDICATORS, Direction
from score_app.config import DEFAULT_SECTORS
from score_app.enterprises.forms import EnterpriseForm
from score_app.enterprises.models import Enterprise
from score_app.i18n import SUPPORTED_LOCALES
from score_app.kpis.checks import MAX_INPUT
from score_app.kpis.models import Phase, Status

JSON = "application/json"

_TYPES = {
    str: {"type": "string"},
    int: {"type": "integer"},
    bool: {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    dict: {"type": "object"},
    "object": {"type": "object"},
    "number": {"type": "number"},
    list: {"type": "array"},
}

_ENTERPRISE_FIELDS = {
    "name": "The enterprise's name.",
    "country": "ISO 3166-1 alpha-2 code of the country, such as GH.",
    "region": "Region or province.",
    "sector": "A sector code of this installation (setting SCORE_SECTORS; by default "
    + ", ".join(DEFAULT_SECTORS)
    + ").",
    "product": "Main product.",
    "workers_women": "Number of women workers.",
    "workers_men": "Number of men workers.",
    "joined_on": "The day the enterprise joined the programme.",
    "cohort": "The enterprises trained together in one classroom round, such as GH-2026-A.",
    "data_sharing_consent": "Whether the enterprise agrees that its figures enter programme "
    "results. Only admins and the enterprise's owners may give or withdraw it; a change sent "
    "by anyone else is refused with 422.",
    "version": "The enterprise's version: it counts the saves. Send the one last read with a "
    "change.",
}
_CONSENT_ALONE = (
    " A change of consent must come alone: a request that changes it and any other field is "
    "refused with 422, naming data_sharing_consent, and changes nothing. The value read, sent "
    "back unchanged, is no change."
)

_MEASUREMENT_FIELDS = {
    "indicator": "The indicator's code.",
    "phase": "Baseline (before Module 1) or a follow-up; follow-ups are numbered in date order.",
    "period_start": "First day of the period measured.",
    "period_end": "Last day of the period measured; not before the first, not in the future.",
    "inputs": "The indicator's two raw inputs by name; the value is computed from them. "
    "Counts are whole numbers, a denominator cannot be 0 and a part cannot exceed its whole. "
    "Inputs per indicator: "
    + "; ".join(f"{i.code}: {', '.join(s.name for s in i.inputs)}" for i in INDICATORS)
    + ".",
    "comment": "Needed when the figures trigger a plausibility warning (the 422 says why).",
}

_VERSION = (
    "The measurement's version that the client last read. A change made on another version is "
    "refused with 409 and changes nothing: someone else saved the measurement meanwhile."
)
_CHANGE_FIELDS = {
    "version": _VERSION,
    "inputs": "The inputs to change, by name; the others keep their stored values. The same "
    "rules as on creation apply to the result.",
    "comment": _MEASUREMENT_FIELDS["comment"] + " Null or empty blanks it.",
    "period_start": _MEASUREMENT_FIELDS["period_start"],
    "period_end": _MEASUREMENT_FIELDS["period_end"],
    "reason": "Why, kept in the measurement's audit trail; it cannot be empty.",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _or_null(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _object(description: str, properties: dict, required: list[str] | None = None) -> dict:
    """A closed object: every property listed (all required unless told), no others."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def _form_rules(field) -> tuple[bool, dict]:
    """Whether an EnterpriseForm field is required, and the limits its validators set."""
    is_required, limits = False, {}
    for validator in field.kwargs.get("validators", ()):
        if isinstance(validator, InputRequired):
            is_required = True
        elif isinstance(validator, Length) and validator.max != -1:
            limits["maxLength"] = validator.max
        elif isinstance(validator, NumberRange):
            limits.update(minimum=validator.min, maximum=validator.max)
    return is_required, limits


def _enterprise() -> dict:
    columns = Enterprise.__table__.columns
    properties = {"id": {"type": "integer", "minimum": 1}}
    for name, expected in ENTERPRISE_CHANGES.items():
        schema = {**_TYPES[expected], "description": _ENTERPRISE_FIELDS[name]}
        properties[name] = _or_null(schema) if columns[name].nullable else schema
    properties["version"]["minimum"] = 1
    return _object("An enterprise taking part in the programme.", properties)


def _enterprise_input(is_change: bool) -> dict:
    properties, required = {}, []
    if is_change:
        properties["id"] = {
            "type": "integer",
            "description": "Accepted only as the enterprise's own id, so that an object read "
            "with GET can be sent back.",
        }
    for name, expected in (ENTERPRISE_CHANGES if is_change else ENTERPRISE_FIELDS).items():
        field = getattr(EnterpriseForm, name, None)  # consent and version are not on the form
        is_required, limits = _form_rules(field) if field else (False, {})
        schema = {**_TYPES[expected], **limits, "description": _ENTERPRISE_FIELDS[name]}
        if is_required:
            required.append(name)
        elif expected not in NON_NULL_TYPES:
            schema = _or_null(schema)
        properties[name] = schema
    if is_change:
        properties["version"] = {
            "type": "integer",
            "minimum": 1,
            "description": "The enterprise's version that the client last read. A change made "
            "on another version is refused with 409 and changes nothing: someone else saved the "
            "enterprise meanwhile.",
        }
        properties["data_sharing_consent"]["description"] += _CONSENT_ALONE
        return _object(
            "The version read and the fields to change; the others keep their values. The "
            "result is checked as a whole, as on creation." + _CONSENT_ALONE,
            properties,
            required=["version"],
        )
    return _object(
        "A new enterprise. Optional text left out, empty or null is blank; consent is false unless "
        "given. Programme staff place enterprises only in the countries of their scope.",
        properties,
        required=required,
    )


def _indicator() -> dict:
    input_spec = _object(
        "A raw input, stored as entered.",
        {
            "name": {"type": "string", "description": "The input's name in measurements."},
            "label": {"type": "string", "description": "In the request's language."},
            "unit": {"type": "string", "description": "In the request's language."},
            "whole_number": {"type": "boolean", "description": "True for counts."},
            "step": {
                "type": ["number", "null"],
                "description": "The smallest step between two values: 1 for counts, 0.5 for "
                "person-days (half days), null for amounts that take any number.",
            },
        },
    )
    return _object(
        "An indicator of the programme's contract, computed from two raw inputs.",
        {
            "code": _ref("IndicatorCode"),
            "name": {"type": "string", "description": "In the request's language."},
            "unit": {"type": "string", "description": "Percentages are on a 0-100 scale."},
            "direction": _ref("Direction"),
            "inputs": {"type": "array", "items": input_spec, "minItems": 2, "maxItems": 2},
        },
    )


def _inputs_object() -> dict:
    return {
        "type": "object",
        "additionalProperties": {"type": "number", "minimum": 0, "maximum": MAX_INPUT},
    }


def _measurement_field(name: str, expected, description: str) -> dict:
    """The schema of a field of a measurement's request bodies (api/inputs.py gives its type)."""
    kinds = {
        "indicator": _ref("IndicatorCode"),
        "phase": _ref("Phase"),
        "inputs": _inputs_object(),
        "version": {"type": "integer", "minimum": 1},
        "reason": {"type": "string", "pattern": r"\S"},
    }
    return {**kinds.get(name, _TYPES[expected]), "description": description}


def _measurement() -> dict:
    return _object(
        "One figure of an enterprise: an indicator over a period, in one phase.",
        {
            "id": {"type": "integer", "minimum": 1},
            "enterprise_id": {"type": "integer", "minimum": 1},
            "indicator": _ref("IndicatorCode"),
            "phase": _ref("Phase"),
            "period_start": {"type": "string", "format": "date"},
            "period_end": {"type": "string", "format": "date"},
            "inputs": {**_inputs_object(), "description": "The raw inputs as entered."},
            "value": {"type": "number", "description": "Computed from the inputs."},
            "status": {
                "type": "string",
                "enum": [s.value for s in Status],
                "description": "New figures are drafts until submitted, then verified.",
            },
            "comment": {"type": "string"},
            "warnings": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Plausibility warnings it was saved with, written in the "
                "language of this request.",
            },
            "version": {
                "type": "integer",
                "minimum": 1,
                "description": "Counts the measurement's saves; send it back with a change.",
            },
        },
    )


def _measurement_input() -> dict:
    properties, required = {}, []
    for name, expected in MEASUREMENT_FIELDS.items():
        schema = _measurement_field(name, expected, _MEASUREMENT_FIELDS[name])
        if name == "comment":
            schema = _or_null(schema)
        else:
            required.append(name)
        properties[name] = schema
    return _object(
        "A new measurement, saved as a draft. Nothing is saved when a field is refused.",
        properties,
        required=required,
    )


def _measurement_changes() -> dict:
    properties = {}
    for name, expected in MEASUREMENT_CHANGES.items():
        schema = _measurement_field(name, expected, _CHANGE_FIELDS[name])
        properties[name] = _or_null(schema) if name in BLANKABLE_CHANGES else schema
    return _object(
        "Changes to a draft or submitted measurement; the fields left out keep their values. "
        "The result is checked as on creation, period included (another measurement of the same "
        "indicator, phase and period, plausibility warnings that need a comment). A submitted "
        "measurement goes back to draft. Nothing is saved when a field is refused.",
        properties,
        required=["version"],
    )


def _workflow_step(fields: dict, description: str) -> dict:
    properties = {
        name: _measurement_field(name, expected, _CHANGE_FIELDS[name])
        for name, expected in fields.items()
    }
    return _object(description, properties)


def _number_or_null(description: str) -> dict:
    return {"type": ["number", "null"], "description": description}


def _period() -> dict:
    return _object(
        "The period of a figure, and its status (submitted or verified).",
        {
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "status": {"type": "string", "enum": ["submitted", "verified"]},
        },
    )


def _comparison_row() -> dict:
    return _object(
        "Before and after for one indicator with figures. Only submitted and verified figures "
        "count: the latest cycle that has a follow-up (a baseline and the follow-ups after it, "
        "until the next baseline) gives the baseline and its latest, or chosen, follow-up.",
        {
            "indicator": _ref("IndicatorCode"),
            "unit": {"type": "string", "description": "In the request's language."},
            "direction": _ref("Direction"),
            "cycle": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "The cycle shown, counted from the first baseline.",
            },
            "baseline": _number_or_null("The baseline of the cycle shown."),
            "baseline_period": _or_null_ref("Period"),
            "follow_up": _number_or_null("The latest, or the chosen, follow-up of that cycle."),
            "follow_up_period": _or_null_ref("Period"),
            "follow_up_number": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "Which follow-up of its cycle, counted in date order.",
            },
            "compared_per_days": {
                "type": ["integer", "null"],
                "description": "Set (30) when a count over periods of different lengths is "
                "compared per that many days; the changes are then per those days.",
            },
            "change_abs": _number_or_null(
                "Follow-up minus baseline (percentage points for % indicators)."
            ),
            "change_pct": _number_or_null("Relative change in %; null when the baseline is 0."),
            "improved": {
                "type": ["boolean", "null"],
                "description": "Moved the better way by more than rounding; null without both.",
            },
            "newer_baseline": {
                "oneOf": [
                    {"type": "null"},
                    _object(
                        "A baseline after the cycle shown, with no follow-up yet: a new cycle.",
                        {"value": {"type": "number"}, "period": _ref("Period")},
                    ),
                ]
            },
            "drafts": {
                "type": "integer",
                "minimum": 0,
                "description": "Figures of this indicator still in draft: not compared.",
            },
        },
    )


def _or_null_ref(name: str) -> dict:
    return {"oneOf": [{"type": "null"}, _ref(name)]}


def _programme_summary() -> dict:
    count = {"type": "integer", "minimum": 0}
    return _object(
        "One indicator across the enterprises selected, counting only those that consented "
        "to share their figures.",
        {
            "indicator": _ref("IndicatorCode"),
            "n": {**count, "description": "Enterprises with both a baseline and a follow-up."},
            "n_baseline_only": {**count, "description": "Enterprises with only a baseline."},
            "n_follow_up_only": {**count, "description": "Enterprises with only a follow-up."},
            "baseline_mean": _number_or_null("Mean of the enterprises' baseline values."),
            "follow_up_mean": _number_or_null("Mean of the enterprises' follow-up values."),
            "pooled_baseline": _number_or_null(
                "Sum of numerators over sum of denominators at baseline, weighing big firms fairly."
            ),
            "pooled_follow_up": _number_or_null("The same at follow-up."),
            "median_change": _number_or_null("Median of the enterprises' changes."),
            "share_improved": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "Share of the n enterprises that improved, from 0 to 1.",
            },
            "excluded_without_consent": {
                **count,
                "description": "Enterprises selected but left out for lack of consent.",
            },
        },
    )


_SYNC_KINDS = {
    "attendance": "One tap of the attendance page: a person present (or not) on a day of a "
    "workshop the user runs. person_id may refer to a walk-in added earlier.",
    "walk_in": "Someone who came unlisted: added to one of the workshop's enterprises and "
    "marked present on the day; the record's id is the new person's.",
    "figures": "A period's figures saved as drafts, as the period form saves them: entries by "
    "indicator code, each with its inputs and a comment (needed when a figure is warned "
    "about); all or none. Figures already stored for the period change only with their "
    "version in versions (else conflict, with the period's figures as stored); verified "
    "figures never change (invalid).",
    "visit": "A visit recorded, or with visit_id and base_version changed; action_ids, when "
    "given, are the actions of the enterprise's current plan it followed up.",
    "action": "A new action in the enterprise's active plan; amounts and the target are "
    "numbers in the plan's currency; status planned unless given (planned, in_progress, done).",
    "action_status": "An action moved to planned, in_progress or done; base_version is the "
    "action's version the device read.",
    "action_photo": "An evidence photo for an action (action_id may refer to a new action "
    "sent earlier): photo is a JPEG or PNG in base64, within the page upload's size limit and "
    "the batch's; cleaned and kept as an upload is.",
}
_REF = {
    "type": "object",
    "description": "The id of the record stored by an earlier operation of this user (in this "
    "batch or an earlier one), named by its client id. If that operation was not applied in "
    "this batch, this one is skipped.",
    "properties": {"ref": {"type": "string", "format": "uuid"}},
    "required": ["ref"],
    "additionalProperties": False,
}
_ENTRY = _object(
    "The raw inputs of one indicator by name, and a comment.",
    {"inputs": _TYPES[dict], "comment": _or_null(_TYPES[str])},
    required=["inputs"],
)


def _payload_field(name: str, expected, is_nullable: bool) -> dict:
    if expected is int:
        schema = {"anyOf": [_TYPES[int], _ref("Ref")]}
    elif name == "entries":
        schema = {**_TYPES["object"], "additionalProperties": _ref("FigureEntry")}
    elif name == "versions":
        schema = {**_TYPES["object"], "additionalProperties": _TYPES[int]}
    elif expected is list:
        schema = {**_TYPES[list], "items": {"anyOf": [_TYPES[int], _ref("Ref")]}}
    else:
        schema = dict(_TYPES[expected])
    if is_nullable:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _payload(code: str) -> dict:
    kind = KINDS[code]
    fields = kind.fields
    nullable = kind.nullable
    if nullable is None:
        nullable = tuple(n for n, t in fields.items() if t not in NON_NULL_TYPES)
    properties = {name: _payload_field(name, t, name in nullable) for name, t in fields.items()}
    return _object(_SYNC_KINDS[code], properties, required=list(kind.required))


def _payload_name(code: str) -> str:
    return "".join(part.title() for part in code.split("_")) + "Payload"


def _sync_operation(code: str) -> dict:
    return _object(
        f"An operation of kind {code}.",
        {
            "id": {
                "type": "string",
                "format": "uuid",
                "description": "The operation's id, made by the device (a UUID, lower case). "
                "Sent again, the operation is not applied twice: it is answered duplicate, "
                "with the result stored the first time.",
            },
            "kind": {"const": code},
            "payload": _ref(_payload_name(code)),
            "base_version": {
                **_or_null(_TYPES[int]),
                "description": "The version of the record the device changed, as it read it; "
                "null for a new record.",
            },
            "recorded_at": {
                "type": "string",
                "format": "date-time",
                "description": "When the change was made on the device, by its clock "
                "(ISO 8601; without an offset, UTC). Kept in the audit trail with the sync's "
                "own time.",
            },
        },
        required=["id", "kind", "payload", "recorded_at"],
    )


def _sync_schemas() -> dict:
    statuses = (
        "applied: stored now (record, version); duplicate: applied before, the same result "
        "again; conflict: the record changed since base_version (error, current: the record as "
        "stored, null if deleted); invalid: refused input, by field (errors); refused: outside "
        "the user's scope or role (error); skipped: it refers to an operation of this batch "
        "that was not applied (error)."
    )
    return {
        "DeviceInput": _object(
            "A name the person recognises the device by.",
            {"label": {"type": "string", "minLength": 1, "maxLength": 100}},
        ),
        "Device": _object(
            "The registered device: its id and its token, shown once; keep the token on the "
            "device for syncing.",
            {
                "device_id": {"type": "integer", "minimum": 1},
                "label": {"type": "string"},
                "token": {"type": "string"},
            },
        ),
        "Ref": _REF,
        "FigureEntry": _ENTRY,
        **{_payload_name(code): _payload(code) for code in KINDS},
        "SyncOperation": {"oneOf": [_sync_operation(code) for code in KINDS]},
        "SyncBatch": _object(
            f"At most {MAX_OPERATIONS} operations, in the order they were made.",
            {
                "operations": {
                    "type": "array",
                    "maxItems": MAX_OPERATIONS,
                    "items": _ref("SyncOperation"),
                }
            },
        ),
        "SyncResult": _object(
            "What became of one operation. " + statuses,
            {
                "id": _or_null(_TYPES[str]),
                "status": {
                    "type": "string",
                    "enum": ["applied", "duplicate", "conflict", "invalid", "refused", "skipped"],
                },
                "record": _or_null(_TYPES["object"]),
                "version": _or_null(_TYPES[int]),
                "current": _or_null(_TYPES["object"]),
                "error": _TYPES[str],
                "errors": {**_TYPES["object"], "additionalProperties": _TYPES[str]},
            },
            required=["id", "status"],
        ),
        "SyncResults": _object(
            "One result per operation, in the order sent.",
            {"results": {"type": "array", "items": _ref("SyncResult")}},
        ),
    }


def _sync_paths() -> dict:
    device_only = (
        "With the token of a registered device (POST /devices); a plain API token gets 403."
    )
    return {
        "/devices": {
            "post": {
                **_operation(
                    "register_device",
                    "Devices",
                    "Register the device the user is signed in on, for offline work.",
                    {
                        "201": _json(_ref("Device"), "The device and its token."),
                        "400": _json(_ref("Error"), "The page's CSRF token is missing or expired."),
                        "401": _json(_ref("Error"), "Nobody is signed in on this device."),
                        **_refused(422),
                    },
                    body="DeviceInput",
                    description="From a page of the app, signed in with the browser session: "
                    "send the page's CSRF token as X-CSRFToken. No bearer token is taken here. "
                    "The token answered is stored as its digest only; the user's new password, "
                    "an admin (on the user's page) or the account's deactivation ends it.",
                ),
                "security": [{"session": []}],
            }
        },
        "/devices/current": {
            "delete": _operation(
                "revoke_device",
                "Devices",
                "Sign out on the device: its token ends.",
                {"204": {"description": "The token no longer works."}, **_refused(401, 403)},
                description=device_only,
            ),
        },
        "/sync": {
            "post": _operation(
                "sync",
                "Devices",
                "Send the operations a device queued offline.",
                {
                    "200": _json(_ref("SyncResults"), "What became of each operation."),
                    "413": _json(_ref("Error"), f"The body is over {MAX_BYTES:,} bytes."),
                    **_refused(401, 403, 422),
                },
                body="SyncBatch",
                description=device_only
                + " Each operation is applied on its own, in order, through the same checks "
                "as the pages: one refused does not stop the others. See docs/sync.md.",
            ),
        },
    }


def _schemas() -> dict:
    return {
        "IndicatorCode": {"type": "string", "enum": [i.code for i in INDICATORS]},
        "Direction": {
            "type": "string",
            "enum": [d.value for d in Direction],
            "description": "Whether a higher or a lower value is better.",
        },
        "Phase": {"type": "string", "enum": [p.value for p in Phase]},
        "Enterprise": _enterprise(),
        "EnterpriseInput": _enterprise_input(is_change=False),
        "EnterpriseChanges": _enterprise_input(is_change=True),
        "EnterprisePage": _object(
            "One page of enterprises, ordered by name.",
            {
                "items": {"type": "array", "items": _ref("Enterprise")},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                "total": {"type": "integer", "minimum": 0},
                "pages": {"type": "integer", "minimum": 0},
            },
        ),
        "Indicator": _indicator(),
        "Measurement": _measurement(),
        "MeasurementInput": _measurement_input(),
        "MeasurementChanges": _measurement_changes(),
        "WorkflowStep": _workflow_step(STEP_FIELDS, "The version the step is meant for."),
        "ReasonedWorkflowStep": _workflow_step(
            REASONED_STEP_FIELDS, "The version the step is meant for, and why it is taken."
        ),
        "ComparisonRow": _comparison_row(),
        "Period": _period(),
        "ProgrammeSummary": _programme_summary(),
        "Error": _object(
            "What went wrong, in the request's language.", {"error": {"type": "string"}}
        ),
        "Unauthenticated": _object(
            "Why the request is refused, in the request's language, and why the token sent "
            "ended: signed_out (on its device), revoked (by its user or an admin), deactivated "
            "(its account), password (its account's password changed); null when no token, an "
            "unknown one, or one ended before reasons were kept. A device deletes what it keeps "
            "for offline work unless the reason is password (docs/sync.md).",
            {
                "error": {"type": "string"},
                "reason": {
                    "type": ["string", "null"],
                    "enum": [*(end.value for end in TokenEnd), None],
                },
            },
        ),
        "MeasurementConflict": _object(
            "Why nothing was done, in the request's language, and the measurement as stored now.",
            {"error": {"type": "string"}, "current": _ref("Measurement")},
        ),
        "EnterpriseConflict": _object(
            "Why nothing was done, in the request's language, and the enterprise as stored now.",
            {"error": {"type": "string"}, "current": _ref("Enterprise")},
        ),
        **_sync_schemas(),
        "ValidationErrors": _object(
            "Each refused field with its message, in the request's language. Inputs of a "
            "measurement are named inputs.NAME; a body that is not a JSON object is named body.",
            {
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "minProperties": 1,
                }
            },
        ),
    }


def _json(schema: dict, description: str, **extra) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def _responses() -> dict:
    return {
        "Unauthorized": _json(
            _ref("Unauthenticated"),
            "No valid API token was sent.",
            headers={
                "WWW-Authenticate": {
                    "description": "The bearer scheme to use.",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        ),
        "Forbidden": _json(
            _ref("Error"),
            "Not allowed: the user's role may not do this, or the enterprise keeps its figures "
            "from programme staff.",
        ),
        "NotFound": _json(_ref("Error"), "No such enterprise, or it is outside the user's scope."),
        "Invalid": _json(
            _ref("ValidationErrors"), "Refused input, named field by field; nothing changed."
        ),
        "Conflict": _json(
            _ref("Error"),
            "Someone else saved the same measurement at the same moment; nothing changed.",
        ),
        "MeasurementNotFound": _json(
            _ref("Error"),
            "No such measurement, or its enterprise is outside the user's scope, or someone "
            "deleted it while this request was changing it; nothing changed.",
        ),
        "MeasurementChanged": _json(
            _ref("MeasurementConflict"),
            "The version sent is not the stored one, or someone else saved the measurement at "
            "the same moment: nothing changed. The answer carries the measurement as it is now.",
        ),
        "EnterpriseChanged": _json(
            _ref("EnterpriseConflict"),
            "The version sent is not the stored one, or someone else saved the enterprise at "
            "the same moment: nothing changed. The answer carries the enterprise as it is now.",
        ),
    }


_REFUSALS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    422: "Invalid",
}
# A change of one measurement: its 404 may mean deleted meanwhile, its 409 gives the record.
_CHANGE_REFUSALS = {**_REFUSALS, 404: "MeasurementNotFound", 409: "MeasurementChanged"}
_ENTERPRISE_REFUSALS = {**_REFUSALS, 409: "EnterpriseChanged"}


def _refused(*codes: int, names: dict[int, str] = _REFUSALS) -> dict:
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in codes}


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


_ENTERPRISE_ID = {"$ref": "#/components/parameters/enterprise_id"}
_MEASUREMENT_ID = {"$ref": "#/components/parameters/measurement_id"}
_ACCEPT_LANGUAGE = {"$ref": "#/components/parameters/Accept-Language"}


def _operation(
    operation_id: str,
    tag: str,
    summary: str,
    responses: dict,
    parameters=(),
    body=None,
    description: str = "",
) -> dict:
    operation = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "parameters": [*parameters, _ACCEPT_LANGUAGE],
    }
    if description:
        operation["description"] = description
    if body:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(body)}}}
    operation["responses"] = responses
    return operation


def _paths() -> dict:
    text = {"type": "string"}
    day = {**text, "format": "date"}
    filters = [
        _query("country", text, "Country code, such as GH."),
        _query("sector", text, "Sector code, such as garments."),
        _query("cohort", text, "Cohort, such as GH-2025-A."),
        _query("module", text, "Slug of a catalogue module the enterprises took."),
        _query("from", day, "Only measurements whose period starts on or after this day."),
        _query("to", day, "Only measurements whose period ends on or before this day."),
    ]
    figures = "Programme staff get 403 for an enterprise that has not consented to share."
    return {
        "/enterprises": {
            "get": _operation(
                "list_enterprises",
                "Enterprises",
                "The enterprises the user may see, a page at a time.",
                {"200": _json(_ref("EnterprisePage"), "A page of enterprises."), **_refused(401)},
                parameters=[
                    _query("country", text, "Only this country code, such as GH."),
                    _query("sector", text, "Only this sector code."),
                    _query("q", text, "Part of the name, ignoring accents and case."),
                    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
                    _query(
                        "per_page",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                        "Enterprises per page; by default the installation's page size (setting "
                        "SCORE_PAGE_SIZE, 20 unless set).",
                    ),
                ],
            ),
            "post": _operation(
                "create_enterprise",
                "Enterprises",
                "Register an enterprise (admins and programme staff).",
                {
                    "201": _json(
                        _ref("Enterprise"),
                        "The enterprise as stored.",
                        headers={
                            "Location": {
                                "description": "The new enterprise's address in the API.",
                                "required": True,
                                "schema": {"type": "string"},
                            }
                        },
                    ),
                    **_refused(401, 403, 422),
                },
                body="EnterpriseInput",
            ),
        },
        "/enterprises/{enterprise_id}": {
            "parameters": [_ENTERPRISE_ID],
            "get": _operation(
                "get_enterprise",
                "Enterprises",
                "One enterprise.",
                {"200": _json(_ref("Enterprise"), "The enterprise."), **_refused(401, 404)},
            ),
            "patch": _operation(
                "update_enterprise",
                "Enterprises",
                "Change some of an enterprise's fields, or give or withdraw its consent alone.",
                {
                    "200": _json(_ref("Enterprise"), "The enterprise as stored."),
                    **_refused(401, 404, 409, 422, names=_ENTERPRISE_REFUSALS),
                },
                body="EnterpriseChanges",
                description="Send the version last read: a change made on another version is "
                "refused with 409, so nobody overwrites someone else's save unseen (an object "
                "read before the owner withdrew consent cannot give it back)." + _CONSENT_ALONE,
            ),
        },
        "/indicators": {
            "get": _operation(
                "list_indicators",
                "Indicators",
                "Every indicator with its inputs, in the programme's order.",
                {
                    "200": _json({"type": "array", "items": _ref("Indicator")}, "The indicators."),
                    **_refused(401),
                },
            ),
        },
        "/enterprises/{enterprise_id}/measurements": {
            "parameters": [_ENTERPRISE_ID],
            "get": _operation(
                "list_measurements",
                "Measurements",
                "An enterprise's measurements in period order. " + figures,
                {
                    "200": _json(
                        {"type": "array", "items": _ref("Measurement")}, "The measurements."
                    ),
                    **_refused(401, 403, 404),
                },
                parameters=[_query("indicator", text, "Only this indicator code.")],
            ),
            "post": _operation(
                "create_measurement",
                "Measurements",
                "Record a measurement (the enterprise's own people, its trainer, admins).",
                {
                    "201": _json(_ref("Measurement"), "The measurement as stored."),
                    **_refused(401, 403, 404, 409, 422),
                },
                body="MeasurementInput",
            ),
        },
        "/enterprises/{enterprise_id}/comparison": {
            "parameters": [_ENTERPRISE_ID],
            "get": _operation(
                "comparison",
                "Measurements",
                "Baseline against the latest or a chosen follow-up, per indicator. " + figures,
                {
                    "200": _json(
                        {"type": "array", "items": _ref("ComparisonRow")},
                        "One row per indicator with data, in the programme's order.",
                    ),
                    **_refused(401, 403, 404),
                },
                parameters=[
                    _query(
                        "follow_up",
                        {"type": "integer", "minimum": 1},
                        "Compare with this follow-up (1 is the first) instead of the latest.",
                    )
                ],
            ),
        },
        **_measurement_paths(),
        "/programme/summary": {
            "get": _operation(
                "programme_summary",
                "Programme",
                "One indicator across the enterprises in scope that match the filters "
                "(programme staff and admins).",
                {
                    "200": _json(_ref("ProgrammeSummary"), "The aggregate."),
                    **_refused(401, 403, 422),
                },
                parameters=[
                    _query("indicator", _ref("IndicatorCode"), "The indicator.", required=True),
                    *filters,
                ],
            ),
        },
        **_sync_paths(),
    }


def _step(operation_id: str, summary: str, description: str, body="WorkflowStep") -> dict:
    """A step of the workflow: the measurement as stored after it, or why it was refused."""
    return _operation(
        operation_id,
        "Measurements",
        summary,
        {
            "200": _json(_ref("Measurement"), "The measurement as stored."),
            **_refused(401, 403, 404, 409, 422, names=_CHANGE_REFUSALS),
        },
        body=body,
        description=description,
    )


def _measurement_paths() -> dict:
    state = "A measurement in another state is refused with 422, naming status."
    return {
        "/measurements/{measurement_id}": {
            "parameters": [_MEASUREMENT_ID],
            "patch": _step(
                "update_measurement",
                "Change a measurement's inputs, comment or period (who may enter figures).",
                "A verified measurement is locked: 422, naming status, until programme staff "
                "reopen it.",
                body="MeasurementChanges",
            ),
            "delete": _operation(
                "delete_measurement",
                "Measurements",
                "Delete a draft or submitted measurement (who may enter figures).",
                {
                    "204": {"description": "Deleted; its audit trail keeps its history."},
                    **_refused(401, 403, 404, 409, 422, names=_CHANGE_REFUSALS),
                },
                body="ReasonedWorkflowStep",
                description="A verified measurement is locked: 422, naming status.",
            ),
        },
        "/measurements/{measurement_id}/submit": {
            "parameters": [_MEASUREMENT_ID],
            "post": _step(
                "submit_measurement",
                "Submit a draft for verification (who may enter figures).",
                state,
            ),
        },
        "/measurements/{measurement_id}/verify": {
            "parameters": [_MEASUREMENT_ID],
            "post": _step(
                "verify_measurement",
                "Verify a submitted measurement, which locks it (trainers, programme staff, "
                "admins).",
                state + " So is whoever last entered its figures: someone else must verify "
                "them (422, naming status).",
            ),
        },
        "/measurements/{measurement_id}/reopen": {
            "parameters": [_MEASUREMENT_ID],
            "post": _step(
                "reopen_measurement",
                "Reopen a verified measurement as a draft (programme staff, admins).",
                state,
                body="ReasonedWorkflowStep",
            ),
        },
    }


def openapi_document() -> dict:
    """The whole API described as an OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "score_app API",
            "version": "1",
            "summary": "Enterprises, indicators and measurements of a SCORE-style programme.",
            "description": "Send an API token as `Authorization: Bearer "
            "<token>`; tokens are made on the account page (API tokens) or with `flask score "
            "token`, and revoked there. The API applies the same access policy as the pages: "
            "what a user cannot see does not exist (404). Messages follow Accept-Language. "
            "Enterprises and measurements carry a version: send the one last read with every "
            "change, so that nobody overwrites someone else's save unseen (a 409 gives the "
            "current record).",
        },
        "servers": [{"url": bp.url_prefix}],
        "security": [{"bearer": []}],
        "tags": [
            {"name": "Enterprises"},
            {"name": "Indicators"},
            {"name": "Measurements"},
            {"name": "Programme"},
            {"name": "Devices"},
        ],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "responses": _responses(),
            "parameters": {
                "enterprise_id": {
                    "name": "enterprise_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                "measurement_id": {
                    "name": "measurement_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                "Accept-Language": {
                    "name": "Accept-Language",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Language of names, units and messages: "
                    + ", ".join(SUPPORTED_LOCALES)
                    + "; else the user's preferred language, else English.",
                },
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": f"An API token, which starts with {TOKEN_PREFIX}.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The session of a user signed in on the app's pages.",
                },
            },
        },
    }
