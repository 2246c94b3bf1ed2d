"""The device side's pages: the service worker and web app manifest at the site's root, the list
of pages a device keeps (only the user's own), the words of the device's scripts from the
catalogues, and sign-out telling the browser to clear what the device kept."""

from datetime import date, timedelta

import pytest

from score_app.extensions import db
from score_app.plans.models import ImprovementPlan, PlanAction
from score_app.training.models import Visit  # noqa: F401 (PlanAction's mapper refers to it)
from tests.conftest import sign_in
from tests.training.conftest import create_workshop  # noqa: F401 (a fixture)

MODULE_PAGES = 5


@pytest.fixture
def scope(app, create_enterprise, create_user, create_workshop):  # noqa: F811
    """A trainer of Accra Works with a workshop this week and one next week; Tema Works is
    someone else's; Accra has a plan with one action."""
    accra, tema = create_enterprise(name="Accra Works"), create_enterprise(name="Tema Works")
    trainer = create_user("trainer", enterprises=[accra])
    today = date.today()
    this_week, _days = create_workshop(trainer, [accra], days=(today,))
    next_week, _days = create_workshop(trainer, [accra], days=(today + timedelta(days=7),))
    with app.app_context():
        plan = ImprovementPlan(
            enterprise_id=accra.id, title="Plan", started_on=date(2025, 2, 1), currency="GHS"
        )
        action = PlanAction(
            plan=plan, problem="Dust", action="Sweep", responsible="Abena",
            due_date=date(2025, 6, 1),
            updated_by_id=trainer.id,
        )  # fmt: skip
        db.session.add_all([plan, action])
        db.session.commit()
        action_id = action.id
    return {
        "accra": accra.id, "tema": tema.id, "trainer": trainer, "this_week": this_week,
        "next_week": next_week, "action": action_id,
    }  # fmt: skip


def test_the_service_worker_is_served_from_the_root_and_checked_on_each_visit(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b'addEventListener("fetch"' in response.data


def test_the_web_app_manifest_opens_the_home_page(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    assert response.get_json()["start_url"] == "/"
    assert response.get_json()["scope"] == "/"


def test_a_trainer_keeps_their_enterprises_plans_this_weeks_workshops_and_the_guides(client, scope):
    sign_in(client, scope["trainer"])
    kept = client.get("/offline/manifest.json").get_json()
    pages = kept["pages"]
    accra, action = scope["accra"], scope["action"]
    for page in (
        f"/enterprises/{accra}", f"/enterprises/{accra}/indicators",
        f"/enterprises/{accra}/measurements/new", f"/enterprises/{accra}/plan",
        f"/enterprises/{accra}/plan/actions/new", f"/actions/{action}",
        f"/training/workshops/{scope['this_week']}", "/training/visits/new", "/offline/outbox",
    ):  # fmt: skip
        assert page in pages
    assert sum(page.startswith("/modules/") for page in pages) == MODULE_PAGES
    assert "/modules" in pages
    assert not any(str(scope["tema"]) in page.split("/") for page in pages)
    assert f"/training/workshops/{scope['next_week']}" not in pages
    assert any(page.startswith(f"/training/workshops/{scope['this_week']}/days/") for page in pages)
    assert "/static/js/offline/main.js" in kept["assets"]
    assert any(a.startswith("/static/css/app.css?v=") for a in kept["assets"])
    for page in pages:
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize("role", ["admin", "programme_staff"])
def test_roles_that_do_not_work_on_the_shop_floor_keep_nothing_and_get_no_status_bar(
    client, create_user, role
):
    sign_in(client, create_user(role))
    assert client.get("/offline/manifest.json").get_json() == {"pages": [], "assets": []}
    assert b"offline-status" not in client.get("/").data


def test_the_offline_pages_need_a_signed_in_user(client):
    for page in ("/offline", "/offline/outbox", "/offline/manifest.json"):
        assert client.get(page).status_code == 302


def test_the_status_bar_is_hidden_without_javascript_and_its_words_are_translated(
    client, create_user
):
    owner = create_user("enterprise_owner", preferred_locale="fr")
    sign_in(client, owner)
    page = client.get("/").get_data(as_text=True)
    assert 'id="offline-status"' in page and "hidden" in page.split('id="offline-status"')[1][:80]
    assert "changements en attente" in page


def test_signing_out_tells_the_browser_to_clear_what_the_device_kept(client, scope):
    sign_in(client, scope["trainer"])
    response = client.post("/logout")
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_device_checks_figures_with_the_servers_rules_and_words(client, scope):
    sign_in(client, scope["trainer"])
    rules = client.get(f"/offline/enterprises/{scope['accra']}/checks.json").get_json()
    efficiency = rules["indicators"]["operating_efficiency"]
    assert efficiency["factor"] == 100 and efficiency["plausible_max"] == 150
    assert efficiency["above_max"] == "Operating efficiency above 150 is unusual: check the inputs."
    assert rules["indicators"]["ltifr"]["factor"] == 1_000_000
    assert rules["indicators"]["osh_incidents"]["has_denominator"] is False
    assert rules["messages"]["comment"] == "Add a comment that explains this: %(why)s"
    assert client.get(f"/offline/enterprises/{scope['tema']}/checks.json").status_code == 404
