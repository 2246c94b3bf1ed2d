"""A device's offline work sent in one batch (POST /api/v1/sync): each operation applied on its own
through the pages' forms and use cases, answered applied, duplicate, conflict, invalid, refused
or skipped; device tokens registered from a signed-in page and ended by signing out, by an
admin or by a deactivation."""

import base64
import re
import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from score_app.api import sync
from score_app.auth import services as auth_services
from score_app.auth.models import ApiToken, SyncOperation, TokenEnd, User, digest
from score_app.enterprises.models import Person
from score_app.extensions import db
from score_app.kpis.models import Measurement, MeasurementAudit, Status
from score_app.plans.models import ActionPhoto, ImprovementPlan, PlanAction
from score_app.training.models import Attendance, Visit
from tests.api.conftest import assert_documented
from tests.conftest import PASSWORD, post_seen, sign_in
from tests.plans.conftest import jpeg_bytes, png_bytes
from tests.training.conftest import create_workshop  # noqa: F401 (a fixture)

DEVICE_TIME = "2026-03-02T09:30:00+02:00"
MODULE = "workplace-cooperation"


def op(kind: str, payload: dict, base_version=None, client_id=None) -> dict:
    return {
        "id": client_id or str(uuid.uuid4()),
        "kind": kind,
        "payload": payload,
        "base_version": base_version,
        "recorded_at": DEVICE_TIME,
    }


def register(client, label="Blue tablet") -> tuple[int, str]:
    """Register the signed-in client's device: its id and its token."""
    response = client.post("/api/v1/devices", json={"label": label})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return body["device_id"], body["token"]


class Device:
    """A trainer's or owner's device, registered from a signed-in page."""

    def __init__(self, app, user):
        self.app, self.user = app, user
        self.id, self.token = register(sign_in(app.test_client(), user))

    def sync(self, *operations, language=None, raw=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        if language:
            headers["Accept-Language"] = language
        body = raw if raw is not None else {"operations": list(operations)}
        return self.app.test_client().post("/api/v1/sync", json=body, headers=headers)

    def results(self, *operations, **options) -> list[dict]:
        response = self.sync(*operations, **options)
        assert response.status_code == 200, response.get_json()
        assert_documented(response)
        return response.get_json()["results"]


@pytest.fixture
def world(app, create_enterprise, create_user, create_person, create_workshop):  # noqa: F811
    """A trainer of Accra Works and Kumasi Works running a two-day workshop of both in March
    2025, with Abena of Accra listed; Accra has an active plan with one action; Tema Works is
    nobody's here."""
    accra = create_enterprise(name="Accra Works")
    kumasi = create_enterprise(name="Kumasi Works")
    tema = create_enterprise(name="Tema Works")
    trainer = create_user("trainer", enterprises=[accra, kumasi])
    abena = create_person(accra, "Abena", "female", "manager")
    workshop_id, day_ids = create_workshop(trainer, [accra, kumasi])
    with app.app_context():
        ids = {}
        for key, enterprise in (("", accra), ("tema_", tema)):
            plan = ImprovementPlan(
                enterprise_id=enterprise.id, title="Plan", started_on=date(2025, 2, 1),
                currency="GHS",
            )  # fmt: skip
            action = PlanAction(
                plan=plan, problem="Dust", action="Sweep daily", responsible="Abena",
                due_date=date(2025, 6, 1), updated_by_id=trainer.id,
            )  # fmt: skip
            db.session.add_all([plan, action])
            db.session.commit()
            ids[f"{key}action"] = action.id
    return {
        "app": app,
        "accra": accra,
        "kumasi": kumasi,
        "tema": tema,
        "trainer": trainer,
        "abena": abena,
        "workshop": workshop_id,
        "day": day_ids[0],
        **ids,
    }


@pytest.fixture
def device(app, world):
    return Device(app, world["trainer"])


def tap(world, person=None, present=True, **fields) -> dict:
    payload = {
        "workshop_id": world["workshop"],
        "day_id": world["day"],
        "person_id": person if person is not None else world["abena"],
        "present": present,
    }
    return op("attendance", payload | fields)


def walk_in(world, name="Kwame", **fields) -> dict:
    payload = {
        "workshop_id": world["workshop"],
        "day_id": world["day"],
        "enterprise_id": world["accra"].id,
        "full_name": name,
        "sex": "male",
        "job_role": "worker",
    }
    return op("walk_in", payload | fields)


def figures(enterprise_id, entries, **fields) -> dict:
    payload = {
        "enterprise_id": enterprise_id,
        "phase": "baseline",
        "period_start": "2025-01-01",
        "period_end": "2025-01-31",
        "entries": entries,
    }
    return op("figures", payload | fields)


def defects(defective, inspected=1000, comment="") -> dict:
    inputs = {"defective_units": defective, "inspected_units": inspected}
    return {"defect_rate": {"inputs": inputs, "comment": comment}}


def visit_fields(enterprise_id: int, **fields) -> dict:
    visit = {"enterprise_id": enterprise_id, "module_slug": MODULE, "visit_date": "2025-03-20"}
    return visit | fields


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# Registering and ending a device


def test_a_signed_in_device_registers_and_gets_a_token_stored_only_as_its_digest(app, world):
    client = sign_in(app.test_client(), world["trainer"])
    device_id, token = register(client, "  Blue tablet ")
    with app.app_context():
        stored = db.session.get(ApiToken, device_id)
        assert stored.is_device and stored.label == "Blue tablet"
        assert stored.user_id == world["trainer"].id
        assert stored.token_hash == digest(token) and token not in stored.token_hash


def test_registering_needs_a_signed_in_session_not_a_token(app, world, device):
    anonymous = app.test_client().post("/api/v1/devices", json={"label": "Tablet"})
    assert anonymous.status_code == 401
    assert_documented(anonymous)
    with_token = app.test_client().post(
        "/api/v1/devices",
        json={"label": "Tablet"},
        headers={"Authorization": f"Bearer {device.token}"},
    )
    assert with_token.status_code == 401


def test_registering_without_a_name_says_so(app, world):
    client = sign_in(app.test_client(), world["trainer"])
    response = client.post("/api/v1/devices", json={"label": " "})
    assert response.status_code == 422
    assert_documented(response)
    assert "name" in response.get_json()["errors"]["label"]


def test_registering_needs_the_pages_csrf_token(make_app, world):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = client.get("/login").get_data(True)
    login_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    sign_in(client, world["trainer"], csrf_token=login_token)
    refused = client.post("/api/v1/devices", json={"label": "Tablet"})
    assert refused.status_code == 400
    assert_documented(refused)
    assert "did not come from this site" in refused.get_json()["error"]
    page = client.get("/account/tokens").get_data(True)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/api/v1/devices", json={"label": "Tablet"}, headers={"X-CSRFToken": csrf_token}
    )
    assert accepted.status_code == 201


def test_a_plain_api_token_does_not_sync(app, world, api_as):
    response = api_as("trainer").post("/api/v1/sync", json={"operations": []})
    assert response.status_code == 403
    assert_documented(response)
    assert "register this device" in response.get_json()["error"]


def test_signing_out_on_the_device_ends_its_token(app, world, device):
    headers = {"Authorization": f"Bearer {device.token}"}
    signed_out = app.test_client().delete("/api/v1/devices/current", headers=headers)
    assert signed_out.status_code == 204
    assert_documented(signed_out)
    refused = device.sync(tap(world))
    assert refused.status_code == 401
    assert_documented(refused)
    assert refused.get_json() == {
        "error": "This token ended when its device signed out.",
        "reason": "signed_out",
    }
    with app.app_context():
        assert count(Attendance) == 0


def test_an_admin_signs_a_user_out_of_every_device_from_the_users_page(
    app, world, device, create_user
):
    other_device = Device(app, world["trainer"])
    on_the_tablet = sign_in(app.test_client(), world["trainer"])
    admin = sign_in(app.test_client(), create_user("admin"))
    page = admin.get(f"/admin/users/{world['trainer'].id}").get_data(True)
    assert "2 devices keep this account" in page
    response = admin.post(f"/admin/users/{world['trainer'].id}/devices/revoke")
    assert response.status_code == 302
    assert "2 devices of" in admin.get(response.location).get_data(True)
    for ended in (device, other_device):
        refused = ended.sync(tap(world))
        assert refused.status_code == 401
        assert refused.get_json() == {"error": "This token was revoked.", "reason": "revoked"}
    # Whoever holds a lost tablet may be signed in on it too: that session ends as well.
    assert on_the_tablet.get("/").status_code == 302
    assert admin.get("/").status_code == 200


def change_password_in_page(app, user) -> None:
    """The person changes their password on their account page."""
    client = sign_in(app.test_client(), user)
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a-new-password-9",
              "confirm_password": "a-new-password-9"},
    )  # fmt: skip
    assert changed.status_code == 302


def test_a_new_password_ends_the_users_devices(app, world, device):
    change_password_in_page(app, world["trainer"])
    refused = device.sync(tap(world))
    assert refused.status_code == 401
    assert refused.get_json()["reason"] == "password"


def test_a_device_lost_before_a_new_password_is_still_wiped_by_an_admins_sign_out(
    app, world, device, create_user
):
    """The trainer changes the password first, as most people would, then asks an admin to
    sign the lost tablet out: the tablet is told to delete its copy, not to keep it."""
    change_password_in_page(app, world["trainer"])
    assert device.sync().get_json()["reason"] == "password"
    admin = sign_in(app.test_client(), create_user("admin"))
    page = admin.get(f"/admin/users/{world['trainer'].id}").get_data(as_text=True)
    assert "1 device keeps this account's work offline" in page
    assert "Sign out all devices" in page
    admin.post(f"/admin/users/{world['trainer'].id}/devices/revoke")
    assert device.sync().get_json()["reason"] == "revoked"
    page = admin.get(f"/admin/users/{world['trainer'].id}").get_data(as_text=True)
    assert "Sign out all devices" not in page  # told to delete its copy: nothing left to end
    assert "No device keeps this account's work offline." in page


def test_a_device_ended_by_a_new_password_is_told_of_a_later_deactivation(app, world, device):
    with app.app_context():
        trainer = db.session.get(User, world["trainer"].id)
        auth_services.revoke_tokens(trainer, TokenEnd.PASSWORD)
        db.session.commit()
        auth_services.revoke_tokens(trainer, TokenEnd.DEACTIVATED)
        trainer.is_active = False
        db.session.commit()
    assert device.sync().get_json()["reason"] == "deactivated"


def test_a_deactivated_users_devices_stop_working(app, world, device, create_user):
    admin = sign_in(app.test_client(), create_user("admin"))
    trainer = world["trainer"]
    data = {
        "email": trainer.email,
        "full_name": trainer.full_name,
        "role": "trainer",
        "enterprises": [world["accra"].id, world["kumasi"].id],
    }  # is_active left out: deactivated
    assert post_seen(admin, f"/admin/users/{trainer.id}", data).status_code == 302
    refused = device.sync(tap(world))
    assert refused.status_code == 401
    assert refused.get_json() == {"error": "This account is deactivated.", "reason": "deactivated"}


def test_an_ended_tokens_refusal_is_in_the_devices_language(app, world, device):
    with app.app_context():
        auth_services.revoke_devices(db.session.get(User, world["trainer"].id))
    refused = device.sync(language="fr")
    assert refused.get_json()["reason"] == "revoked"
    assert refused.get_json()["error"] == "Ce jeton a été révoqué."


# Limits


def test_a_batch_of_too_many_operations_is_refused_whole(app, world, device):
    response = device.sync(*[tap(world)] * (sync.MAX_OPERATIONS + 1))
    assert response.status_code == 422
    assert_documented(response)
    message = response.get_json()["errors"]["operations"]
    assert "at most 200 operations" in message and "201" in message
    with app.app_context():
        assert count(Attendance) == 0


def test_a_batch_too_large_is_refused_whole(app, world, device):
    huge = walk_in(world, name="x" * sync.MAX_BYTES)
    response = device.sync(tap(world), huge)
    assert response.status_code == 413
    assert_documented(response)
    assert "1,000 kB" in response.get_json()["error"]
    with app.app_context():
        assert count(Attendance) == 0


def test_a_body_without_a_list_of_operations_is_refused(world, device):
    response = device.sync(raw={"operations": {"id": "x"}})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"operations": "Must be a list."}


# Each outcome


def test_every_outcome_in_one_batch(app, world, device):
    tapped = tap(world)
    refused_walk_in = walk_in(world, name="")
    results = device.results(
        tapped,
        dict(tapped),  # the same operation again
        refused_walk_in,
        tap(world, person={"ref": refused_walk_in["id"]}),
        op("action", {"enterprise_id": world["tema"].id, "problem": "x", "action": "y"}),
        op("action_status", {"action_id": world["action"], "status": "done"}, base_version=9),
    )
    assert [r["status"] for r in results] == [
        "applied", "duplicate", "invalid", "skipped", "refused", "conflict",
    ]  # fmt: skip
    assert [r["id"] for r in results[:2]] == [tapped["id"]] * 2
    applied = {"day_id": world["day"], "person_id": world["abena"], "present": True}
    assert results[0]["record"] == results[1]["record"] == applied | {"version": None}
    assert results[2]["errors"] == {"full_name": "This field is required."}
    assert refused_walk_in["id"] in results[3]["error"]
    assert "outside what you may reach" in results[4]["error"]
    assert results[5]["current"]["version"] == 1 and results[5]["current"]["status"] == "planned"
    with app.app_context():
        assert count(Attendance) == 1 and count(Person) == 1  # Abena alone
        assert db.session.get(PlanAction, world["action"]).status.value == "planned"


def test_a_walk_in_and_their_attendance_on_the_next_day_by_reference(app, world, device):
    added = walk_in(world, name="Kwame")
    second_day = tap(world, person={"ref": added["id"]}, day_id=world["day"] + 1)
    results = device.results(added, second_day)
    assert [r["status"] for r in results] == ["applied", "applied"]
    person_id = results[0]["record"]["id"]
    assert results[0]["record"]["full_name"] == "Kwame" and results[0]["version"] == 1
    assert results[1]["record"]["person_id"] == person_id
    with app.app_context():
        marked = db.session.scalars(select(Attendance.workshop_day_id).where(
            Attendance.person_id == person_id)).all()  # fmt: skip
        assert sorted(marked) == [world["day"], world["day"] + 1]


def test_a_reference_to_an_operation_of_an_earlier_batch_works(app, world, device):
    added = walk_in(world)
    device.results(added)
    [result] = device.results(tap(world, person={"ref": added["id"]}, present=False))
    assert result["status"] == "applied"
    assert result["record"]["person_id"] == device.results(added)[0]["record"]["id"]


def test_a_reference_to_no_known_operation_is_invalid(world, device):
    [result] = device.results(tap(world, person={"ref": str(uuid.uuid4())}))
    assert result["status"] == "invalid"
    assert result["errors"] == {"person_id": "It refers to no earlier operation of yours."}


@pytest.mark.parametrize(
    ("operation", "errors"),
    [
        ({"id": "not-a-uuid"}, {"id"}),
        ({"kind": "photo"}, {"kind"}),
        ({"recorded_at": "yesterday"}, {"recorded_at"}),
        ({"recorded_at": "9999-12-31T23:59:59-05:00"}, {"recorded_at"}),
        ({"id": "0B7E5F2A-3C4D-4E5F-8A9B-0C1D2E3F4A5B"}, {"id"}),
        ({"payload": []}, {"payload"}),
        ({"base_version": "3"}, {"base_version"}),
        ({"extra": 1}, {"extra"}),
    ],
)
def test_a_malformed_operation_is_invalid_and_the_others_apply(
    app, world, device, operation, errors
):
    results = device.results(tap(world) | operation, tap(world, present=False))
    assert results[0]["status"] == "invalid" and set(results[0]["errors"]) == errors
    assert results[1]["status"] == "applied"


def test_an_operation_that_is_not_an_object_is_invalid(world, device):
    results = device.results("tap", tap(world))
    assert results[0] == {
        "id": None,
        "status": "invalid",
        "errors": {"operation": "Each operation must be a JSON object."},
    }
    assert results[1]["status"] == "applied"


def test_a_payload_of_the_wrong_types_is_invalid_naming_each_field(world, device):
    [result] = device.results(tap(world, person="Abena", present="yes"))
    assert result["status"] == "invalid"
    assert result["errors"] == {
        "person_id": "Must be a whole number.",
        "present": "Must be true or false.",
    }


def test_a_mark_before_the_day_comes_is_refused_as_the_page_refuses_it(
    app,
    world,
    device,
    create_workshop,  # noqa: F811
):
    workshop_id, [day_id] = create_workshop(
        world["trainer"], [world["accra"]], days=[date(2099, 1, 5)]
    )
    [result] = device.results(tap(world, workshop_id=workshop_id, day_id=day_id))
    assert result["errors"] == {"present": "Attendance can be marked from the day itself."}


# Replaying


def test_replaying_a_batch_creates_nothing_new_and_answers_the_same(app, world, device):
    added = walk_in(world)
    action = op("action", {"enterprise_id": world["accra"].id, "problem": "Scrap", "action":
                           "Check sheet", "responsible": "Kojo", "due_date": "2025-08-01",
                           "estimated_cost": 1250.5})  # fmt: skip
    batch = [
        *(tap(world, present=bool(i % 2)) for i in range(4)),
        added,
        tap(world, person={"ref": added["id"]}),
        figures(world["accra"].id, defects(30)),
        action,
        op("visit", {"enterprise_id": world["accra"].id, "module_slug": MODULE,
                     "visit_date": "2025-03-20", "findings": "Aisles blocked",
                     "next_steps": "5S", "action_ids": [world["action"], {"ref": action["id"]}]}),
    ]  # fmt: skip
    first = device.results(*batch)
    assert {r["status"] for r in first} == {"applied"}
    with app.app_context():
        tables = (Attendance, Person, Measurement, MeasurementAudit, PlanAction, Visit)
        counts = {model: count(model) for model in tables}
        assert count(SyncOperation) == len(batch)
    again = device.results(*batch)
    assert [r["status"] for r in again] == ["duplicate"] * len(batch)
    assert [r["record"] for r in again] == [r["record"] for r in first]
    with app.app_context():
        assert {model: count(model) for model in tables} == counts
        assert count(SyncOperation) == len(batch)
    visit = first[-1]["record"]
    assert visit["action_ids"] == sorted([world["action"], first[-2]["record"]["id"]])
    assert first[-2]["record"]["estimated_cost_minor"] == 125050


def test_an_operation_sent_twice_at_once_is_applied_once(app, world, device, monkeypatch):
    """The second copy finds no record of the first (not yet committed when it looked), then
    meets it when it records itself: it is answered as a duplicate, and applies nothing."""
    tapped = walk_in(world)
    [first] = device.results(tapped)
    looked, seen = [], sync._applied_before

    def not_seen_yet(user, client_id):
        looked.append(client_id)
        return None if len(looked) == 1 else seen(user, client_id)

    monkeypatch.setattr(sync, "_applied_before", not_seen_yet)
    [again] = device.results(tapped)
    assert again["status"] == "duplicate" and again["record"] == first["record"]
    with app.app_context():
        assert count(Person) == 2  # Abena and the one walk-in


# Conflicts


def test_a_stale_base_version_is_a_conflict_carrying_the_current_record(app, world, device):
    [moved] = device.results(
        op("action_status", {"action_id": world["action"], "status": "in_progress"}, 1)
    )
    assert moved["status"] == "applied" and moved["version"] == 2
    [stale] = device.results(
        op("action_status", {"action_id": world["action"], "status": "done"}, base_version=1)
    )
    assert stale["status"] == "conflict"
    assert "changed this record" in stale["error"]
    assert stale["current"]["status"] == "in_progress" and stale["current"]["version"] == 2
    with app.app_context():
        assert db.session.get(PlanAction, world["action"]).status.value == "in_progress"


def test_changing_a_visit_on_a_stale_version_is_a_conflict(app, world, device):
    fields = visit_fields(world["accra"].id, findings="First")
    [made] = device.results(op("visit", fields))
    visit_id = made["record"]["id"]
    [changed] = device.results(op("visit", fields | {"visit_id": visit_id, "findings": "Two"}, 1))
    assert changed["status"] == "applied" and changed["version"] == 2
    [stale] = device.results(op("visit", fields | {"visit_id": visit_id, "findings": "3"}, 1))
    assert stale["status"] == "conflict" and stale["current"]["findings"] == "Two"


def test_figures_already_stored_change_only_on_the_versions_read(app, world, device):
    [first] = device.results(figures(world["accra"].id, defects(30)))
    [unseen] = device.results(figures(world["accra"].id, defects(31)))
    assert unseen["status"] == "conflict"
    [stored] = unseen["current"]["measurements"]
    assert stored["inputs"]["defective_units"] == 30 and stored["version"] == 1
    [seen] = device.results(
        figures(world["accra"].id, defects(31), versions={"defect_rate": stored["version"]})
    )
    assert seen["status"] == "applied"
    assert seen["record"]["measurements"][0]["inputs"]["defective_units"] == 31
    assert first["record"]["measurements"][0]["id"] == seen["record"]["measurements"][0]["id"]


# Figures: the period form's checks


def test_figures_are_saved_as_drafts_with_their_computed_values(app, world, device):
    entries = defects(30) | {
        "absenteeism_rate": {"inputs": {"absent_person_days": 40, "scheduled_person_days": 1000}}
    }
    [result] = device.results(figures(world["accra"].id, entries))
    assert result["status"] == "applied"
    values = {m["indicator"]: (m["value"], m["status"]) for m in result["record"]["measurements"]}
    assert values == {"defect_rate": (3.0, "draft"), "absenteeism_rate": (4.0, "draft")}


def test_synced_absence_takes_half_days_and_refuses_quarters(app, world, device):
    def absence(days):
        inputs = {"absent_person_days": days, "scheduled_person_days": 500}
        return {"absenteeism_rate": {"inputs": inputs}}

    [refused] = device.results(figures(world["accra"].id, absence(12.25)))
    assert refused["errors"] == {
        "absenteeism_rate.inputs.absent_person_days": "Enter whole or half days, like 12 or 12.5."
    }
    [saved] = device.results(figures(world["accra"].id, absence(12.5)))
    assert saved["status"] == "applied"
    assert saved["record"]["measurements"][0]["inputs"]["absent_person_days"] == 12.5


def test_figures_with_a_hard_error_save_nothing(app, world, device):
    entries = defects(1200) | {
        "absenteeism_rate": {"inputs": {"absent_person_days": 40, "scheduled_person_days": 1000}}
    }
    [result] = device.results(figures(world["accra"].id, entries))
    assert result["status"] == "invalid"
    assert set(result["errors"]) == {"defect_rate.inputs.defective_units"}
    with app.app_context():
        assert count(Measurement) == 0


def test_a_warning_needs_a_comment_as_on_the_period_form(app, world, device):
    efficiency = {"operating_efficiency": {"inputs": {"minutes_produced": 1_600_000,
                                                      "minutes_attended": 1_000_000}}}  # fmt: skip
    [warned] = device.results(figures(world["accra"].id, efficiency))
    assert warned["status"] == "invalid"
    assert "150" in warned["errors"]["operating_efficiency.comment"]
    efficiency["operating_efficiency"]["comment"] = "Overtime on a rush order, checked."
    [saved] = device.results(figures(world["accra"].id, efficiency))
    assert saved["status"] == "applied"
    assert saved["record"]["measurements"][0]["warnings"]


def test_figures_that_are_not_numbers_are_named(world, device):
    [result] = device.results(figures(world["accra"].id, defects("30")))
    assert result["errors"] == {"defect_rate.inputs.defective_units": "Must be a number."}


def test_a_sync_never_changes_verified_figures(app, world, device):
    [first] = device.results(figures(world["accra"].id, defects(30)))
    stored = first["record"]["measurements"][0]
    with app.app_context():
        db.session.get(Measurement, stored["id"]).status = Status.VERIFIED
        db.session.commit()
    [result] = device.results(
        figures(world["accra"].id, defects(99), versions={"defect_rate": stored["version"] + 1})
    )
    assert result["status"] == "invalid"
    assert "verified measurement is locked" in result["errors"]["defect_rate.status"]
    with app.app_context():
        assert db.session.get(Measurement, stored["id"]).input_1 == 30


def test_an_owner_enters_figures_but_records_no_visit(app, world, create_user):
    owner = Device(app, create_user("enterprise_owner", enterprises=[world["accra"]]))
    results = owner.results(
        figures(world["accra"].id, defects(30)),
        op("visit", visit_fields(world["accra"].id)),
        tap(world),
    )
    assert [r["status"] for r in results] == ["applied", "refused", "refused"]


# Scope


def test_an_enterprise_out_of_scope_is_refused_per_operation_while_the_others_apply(
    app, world, device
):
    with app.app_context():
        trainer = db.session.get(User, world["trainer"].id)
        trainer.enterprises = [e for e in trainer.enterprises if e.id != world["accra"].id]
        db.session.commit()
    results = device.results(
        figures(world["accra"].id, defects(30)),
        figures(world["kumasi"].id, defects(30)),
        op("action_status", {"action_id": world["action"], "status": "done"}, base_version=1),
        op("visit", visit_fields(world["accra"].id)),
        tap(world),  # the workshop is still the trainer's own
    )
    assert [r["status"] for r in results] == [
        "refused", "applied", "refused", "refused", "applied",
    ]  # fmt: skip
    with app.app_context():
        assert db.session.scalars(select(Measurement.enterprise_id)).all() == [world["kumasi"].id]


def test_another_trainers_workshop_is_refused(app, world, create_user):
    other = Device(app, create_user("trainer", enterprises=[world["accra"]]))
    [result] = other.results(tap(world))
    assert result["status"] == "refused"


# Audit


def test_sync_records_the_user_the_device_and_both_times(app, world, device):
    results = device.results(figures(world["accra"].id, defects(30)), tap(world))
    measurement_id = results[0]["record"]["measurements"][0]["id"]
    with app.app_context():
        [audit] = db.session.scalars(
            select(MeasurementAudit).where(MeasurementAudit.measurement_id == measurement_id)
        ).all()
        done = audit.sync_operation
        assert audit.user_id == world["trainer"].id and done.user_id == world["trainer"].id
        assert done.device_id == device.id and done.device.label == "Blue tablet"
        assert done.recorded_at == datetime(2026, 3, 2, 7, 30)  # the device's time, in UTC
        assert (datetime.now() - done.synced_at).total_seconds() < 3600 * 24
        assert done.kind == "figures" and done.client_id == results[0]["id"]
        tap_done = db.session.scalar(
            select(SyncOperation).where(SyncOperation.client_id == results[1]["id"])
        )
        assert tap_done.device_id == device.id and tap_done.result["record"]["present"]


def test_a_measurements_history_shows_the_device_and_when_it_was_made_there(app, world, device):
    [result] = device.results(figures(world["accra"].id, defects(30)))
    measurement_id = result["record"]["measurements"][0]["id"]
    client = sign_in(app.test_client(), world["trainer"])
    page = client.get(f"/measurements/{measurement_id}").get_data(True)
    assert "Synced from the device “Blue tablet”, where it was made Mar 2, 2026" in page
    history = client.get(f"/enterprises/{world['accra'].id}/history").get_data(True)
    assert "Blue tablet" in history


def test_figures_entered_on_the_pages_carry_no_sync(app, world):
    client = sign_in(app.test_client(), world["trainer"])
    client.post(
        f"/enterprises/{world['accra'].id}/measurements/new",
        data={"phase": "baseline", "period_start": "2025-01-01", "period_end": "2025-01-31",
              "action": "save", "defect_rate-defective_units": "30",
              "defect_rate-inspected_units": "1000"},
    )  # fmt: skip
    with app.app_context():
        [audit] = db.session.scalars(select(MeasurementAudit)).all()
        assert audit.sync_operation_id is None


# Language


def test_messages_follow_the_users_saved_language(app, world, create_user):
    owner = Device(
        app,
        create_user("enterprise_owner", enterprises=[world["accra"]], preferred_locale="fr"),
    )
    results = owner.results(
        figures(world["accra"].id, defects(1200)),
        op("action", {"enterprise_id": world["accra"].id}),
    )
    assert "inspect" not in results[0]["errors"]["defect_rate.inputs.defective_units"]
    assert results[1]["errors"]["problem"] == "Décrivez le problème."


def test_messages_follow_accept_language(world, device):
    [result] = device.results(walk_in(world, name=""), language="fr")
    assert result["errors"] == {"full_name": "Ce champ est obligatoire."}
    response = device.sync(*[tap(world)] * (sync.MAX_OPERATIONS + 1), language="fr")
    assert "au plus 200 opérations" in response.get_json()["errors"]["operations"]


# Photos


def photo_op(action_id, data: bytes, caption="Swept floor") -> dict:
    encoded = base64.b64encode(data).decode()
    return op("action_photo", {"action_id": action_id, "photo": encoded, "caption": caption})


def test_a_new_action_and_its_photo_by_reference_are_kept_once(app, world, device, tmp_path):
    app.config["SCORE_UPLOAD_DIR"] = str(tmp_path / "uploads")
    new = op("action", {"enterprise_id": world["accra"].id, "problem": "Dust", "action": "Mop",
                        "responsible": "Kojo", "due_date": "2025-08-01"})  # fmt: skip
    photo = photo_op({"ref": new["id"]}, jpeg_bytes())
    results = device.results(new, photo)
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[1]["record"]["action_id"] == results[0]["record"]["id"]
    assert [r["status"] for r in device.results(new, photo)] == ["duplicate", "duplicate"]
    with app.app_context():
        kept = db.session.scalars(select(ActionPhoto)).all()
        assert [(p.action_id, p.caption) for p in kept] == [
            (results[0]["record"]["id"], "Swept floor")
        ]
        assert len(list((tmp_path / "uploads").iterdir())) == 1


def test_a_photo_that_is_not_a_picture_or_not_base64_is_invalid(app, world, device, tmp_path):
    app.config["SCORE_UPLOAD_DIR"] = str(tmp_path / "uploads")
    not_base64 = op("action_photo", {"action_id": world["action"], "photo": "not base64!"})
    results = device.results(photo_op(world["action"], b"plain text"), not_base64)
    assert [r["status"] for r in results] == ["invalid", "invalid"]
    assert results[0]["errors"] == {"photo": "Only JPEG and PNG photos can be uploaded."}
    assert results[1]["errors"] == {"photo": "Must be a JPEG or PNG photo in base64."}
    with app.app_context():
        assert count(ActionPhoto) == 0


def test_a_photo_for_an_action_out_of_scope_is_refused(app, world, device, tmp_path):
    app.config["SCORE_UPLOAD_DIR"] = str(tmp_path / "uploads")
    (result,) = device.results(photo_op(world["tema_action"], png_bytes()))
    assert result["status"] == "refused"
    with app.app_context():
        assert count(ActionPhoto) == 0
