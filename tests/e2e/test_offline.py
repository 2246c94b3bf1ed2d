"""A trainer's tablet without a connection: made available offline once, it opens a workshop day,
the period form and the new action form from its own cache, keeps twenty taps, a walk-in, a
month of 13 figures and an action with its photo in its outbox through a browser restart, and
sends them once when the connection returns; a change made on a stale version comes back as
both versions on the device."""

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import func, select

from score_app.auth import services as auth_services
from score_app.auth.models import ApiToken, SyncOperation, User
from score_app.enterprises.models import Person
from score_app.extensions import db, utcnow
from score_app.kpis.models import Measurement, MeasurementAudit
from score_app.plans import services as plans
from score_app.plans.models import ActionPhoto, ImprovementPlan, PlanAction
from score_app.testing import CHROMIUM, CHROMIUM_ARGS, TABLET, open_chromium
from score_app.training.models import Attendance
from tests.conftest import PASSWORD
from tests.e2e.conftest import TIMEOUT_MS, log_in
from tests.e2e.test_period_workflow import JANUARY

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing

NAMES = [f"Worker {n:02d}" for n in range(1, 23)]  # 22 listed: 20 come
WARNED = "operating_efficiency"
MONTH = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)  # the last full month
COMMENT = "Overtime on a rush order, checked with the supervisor."
NEW_PASSWORD = "a-new-long-password-7"


@pytest.fixture
def floor(app, create_enterprise, create_user, create_person, create_workshop, tmp_path):
    """A trainer of Accra Works, whose one-day workshop is today with 22 people listed, and
    whose plan has one planned action."""
    accra = create_enterprise(name="Accra Works", workers_women=60, workers_men=40)
    for number, name in enumerate(NAMES):
        create_person(accra, name, "female" if number % 2 else "male", "worker")
    trainer = create_user("trainer", enterprises=[accra], full_name="Kofi Boateng")
    workshop_id, (day_id,) = create_workshop(trainer, [accra], days=(date.today(),))
    with app.app_context():
        plan = ImprovementPlan(
            enterprise_id=accra.id, title="Plan", started_on=date(2025, 2, 1), currency="GHS"
        )
        action = PlanAction(
            plan=plan, problem="Dust", action="Sweep daily", responsible="Abena",
            due_date=date(2025, 6, 1), updated_by_id=trainer.id,
        )  # fmt: skip
        db.session.add_all([plan, action])
        db.session.commit()
        action_id = action.id
    return {
        "enterprise": accra.id,
        "trainer": trainer,
        "day_url": f"/training/workshops/{workshop_id}/days/{day_id}",
        "day": day_id,
        "action": action_id,
    }


def big_photo() -> bytes:
    """A phone's photo: 3,000 by 2,000 pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 2000), (30, 120, 200)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def prepare(page, trainer) -> None:
    log_in(page, trainer)
    make_available(page)


def make_available(page) -> None:
    page.get_by_role("link", name="Make available offline").click()
    page.get_by_role("button", name="Make available offline").click()
    expect(page.get_by_role("status")).to_contain_text("pages are kept on this device")


def reopen(playwright, profile, base_url):
    """The same browser profile started again, still without a connection."""
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, base_url=base_url,
        offline=True, **TABLET,
    )  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    return context


def test_a_day_of_work_offline_survives_a_restart_and_is_sent_once(
    app, playwright, live_server, floor, tmp_path
):
    profile = tmp_path / "tablet"
    context = open_chromium(playwright, profile, base_url=live_server, **TABLET)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.pages[0]
    prepare(page, floor["trainer"])
    started = db_now()

    context.set_offline(True)
    page.goto(floor["day_url"])
    expect(page.locator(".offline-status")).to_contain_text("Offline")
    for name in NAMES[:20]:
        page.locator("label.tap", has_text=name).tap()
    expect(page.locator("label.tap .waiting-badge")).to_have_count(20)
    walk_in = page.locator("#walk-in")
    walk_in.locator("[name=full_name]").fill("Kwame Asante")
    walk_in.get_by_role("radio", name="Man", exact=True).check()
    walk_in.locator("[name=job_role][value=worker]").check()
    walk_in.get_by_role("button", name="Add and mark present").click()
    expect(page.locator("#walk-ins-waiting")).to_contain_text("Kwame Asante")
    expect(page.locator(".offline-status")).to_contain_text("21 changes waiting to be sent")

    page.goto(f"/enterprises/{floor['enterprise']}/measurements/new")
    page.get_by_label("Follow-up").check()
    page.get_by_label("Period", exact=True).select_option(MONTH.strftime("%Y-%m"))
    for code, figures in JANUARY.items():
        fields = page.locator(f"#{code} input[type=text]").all()
        for field, figure in zip(fields, figures, strict=True):
            field.fill(figure)
    page.locator(f"#{WARNED} input[type=text]").first.fill("16000")  # 160 %: a warning
    page.locator("#defect_rate input[type=text]").first.fill("1600")  # more than inspected
    page.get_by_role("button", name="Save", exact=True).click()
    # The server's checks, run on the device: nothing is kept until they pass.
    expect(page.locator("#defect_rate .error")).to_have_text("Cannot be more than units inspected.")
    expect(page.locator(f"#{WARNED} .error")).to_contain_text(
        "Add a comment that explains this: Operating efficiency above 150 is unusual"
    )
    expect(page.locator(".offline-status")).to_contain_text("21 changes waiting to be sent")
    page.locator("#defect_rate input[type=text]").first.fill(JANUARY["defect_rate"][0])
    page.locator(f"#{WARNED}-comment").fill(COMMENT)  # its box opened by the warning
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved on this device.")).to_be_visible()
    expect(page.locator(".outbox-item")).to_have_count(22)

    page.goto(f"/enterprises/{floor['enterprise']}/plan/actions/new")
    page.locator("[name=problem]").fill("Fabric offcuts on the floor")
    page.locator("[name=action]").fill("Bins at each cutting table")
    page.locator("[name=responsible]").fill("Abena")
    page.locator("[name=due_date]").fill("2025-09-30")
    page.get_by_label("Photo (optional)").set_input_files(
        files=[{"name": "bins.jpg", "mimeType": "image/jpeg", "buffer": big_photo()}]
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".outbox-item")).to_have_count(24)
    context.close()

    context = reopen(playwright, profile, live_server)
    page = context.pages[0]
    page.goto("/offline/outbox")
    expect(page.locator(".offline-status")).to_contain_text("24 changes waiting to be sent")
    expect(page.locator(".outbox-item")).to_have_count(24)
    with app.app_context():
        assert count(SyncOperation) == 0
    reopened = db_now()

    context.set_offline(False)
    expect(page.get_by_text("No change is waiting.")).to_be_visible()
    expect(page.locator(".offline-status")).to_contain_text("Last sent")
    # The restart ended the browser's session, not the device: signing in again, the device
    # syncs at the first page and finds nothing left to send.
    log_in(page, floor["trainer"])
    page.goto("/offline/outbox")
    expect(page.get_by_text("No change is waiting.")).to_be_visible()
    context.close()

    with app.app_context():
        trainer_id = floor["trainer"].id
        present = db.session.scalars(
            select(Person.full_name)
            .join(Attendance, Attendance.person_id == Person.id)
            .where(Attendance.workshop_day_id == floor["day"])
        ).all()
        assert sorted(present) == sorted([*NAMES[:20], "Kwame Asante"])
        figures = db.session.scalars(select(Measurement)).all()
        assert len(figures) == 13
        assert {m.period_start for m in figures} == {MONTH}
        warned = next(m for m in figures if m.indicator == WARNED)
        assert warned.comment == COMMENT
        [action] = db.session.scalars(
            select(PlanAction).where(PlanAction.action == "Bins at each cutting table")
        ).all()
        [photo] = db.session.scalars(select(ActionPhoto)).all()
        assert photo.action_id == action.id
        with Image.open(f"{app.config['SCORE_UPLOAD_DIR']}/{photo.stored_name}") as kept:
            assert max(kept.size) == 1600

        operations = db.session.scalars(select(SyncOperation)).all()
        assert len(operations) == 24  # 20 taps, a walk-in, a period, an action and its photo
        assert {o.user_id for o in operations} == {trainer_id}
        assert all(o.device_id is not None for o in operations)
        assert all(started <= o.recorded_at < reopened for o in operations)
        assert all(o.synced_at >= reopened for o in operations)
        figures_op = next(o for o in operations if o.kind == "figures")
        audits = db.session.scalars(select(MeasurementAudit)).all()
        assert len(audits) == 13
        assert {a.sync_operation_id for a in audits} == {figures_op.id}
        assert db.session.get(User, trainer_id).full_name == "Kofi Boateng"


def test_a_change_made_on_a_stale_version_shows_both_versions_on_the_device(app, open_page, floor):
    page = open_page(TABLET)
    prepare(page, floor["trainer"])
    page.context.set_offline(True)
    page.goto(f"/actions/{floor['action']}")
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".outbox-item")).to_have_count(1)

    with app.app_context():  # someone else marks it done meanwhile
        action = db.session.get(PlanAction, floor["action"])
        plans.move_action(
            db.session.get(User, floor["trainer"].id), action, "done", seen_version=action.version
        )

    page.context.set_offline(False)
    item = page.locator(".outbox-item")
    expect(item).to_contain_text("Changed by someone else meanwhile")
    both = item.locator("table.both-versions")
    expect(both.get_by_role("columnheader", name="Yours")).to_be_visible()
    expect(both.get_by_role("columnheader", name="Now on the server")).to_be_visible()
    expect(both.locator("tr.differs", has_text="status")).to_contain_text("in progress")
    expect(both.locator("tr.differs", has_text="status")).to_contain_text("done")

    item.get_by_role("button", name="Send mine again over this version").click()
    expect(page.get_by_text("No change is waiting.")).to_be_visible()
    with app.app_context():
        assert db.session.get(PlanAction, floor["action"]).status.value == "in_progress"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def db_now():
    """The time as the server stores it (naive UTC)."""
    return utcnow()


KEPT_ON_DEVICE = """async () => ({
  stores: (await indexedDB.databases()).map((d) => d.name),
  caches: await caches.keys(),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
})"""


def test_signing_out_ends_the_device_and_clears_what_it_kept_after_asking_about_waiting_work(
    app, open_page, floor
):
    page = open_page(TABLET)
    prepare(page, floor["trainer"])
    kept = page.evaluate(KEPT_ON_DEVICE)
    assert "score-offline" in kept["stores"] and "score-pages" in kept["caches"]
    assert kept["workers"] == 1
    page.context.set_offline(True)
    page.goto(floor["day_url"])
    page.locator("label.tap", has_text=NAMES[0]).tap()
    page.route("**/api/v1/sync", lambda route: route.abort())  # the change stays waiting
    page.context.set_offline(False)
    expect(page.locator(".offline-status")).to_contain_text("Online")
    expect(page.locator(".offline-status")).to_contain_text("1 change waiting to be sent")

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Sign out").click()
    for _tick in range(50):  # the question comes once the device has counted its outbox
        if asked:
            break
        page.wait_for_timeout(100)
    expect(page.locator(".offline-status")).to_contain_text("1 change waiting to be sent")
    assert asked == [
        "1 change made on this device is not sent yet and will be lost. Sign out anyway?"
    ]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert page.evaluate(KEPT_ON_DEVICE) == {"stores": [], "caches": [], "workers": 0}
    with app.app_context():
        [device] = db.session.scalars(select(ApiToken).where(ApiToken.is_device)).all()
        assert device.revoked_at is not None


SIGNED_OUT = "This device's offline copy was removed"
NOTHING_KEPT = {"stores": [], "caches": [], "workers": 0}


def tap_offline(page, floor) -> None:
    """One tap on today's attendance without a connection: a change waiting on the device."""
    page.context.set_offline(True)
    page.goto(floor["day_url"])
    page.locator("label.tap", has_text=NAMES[0]).tap()
    expect(page.locator(".offline-status")).to_contain_text("1 change waiting to be sent")


def back_online(page, url: str):
    """The tablet taken out of a drawer, online again, and a page of the app opened."""
    page.close()
    page = page.context.new_page()
    page.context.set_offline(False)
    page.goto(url)
    return page


def attended(app, floor) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Attendance)
            .where(Attendance.workshop_day_id == floor["day"])
        )


def test_a_revoked_device_discards_its_unsent_change_and_everything_it_kept(app, open_page, floor):
    page = open_page(TABLET)
    prepare(page, floor["trainer"])
    enterprise_page = f"/enterprises/{floor['enterprise']}"
    page.goto(enterprise_page)
    tap_offline(page, floor)
    with app.app_context():  # the tablet is reported stolen
        auth_services.revoke_devices(db.session.get(User, floor["trainer"].id))

    # Its session ended too: the page sends it to the sign-in page, which checks the device.
    page = back_online(page, enterprise_page)
    expect(page).to_have_url(re.compile(r"/offline/signed-out\?discarded=1$"))
    expect(page.get_by_role("heading", name=SIGNED_OUT)).to_be_visible()
    expect(page.get_by_text("Access from this device was ended")).to_be_visible()
    expect(page.locator(".discarded")).to_have_text(
        "1 change made on this device and not yet sent was discarded."
    )
    assert page.evaluate(KEPT_ON_DEVICE) == NOTHING_KEPT
    page.context.set_offline(True)
    with pytest.raises(PlaywrightError):  # kept and opened before: unreadable now
        page.goto(enterprise_page)
    assert attended(app, floor) == 0


def test_a_revoked_device_with_nothing_waiting_is_cleared_at_its_next_page(app, open_page, floor):
    page = open_page(TABLET)
    prepare(page, floor["trainer"])
    with app.app_context():  # the trainer revokes the tablet from their account page elsewhere
        trainer = db.session.get(User, floor["trainer"].id)
        [device] = db.session.scalars(select(ApiToken).where(ApiToken.is_device)).all()
        auth_services.revoke_token(device, trainer)

    page.goto("/")  # still signed in: the page's own sync meets the 401
    expect(page).to_have_url(re.compile(r"/offline/signed-out\?discarded=0$"))
    expect(page.locator(".discarded")).to_have_text(
        "No change was waiting to be sent on this device: nothing was lost."
    )
    assert page.evaluate(KEPT_ON_DEVICE) == NOTHING_KEPT


def test_a_new_password_keeps_the_waiting_change_and_asks_to_sign_in_again(app, open_page, floor):
    page = open_page(TABLET)
    prepare(page, floor["trainer"])
    tap_offline(page, floor)
    with app.app_context():  # changed on the trainer's phone: every other session ends
        trainer = db.session.get(User, floor["trainer"].id)
        auth_services.change_password(trainer, PASSWORD, NEW_PASSWORD)

    page = back_online(page, floor["day_url"])
    expect(page.locator("#device-check")).to_have_text(
        "1 change made on this device waits to be sent. Sign in, then make this device "
        "available offline again to send it."
    )
    kept = page.evaluate(KEPT_ON_DEVICE)
    assert "score-offline" in kept["stores"] and kept["workers"] == 1

    log_in(page, floor["trainer"], password=NEW_PASSWORD)
    status = page.locator(".offline-status")
    expect(status).to_contain_text("1 change waiting to be sent")
    ended = status.get_by_text("This device's sign-in has ended.")
    expect(ended).to_be_visible()
    make_available(page)
    page.goto("/offline/outbox")
    expect(page.get_by_text("No change is waiting.")).to_be_visible()
    expect(page.locator(".offline-status").get_by_text("sign-in has ended")).to_be_hidden()
    assert attended(app, floor) == 1


def test_a_401_that_names_no_reason_keeps_the_waiting_change(app, open_page, floor):
    """Something in front of the server (a proxy, a sign-on gateway) answers the sync with its
    own 401 page: that says nothing of a lost device, so nothing typed is deleted."""
    page = open_page(TABLET)
    prepare(page, floor["trainer"])
    tap_offline(page, floor)
    refused = "<html><body>401 Authorization Required</body></html>"
    page.context.route(
        "**/api/v1/sync",
        lambda route: route.fulfill(status=401, body=refused, content_type="text/html"),
    )

    page = back_online(page, floor["day_url"])  # the browser was closed: sign in again
    expect(page.locator("#device-check")).to_have_text(
        "1 change made on this device waits to be sent. Sign in, then make this device "
        "available offline again to send it."
    )
    assert "score-offline" in page.evaluate(KEPT_ON_DEVICE)["stores"]
    log_in(page, floor["trainer"])
    status = page.locator(".offline-status")
    expect(status.get_by_text("This device's sign-in has ended.")).to_be_visible()
    expect(status).to_contain_text("1 change waiting to be sent")
    assert attended(app, floor) == 0

    page.context.unroute("**/api/v1/sync")
    make_available(page)
    page.goto("/offline/outbox")
    expect(page.get_by_text("No change is waiting.")).to_be_visible()
    assert attended(app, floor) == 1


def test_a_device_left_on_the_sign_in_page_is_cleared_when_its_connection_returns(
    app, open_page, floor
):
    page = open_page(TABLET)
    prepare(page, floor["trainer"])
    with app.app_context():  # the session lapses; the device's token still works
        auth_services.end_sessions(db.session.get(User, floor["trainer"].id))
        db.session.commit()
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.context.set_offline(True)
    with app.app_context():
        auth_services.revoke_devices(db.session.get(User, floor["trainer"].id))

    page.context.set_offline(False)
    expect(page).to_have_url(re.compile(r"/offline/signed-out\?discarded=0$"))
    assert page.evaluate(KEPT_ON_DEVICE) == NOTHING_KEPT
