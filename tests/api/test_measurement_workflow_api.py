"""The measurement workflow through the API: submit, verify, reopen, change and delete, each on
the version the client last read, within the user's scope and role, nothing half-saved."""

import pytest
from sqlalchemy import delete, select, update

from score_app.extensions import db
from score_app.kpis.models import Measurement, MeasurementAudit
from tests.api.conftest import assert_documented
from tests.api.test_measurements_api import BASELINE
from tests.conftest import saved_meanwhile

API = "/api/v1"
# action -> (method, path after /measurements/<id>)
ACTIONS = {
    "submit": ("POST", "/submit"),
    "verify": ("POST", "/verify"),
    "reopen": ("POST", "/reopen"),
    "patch": ("PATCH", ""),
    "delete": ("DELETE", ""),
}
# action -> (the state it applies to, the rest of a body it would accept)
VALID_STEPS = {
    "submit": ("draft", {}),
    "verify": ("submitted", {}),
    "reopen": ("verified", {"reason": "Wrong month"}),
    "patch": ("draft", {"inputs": {"absent_person_days": 10}, "comment": "Recounted"}),
    "delete": ("draft", {"reason": "Entered twice"}),
}
# Who may take each step of the owner's measurement.
TAKEN_BY = {"verify": "trainer", "reopen": "staff"}
FOLLOW_UP = {
    **BASELINE,
    "phase": "follow_up",
    "period_start": "2025-06-01",
    "period_end": "2025-06-30",
    "inputs": {"absent_person_days": 30, "scheduled_person_days": 1000},
}


@pytest.fixture
def world(create_enterprise, api_as):
    """An enterprise in Ghana with its owner and trainer, and programme staff for Ghana."""
    enterprise = create_enterprise(workers_women=30, workers_men=20)
    clients = {
        "owner": api_as("enterprise_owner", enterprises=[enterprise]),
        "trainer": api_as("trainer", enterprises=[enterprise]),
        "staff": api_as("programme_staff", countries=["GH"]),
    }
    return enterprise, clients


def send(client, action, measurement_id, body=None, **kwargs):
    """One request of the workflow, whose answer must be as the OpenAPI document gives it."""
    method, suffix = ACTIONS[action]
    response = client.open(
        f"{API}/measurements/{measurement_id}{suffix}", method=method, json=body, **kwargs
    )
    assert_documented(response)
    return response


def create(client, enterprise_id, body=BASELINE) -> dict:
    response = client.post(f"{API}/enterprises/{enterprise_id}/measurements", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def step(client, action, measurement: dict, **body) -> dict:
    """A step that must succeed, sent with the version of the measurement as last read."""
    response = send(client, action, measurement["id"], {"version": measurement["version"], **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def in_state(world):
    """A function giving the owner's baseline moved on to draft, submitted or verified."""
    enterprise, clients = world

    def make(status: str) -> dict:
        measurement = create(clients["owner"], enterprise.id)
        if status in ("submitted", "verified"):
            measurement = step(clients["owner"], "submit", measurement)
        if status == "verified":
            measurement = step(clients["trainer"], "verify", measurement)
        assert measurement["status"] == status
        return measurement

    return make


def changing_a_measurement(session) -> bool:
    """Whether this flush writes a measurement: the moment for someone else's save to land."""
    return any(isinstance(obj, Measurement) for obj in (*session.dirty, *session.deleted))


def stored(app, measurement_id):
    """What the database holds of a measurement, or None once deleted."""
    with app.app_context():
        m = db.session.get(Measurement, measurement_id)
        if m is None:
            return None
        return (m.status.value, m.version, m.inputs, str(m.period_start), str(m.period_end),
                m.comment)  # fmt: skip


def audit(app, measurement_id) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(
            select(MeasurementAudit)
            .where(MeasurementAudit.measurement_id == measurement_id)
            .order_by(MeasurementAudit.id)
        )
        return [(row.action.value, row.reason) for row in rows]


def listed(client, enterprise_id) -> list[dict]:
    return client.get(f"{API}/enterprises/{enterprise_id}/measurements").get_json()


def test_a_measurement_goes_through_the_whole_workflow(app, world):
    enterprise, clients = world
    owner, trainer, staff = clients["owner"], clients["trainer"], clients["staff"]
    draft = create(owner, enterprise.id)
    assert (draft["status"], draft["version"]) == ("draft", 1)

    submitted = step(owner, "submit", draft)
    assert (submitted["status"], submitted["version"]) == ("submitted", 2)
    verified = step(trainer, "verify", submitted)
    assert (verified["status"], verified["version"]) == ("verified", 3)
    reopened = step(staff, "reopen", verified, reason="The absences of March were counted in")
    assert (reopened["status"], reopened["version"]) == ("draft", 4)
    changed = step(
        owner, "patch", reopened, inputs={"absent_person_days": 30}, comment="Recounted",
        period_start="2025-02-01", period_end="2025-02-28",
    )  # fmt: skip
    assert changed["inputs"] == {"absent_person_days": 30, "scheduled_person_days": 1000}
    assert (changed["value"], changed["comment"], changed["status"]) == (3.0, "Recounted", "draft")
    assert (changed["period_start"], changed["period_end"]) == ("2025-02-01", "2025-02-28")
    again = step(owner, "submit", changed)
    assert (again["status"], again["version"]) == ("submitted", 6)

    assert listed(owner, enterprise.id) == [again]
    assert audit(app, draft["id"]) == [
        ("create", ""),
        ("submit", ""),
        ("verify", ""),
        ("reopen", "The absences of March were counted in"),
        ("edit", "Recounted"),
        ("submit", ""),
    ]


def test_changing_a_submitted_measurement_sends_it_back_to_draft(world, in_state):
    owner = world[1]["owner"]
    changed = step(owner, "patch", in_state("submitted"), comment="Checked again")
    assert (changed["status"], changed["comment"]) == ("draft", "Checked again")


def test_a_change_keeps_what_it_leaves_out_and_null_blanks_the_comment(world, in_state):
    owner = world[1]["owner"]
    commented = step(owner, "patch", in_state("draft"), comment="From the payroll")
    changed = step(owner, "patch", commented, inputs={"scheduled_person_days": 800})
    assert changed["inputs"] == {"absent_person_days": 40, "scheduled_person_days": 800}
    assert (changed["value"], changed["comment"]) == (5.0, "From the payroll")
    assert changed["period_start"] == BASELINE["period_start"]
    assert step(owner, "patch", changed, comment=None)["comment"] == ""


def test_whoever_entered_the_figures_cannot_verify_them(app, world):
    enterprise, clients = world
    trainer = clients["trainer"]
    submitted = step(trainer, "submit", create(trainer, enterprise.id))
    refused = send(trainer, "verify", submitted["id"], {"version": submitted["version"]})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "status": "Someone other than the person who entered the figures must verify them."
    }
    assert stored(app, submitted["id"])[:2] == ("submitted", 2)
    assert [action for action, _reason in audit(app, submitted["id"])] == ["create", "submit"]


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        ("staff", "submit", "draft"),
        ("staff", "patch", "draft"),
        ("staff", "delete", "draft"),
        ("owner", "verify", "submitted"),
        ("owner", "reopen", "verified"),
        ("trainer", "reopen", "verified"),
    ],
)
def test_a_role_without_the_permission_gets_403(app, world, in_state, role, action, status):
    measurement = in_state(status)
    before = stored(app, measurement["id"])
    body = {"version": measurement["version"], **VALID_STEPS[action][1]}
    refused = send(world[1][role], action, measurement["id"], body)
    assert refused.status_code == 403 and refused.get_json()["error"]
    assert stored(app, measurement["id"]) == before


def test_programme_staff_get_403_saying_why_for_figures_kept_private(
    app, create_enterprise, api_as
):
    private = create_enterprise(data_sharing_consent=False)
    owner = api_as("enterprise_owner", enterprises=[private])
    submitted = step(owner, "submit", create(owner, private.id))
    staff = api_as("programme_staff", countries=["GH"])
    refused = send(staff, "verify", submitted["id"], {"version": submitted["version"]})
    assert refused.status_code == 403
    assert "has not agreed to share its figures" in refused.get_json()["error"]
    assert stored(app, submitted["id"])[0] == "submitted"


@pytest.mark.parametrize("action", ACTIONS)
def test_a_measurement_outside_the_users_scope_is_not_found(
    app, world, create_enterprise, api_as, action
):
    elsewhere = create_enterprise(country="ZA")
    theirs = create(api_as("admin"), elsewhere.id)
    before = stored(app, theirs["id"])
    body = {"version": theirs["version"], **VALID_STEPS[action][1]}
    for client in (world[1]["trainer"], world[1]["staff"]):
        refused = send(client, action, theirs["id"], body)
        assert refused.status_code == 404 and refused.get_json()["error"]
    assert send(world[1]["trainer"], action, 999_999, body).status_code == 404
    assert stored(app, theirs["id"]) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_a_stale_version_is_a_409_with_the_current_record_and_changes_nothing(
    app, world, in_state, action
):
    enterprise, clients = world
    status, rest = VALID_STEPS[action]
    measurement = in_state(status)
    before, history = stored(app, measurement["id"]), audit(app, measurement["id"])
    client = clients[TAKEN_BY.get(action, "owner")]
    stale = {"version": measurement["version"] - 1, **rest}
    refused = send(client, action, measurement["id"], stale)
    assert refused.status_code == 409
    body = refused.get_json()
    assert "Someone else changed this measurement since the version you sent" in body["error"]
    assert body["current"] == measurement == listed(clients["owner"], enterprise.id)[0]
    assert stored(app, measurement["id"]) == before
    assert audit(app, measurement["id"]) == history
    # The version the 409 gives is the one to send.
    seen = {"version": body["current"]["version"], **rest}
    assert send(client, action, measurement["id"], seen).status_code in (200, 204)


@pytest.mark.committing
def test_a_change_saved_by_someone_else_at_the_same_moment_is_a_409_with_theirs(
    app, world, in_state
):
    draft = in_state("draft")
    theirs = (
        update(Measurement)
        .where(Measurement.id == draft["id"])
        .values(input_1=20, value=2.0, version=Measurement.version + 1)
    )
    with saved_meanwhile(theirs, when=changing_a_measurement):
        refused = send(
            world[1]["owner"], "patch", draft["id"],
            {"version": draft["version"], "inputs": {"absent_person_days": 10}},
        )  # fmt: skip
    assert refused.status_code == 409
    current = refused.get_json()["current"]
    assert (current["value"], current["version"]) == (2.0, 2)
    assert [action for action, _reason in audit(app, draft["id"])] == ["create"]


@pytest.mark.committing
@pytest.mark.parametrize("action", ["submit", "patch", "delete"])
def test_a_measurement_deleted_meanwhile_is_a_404_that_says_so(app, world, in_state, action):
    draft = in_state("draft")
    _status, rest = VALID_STEPS[action]
    gone = delete(Measurement).where(Measurement.id == draft["id"])
    with saved_meanwhile(gone, when=changing_a_measurement):
        refused = send(world[1]["owner"], action, draft["id"], {"version": 1, **rest})
    assert refused.status_code == 404
    assert refused.get_json()["error"] == (
        "Someone else deleted this measurement meanwhile; its history is kept."
    )
    assert stored(app, draft["id"]) is None
    assert audit(app, draft["id"]) == [("create", "")]  # nothing of the refused change


@pytest.mark.parametrize(
    ("action", "rest"),
    [("patch", {"inputs": {"absent_person_days": 10}}), ("delete", {"reason": "Entered twice"})],
)
def test_a_verified_measurement_is_locked(app, world, in_state, action, rest):
    verified = in_state("verified")
    before, history = stored(app, verified["id"]), audit(app, verified["id"])
    refused = send(world[1]["owner"], action, verified["id"], {"version": 3, **rest})
    assert refused.status_code == 422
    assert "A verified measurement is locked" in refused.get_json()["errors"]["status"]
    assert stored(app, verified["id"]) == before
    assert audit(app, verified["id"]) == history


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("submit", "submitted", "Only a draft can be submitted."),
        ("verify", "draft", "Only a submitted measurement can be verified."),
        ("reopen", "submitted", "Only a verified measurement can be reopened."),
    ],
)
def test_a_step_from_the_wrong_state_is_a_422_naming_status(
    app, world, in_state, action, status, message
):
    measurement = in_state(status)
    _state, rest = VALID_STEPS[action]
    client = world[1][TAKEN_BY.get(action, "owner")]
    refused = send(client, action, measurement["id"], {"version": measurement["version"], **rest})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"status": message}
    assert stored(app, measurement["id"])[:2] == (status, measurement["version"])


def test_deleting_answers_204_and_keeps_the_audit_trail(app, world, in_state):
    enterprise, clients = world
    submitted = in_state("submitted")
    deleted = send(
        clients["owner"], "delete", submitted["id"], {"version": 2, "reason": "Entered twice"}
    )
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert listed(clients["owner"], enterprise.id) == []
    assert stored(app, submitted["id"]) is None
    assert audit(app, submitted["id"]) == [
        ("create", ""),
        ("submit", ""),
        ("delete", "Entered twice"),
    ]
    again = send(clients["owner"], "delete", submitted["id"], {"version": 2, "reason": "Twice"})
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("action", "body", "field", "message"),
    [
        ("submit", [1], "body", "Send a JSON object"),
        ("submit", {}, "version", "This field is required."),
        ("submit", {"version": "1"}, "version", "Must be a whole number."),
        ("submit", {"version": None}, "version", "Must be a whole number."),
        ("submit", {"version": True}, "version", "Must be a whole number."),
        ("submit", {"version": 1, "colour": "red"}, "colour", "Unknown field."),
        ("delete", {"reason": "Entered twice"}, "version", "This field is required."),
        ("delete", {"version": 1}, "reason", "Say why the measurement is deleted."),
        ("delete", {"version": 1, "reason": "  "}, "reason", "Say why the measurement is deleted."),
        ("delete", {"version": 1, "reason": 5}, "reason", "Must be text."),
        ("patch", {"comment": "Recounted"}, "version", "This field is required."),
        ("patch", {"version": 1, "indicator": "defect_rate"}, "indicator", "Unknown field."),
        ("patch", {"version": 1, "status": "verified"}, "status", "Unknown field."),
        ("patch", {"version": 1, "comment": 5}, "comment", "Must be text."),
        ("patch", {"version": 1, "inputs": None}, "inputs", "named numbers"),
        ("patch", {"version": 1, "inputs": [40, 1000]}, "inputs", "named numbers"),
        (
            "patch",
            {"version": 1, "inputs": {"absent_person_days": "30"}},
            "inputs.absent_person_days",
            "Must be a number.",
        ),
        (
            "patch",
            {"version": 1, "inputs": {"absent_person_days": 1001}},
            "inputs.absent_person_days",
            "Cannot be more than",
        ),
        (
            "patch",
            {"version": 1, "inputs": {"scheduled_person_days": 0}},
            "inputs.scheduled_person_days",
            "more than zero",
        ),
        (
            "patch",
            {"version": 1, "inputs": {"absent_person_days": None}},
            "inputs.absent_person_days",
            "Enter a number.",
        ),
        ("patch", {"version": 1, "inputs": {"colour": 1}}, "inputs.colour", "Not an input"),
        ("patch", {"version": 1, "period_start": "2025-13-01"}, "period_start", "YYYY-MM-DD"),
        ("patch", {"version": 1, "period_start": ""}, "period_start", "YYYY-MM-DD"),
        ("patch", {"version": 1, "period_end": None}, "period_end", "YYYY-MM-DD"),
        ("patch", {"version": 1, "period_end": "2024-12-31"}, "period_end", "on or after"),
        ("patch", {"version": 1, "period_end": "2999-01-31"}, "period_end", "in the future"),
    ],
)
def test_a_bad_body_is_a_422_naming_the_field_and_nothing_changes(
    app, world, in_state, action, body, field, message
):
    draft = in_state("draft")
    before, history = stored(app, draft["id"]), audit(app, draft["id"])
    refused = send(world[1]["owner"], action, draft["id"], body)
    assert refused.status_code == 422
    assert message in refused.get_json()["errors"][field]
    assert stored(app, draft["id"]) == before
    assert audit(app, draft["id"]) == history


def test_several_bad_fields_are_named_together(world, in_state):
    draft = in_state("draft")
    body = {"version": "1", "comment": 5, "colour": "red"}
    refused = send(world[1]["owner"], "patch", draft["id"], body)
    assert set(refused.get_json()["errors"]) == {"version", "comment", "colour"}


def test_a_new_period_taken_by_another_measurement_is_refused_whole(app, world, in_state):
    enterprise, clients = world
    draft = in_state("draft")
    create(clients["owner"], enterprise.id, {**BASELINE, "period_start": "2025-02-01",
                                             "period_end": "2025-02-28"})  # fmt: skip
    before = stored(app, draft["id"])
    refused = send(
        clients["owner"], "patch", draft["id"],
        {"version": 1, "inputs": {"absent_person_days": 10}, "period_start": "2025-02-01",
         "period_end": "2025-02-28"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "already has a measurement" in refused.get_json()["errors"]["period_start"]
    assert stored(app, draft["id"]) == before  # not even the inputs


def test_a_new_period_is_checked_against_the_baseline_of_its_own_cycle(app, world):
    enterprise, clients = world
    owner = clients["owner"]
    create(owner, enterprise.id)  # January: 4.0 % absent
    october = {**BASELINE, "period_start": "2025-10-01", "period_end": "2025-10-31",
               "inputs": {"absent_person_days": 10, "scheduled_person_days": 1000}}  # fmt: skip
    create(owner, enterprise.id, october)  # a new cycle: 1.0 %
    follow_up = create(owner, enterprise.id, FOLLOW_UP)  # June, 3.0 %: January's cycle
    november = {"period_start": "2025-11-01", "period_end": "2025-11-30"}
    refused = send(owner, "patch", follow_up["id"], {"version": follow_up["version"], **november})
    assert refused.status_code == 422  # 3.0 % against October's 1.0 %
    assert "differs from the baseline by more than half" in refused.get_json()["errors"]["comment"]
    assert stored(app, follow_up["id"])[4] == "2025-06-30"

    saved = step(owner, "patch", follow_up, **november, comment="Absences after the new shift")
    assert saved["period_end"] == "2025-11-30"
    assert saved["warnings"] == ["This differs from the baseline by more than half."]
    before_first = {"version": saved["version"], "period_start": "2024-12-01",
                    "period_end": "2024-12-31"}  # fmt: skip
    early = send(owner, "patch", follow_up["id"], before_first)
    assert (
        early.status_code == 422 and "first baseline" in early.get_json()["errors"]["period_start"]
    )


def test_messages_speak_the_requests_language(world, in_state):
    owner = world[1]["owner"]
    submitted = in_state("submitted")
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}
    missing = send(owner, "submit", submitted["id"], {}, headers=french)
    assert missing.get_json()["errors"]["version"] == "Ce champ est obligatoire."
    again = send(owner, "submit", submitted["id"], {"version": 2}, headers=french)
    assert again.get_json()["errors"]["status"] == "Seul un brouillon peut être soumis."
