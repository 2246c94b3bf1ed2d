"""A trainer's day at phone size: the home page leads to today's attendance, a tap the server
refuses says why, the page works without JavaScript, and a visit is saved with the plan actions
it followed up, then a photo taken at it is added."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from score_app.extensions import db
from score_app.testing import PHONE
from score_app.training.models import WorkshopDay
from tests.e2e.conftest import log_in
from tests.plans.conftest import add_action, png_bytes
from tests.training.conftest import plan_with_actions

# The app is served from a thread of its own, which sees only committed rows.
pytestmark = pytest.mark.committing

DAY_ITSELF = "Attendance can be marked from the day itself."
NO_CONNECTION = "Check the connection"


@pytest.fixture
def trainer_world(create_enterprise, create_user, create_person, create_workshop):
    """A trainer whose one-day workshop for Accra Works, three people listed, is on today."""
    accra = create_enterprise(name="Accra Works")
    for name, sex in (("Abena Owusu", "female"), ("Kojo Mensah", "male"), ("Esi Arthur", "female")):
        create_person(accra, name, sex, "worker")
    trainer = create_user("trainer", enterprises=[accra], full_name="Kofi Boateng")
    workshop_id, day_ids = create_workshop(
        trainer, [accra], days=(date.today(),), place="Accra training room"
    )
    return {"trainer": trainer, "workshop": workshop_id, "day": day_ids[0]}


def move_the_day_to_tomorrow(app, day_id: int) -> None:
    """The workshop is put off by a day while the trainer's page is open."""
    with app.app_context():
        db.session.execute(
            update(WorkshopDay)
            .where(WorkshopDay.id == day_id)
            .values(day_date=date.today() + timedelta(days=1))
        )
        db.session.commit()


def test_home_leads_to_todays_attendance_and_a_refused_tap_says_why(app, phone, trainer_world):
    page = phone
    log_in(page, trainer_world["trainer"])
    today = page.get_by_role("region", name="Today's workshop")
    expect(today).to_contain_text("Accra training room")
    today.get_by_role("link", name="Take today's attendance").tap()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Attendance")
    expect(page.get_by_text("Each tap is saved at once.")).to_be_visible()
    expect(page.get_by_text("Tick everyone present, then save.")).to_be_hidden()
    expect(page.get_by_role("button", name="Save attendance")).to_be_hidden()
    page.locator("label.tap", has_text="Abena Owusu").tap()
    expect(page.locator('h2 [data-count="total"]')).to_have_text("1")

    move_the_day_to_tomorrow(app, trainer_world["day"])
    kojo = page.get_by_role("checkbox", name="Kojo Mensah")
    page.locator("label.tap", has_text="Kojo Mensah").tap()
    expect(page.get_by_role("alert")).to_have_text(DAY_ITSELF)
    expect(page.get_by_role("alert")).not_to_contain_text(NO_CONNECTION)
    expect(kojo).not_to_be_checked()
    expect(page.locator('h2 [data-count="total"]')).to_have_text("1")

    page.reload()
    expect(page.locator("#not-yet")).to_contain_text("This day has not come yet")
    expect(kojo).to_be_disabled()
    expect(page.get_by_role("button", name="Save attendance")).to_have_count(0)


def test_the_page_does_not_move_under_a_finger_when_the_offline_bar_appears(
    open_page, trainer_world
):
    # The bar is filled in by a script that reads the device's store; it is held back here.
    page = open_page(PHONE)
    log_in(page, trainer_world["trainer"])
    held, script = [], re.compile(r"/offline/main\.js")
    page.context.route(script, lambda route: held.append(route))
    page.reload(wait_until="commit")  # the page never finishes loading while its script waits
    link = page.get_by_role("link", name="Take today's attendance")
    expect(link).to_be_visible()
    before = link.bounding_box()
    assert held, "the page asked for the bar's script"
    held[0].continue_()
    page.context.unroute(script)
    expect(page.get_by_text("Online", exact=True)).to_be_visible()
    assert link.bounding_box() == before


def test_a_tap_that_gets_no_answer_asks_to_check_the_connection(open_page, trainer_world):
    # The browser believes it is online but the tap's request gets no answer (a weak signal).
    # Playwright cannot cut a request that passes through a service worker, so this device runs
    # the page without one: what is tested is the page's own script.
    page = open_page({**PHONE, "service_workers": "block"})
    page.context.route(re.compile(r"/mark$"), lambda route: route.abort("internetdisconnected"))
    log_in(page, trainer_world["trainer"])
    page.get_by_role("link", name="Take today's attendance").tap()
    expect(page.get_by_text("Each tap is saved at once.")).to_be_visible()  # the script is on
    page.locator("label.tap", has_text="Esi Arthur").tap()
    expect(page.get_by_role("alert")).to_contain_text(NO_CONNECTION)
    expect(page.get_by_role("checkbox", name="Esi Arthur")).not_to_be_checked()
    # The button that sends every box at once is back for when the connection returns.
    expect(page.get_by_role("button", name="Save attendance")).to_be_visible()


def test_a_tap_made_before_the_page_script_arrives_is_still_saved(open_page, trainer_world):
    # On a slow connection the page shows before its script: the script is held back here.
    page = open_page({**PHONE, "service_workers": "block"})
    held, script = [], re.compile(r"/attendance\.js")
    page.context.route(script, lambda route: held.append(route))
    log_in(page, trainer_world["trainer"])
    page.get_by_role("link", name="Take today's attendance").tap()
    page.locator("label.tap", has_text="Esi Arthur").tap()
    expect(page.get_by_role("checkbox", name="Esi Arthur")).to_be_checked()
    assert held, "the page asked for its script"
    held[0].continue_()
    page.context.unroute(script)
    expect(page.locator('h2 [data-count="total"]')).to_have_text("1")
    page.reload()
    expect(page.get_by_role("checkbox", name="Esi Arthur")).to_be_checked()
    expect(page.locator('h2 [data-count="total"]')).to_have_text("1")


def test_without_javascript_the_page_says_to_tick_and_save(open_page, trainer_world, live_server):
    page = open_page({**PHONE, "java_script_enabled": False})
    log_in(page, trainer_world["trainer"])
    page.get_by_role("link", name="Take today's attendance").click()
    expect(page.get_by_text("Tick everyone present, then save.")).to_be_visible()
    expect(page.get_by_text("Each tap is saved at once.")).to_be_hidden()
    page.get_by_role("checkbox", name="Esi Arthur").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance is saved.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Esi Arthur")).to_be_checked()


def test_a_visit_is_saved_with_the_actions_it_followed_up_then_a_photo_added(app, phone, plan_data):
    owner_id, plan_id = plan_data["users"]["owner"].id, plan_data["plan"]
    add_action(app, plan_id, owner_id, action="Fit guards on the presses")
    add_action(app, plan_id, owner_id, action="Mark the walkways", status="in_progress")
    page = phone
    log_in(page, plan_data["users"]["trainer"])
    page.get_by_text("Menu", exact=True).tap()  # on a phone the links are under the menu
    page.get_by_role("link", name="Training", exact=True).tap()
    page.get_by_role("link", name="Record a visit").tap()
    expect(page.get_by_label("Date of the visit")).to_have_value(date.today().isoformat())
    page.get_by_label("Enterprise").select_option(label="Accra Works")
    page.get_by_label("Module").select_option(label="Workplace Cooperation")
    page.get_by_label("Findings").fill("Guards fitted on two presses of four.")
    actions = page.get_by_role("group", name="Improvement actions followed up at this visit")
    actions.get_by_role("checkbox", name="Fit guards on the presses").check()
    page.get_by_role("button", name="Save").tap()

    expect(page.get_by_text("The visit is saved.")).to_be_visible()
    followed_up = page.locator("section", has_text="Improvement actions followed up")
    expect(followed_up.get_by_role("link", name="Fit guards on the presses")).to_be_visible()
    expect(followed_up).not_to_contain_text("Mark the walkways")

    photos = page.locator("#photos")
    photos.get_by_label("Photo").set_input_files(
        files=[{"name": "presses.png", "mimeType": "image/png", "buffer": png_bytes((40, 30))}]
    )
    photos.get_by_label("Caption").fill("Guards on press 2")
    photos.get_by_role("button", name="Upload the photo").tap()
    expect(page.get_by_text("The photo is added.")).to_be_visible()
    expect(page.get_by_role("img", name="Guards on press 2")).to_be_visible()


def test_the_visit_form_shows_the_actions_of_the_chosen_enterprise_only(
    app, phone, create_enterprise, create_user
):
    accra, tema = create_enterprise(name="Accra Works"), create_enterprise(name="Tema Foods")
    owner = create_user("enterprise_owner", enterprises=[accra, tema])
    plan_with_actions(app, accra, owner, ("Fit guards on the presses", "planned"))
    plan_with_actions(app, tema, owner, ("Fix the cold store door", "planned"))
    trainer = create_user("trainer", enterprises=[accra, tema])
    page = phone
    log_in(page, trainer)
    page.goto("/training/visits/new")
    accra_action = page.get_by_role("checkbox", name="Fit guards on the presses")
    tema_action = page.get_by_role("checkbox", name="Fix the cold store door")
    expect(accra_action).to_be_visible()
    expect(tema_action).to_be_hidden()
    accra_action.check()

    page.get_by_label("Enterprise").select_option(label="Tema Foods")
    expect(accra_action).to_be_hidden()
    tema_action.check()
    page.get_by_label("Module").select_option(label="Workplace Cooperation")
    page.get_by_role("button", name="Save").tap()

    # The tick left on Accra's hidden action is not sent: the visit to Tema is saved.
    expect(page.get_by_text("The visit is saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Visit to Tema Foods")
    expect(page.get_by_role("link", name="Fix the cold store door")).to_be_visible()
    expect(page.get_by_role("link", name="Fit guards on the presses")).to_have_count(0)
