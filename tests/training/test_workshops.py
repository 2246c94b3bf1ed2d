"""Creating and changing workshops, and who sees which sessions."""

from datetime import date, timedelta

from score_app.extensions import db
from score_app.training.models import Workshop
from tests.conftest import VERSION_FIELD, conflict_table, post_seen, seen_version, sign_in


def _form(enterprises, days, **fields):
    data = {
        "module_slug": "quality-management",
        "place": "Kumasi, Miklin Hotel",
        "enterprise_ids": [e.id for e in enterprises],
        **fields,
    }
    for index, day in enumerate(days):
        data[f"days-{index}"] = day
    return data


def test_trainer_creates_a_two_day_workshop_for_their_enterprises(
    app, client_as, create_enterprise
):
    accra, kumasi = create_enterprise(name="Accra"), create_enterprise(name="Kumasi")
    client = client_as("trainer", enterprises=[accra, kumasi])
    response = client.post(
        "/training/workshops/new", data=_form([accra, kumasi], ["2026-03-10", "2026-03-11"])
    )
    assert response.status_code == 302
    with app.app_context():
        workshop = db.session.get(Workshop, int(response.location.rsplit("/", 1)[1]))
        assert [d.day_date for d in workshop.days] == [date(2026, 3, 10), date(2026, 3, 11)]
        assert {e.name for e in workshop.enterprises} == {"Accra", "Kumasi"}


def test_workshop_needs_a_day_and_an_enterprise_the_trainer_works_with(
    client_as, create_enterprise
):
    mine, other = create_enterprise(), create_enterprise()
    client = client_as("trainer", enterprises=[mine])
    page = client.post("/training/workshops/new", data=_form([other], [])).get_data(True)
    assert "Enter at least one day." in page
    assert "Choose at least one enterprise you work with." in page


def test_the_same_day_twice_is_refused_and_the_place_is_kept(client_as, create_enterprise):
    mine = create_enterprise()
    client = client_as("trainer", enterprises=[mine])
    page = client.post(
        "/training/workshops/new",
        data=_form([mine], ["2026-03-10", "2026-03-10"], place="Tamale training centre"),
    ).get_data(True)
    assert "Each day can be entered only once." in page
    assert 'value="Tamale training centre"' in page


def test_a_day_with_attendance_cannot_be_dropped(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    workshop, days = session_world["workshop"], session_world["days"]
    client.post(
        f"/training/workshops/{workshop}/days/{days[1]}/mark",
        data={"person_id": session_world["people"]["kojo"], "present": "1"},
    )
    page = post_seen(
        client,
        f"/training/workshops/{workshop}/edit",
        data=_form([session_world["accra"]], ["2025-03-11"], module_slug="workplace-cooperation"),
    ).get_data(True)
    assert "A day with attendance marked cannot be removed" in page


def test_sessions_page_splits_upcoming_and_past_for_the_trainer(
    app, client_as, create_enterprise, create_workshop, create_user
):
    mine = create_enterprise()
    trainer = create_user("trainer", enterprises=[mine])
    soon = date.today() + timedelta(days=7)
    create_workshop(trainer, [mine], days=[soon], place="Upcoming place")
    create_workshop(trainer, [mine], days=[date(2024, 5, 1)], place="Past place")
    page = sign_in(app.test_client(), trainer).get("/training").get_data(True)
    assert page.index("Upcoming place") < page.index("Past place")


def test_owners_see_the_workshops_of_their_enterprise_only(
    app, session_world, create_enterprise, create_user, create_workshop
):
    elsewhere = create_enterprise(name="Elsewhere")
    other_trainer = create_user("trainer", enterprises=[elsewhere])
    create_workshop(other_trainer, [elsewhere], place="Not for the owner")
    owner = create_user("enterprise_owner", enterprises=[session_world["accra"]])
    page = sign_in(app.test_client(), owner).get("/training").get_data(True)
    assert "Accra" in page
    assert "Not for the owner" not in page


def test_a_workshop_saved_by_someone_else_meanwhile_shows_both_versions(
    app, client_as, session_world
):
    trainer = sign_in(app.test_client(), session_world["trainer"])
    admin = client_as("admin", full_name="Yaw Admin")
    workshop_id, accra = session_world["workshop"], session_world["accra"]
    edit = f"/training/workshops/{workshop_id}/edit"
    trainers_version = seen_version(trainer, edit)
    # The admin drops Kumasi: only the workshop's list of enterprises changes.
    days = ["2025-03-11", "2025-03-12"]
    theirs = _form([accra], days, module_slug="workplace-cooperation", place="Accra",
                   trainer_id=session_world["trainer"].id)  # fmt: skip
    assert post_seen(admin, edit, data=theirs).status_code == 302

    both = [accra, session_world["kumasi"]]
    mine = _form(both, [*days, "2025-03-13"], module_slug="workplace-cooperation", place="Accra")
    refused = trainer.post(edit, data={"version": trainers_version, **mine})
    html = refused.get_data(True)
    assert refused.status_code == 409
    assert "Yaw Admin saved a new version" in html
    table = conflict_table(html)
    assert table["Enterprises taking part"] == ("Accra Works", "Accra Works, Kumasi Works", True)
    assert table["Days"] == (
        "Mar 11, 2025, Mar 12, 2025", "Mar 11, 2025, Mar 12, 2025, Mar 13, 2025", True
    )  # fmt: skip
    assert table["Place"] == ("Accra", "Accra", False)
    assert 'value="2025-03-13"' in html  # the day the trainer added is kept
    with app.app_context():
        stored = db.session.get(Workshop, workshop_id)
        assert ([e.name for e in stored.enterprises], len(stored.days)) == (["Accra Works"], 2)

    again = trainer.post(edit, data={"version": VERSION_FIELD.search(html).group(1), **mine})
    assert again.status_code == 302
    with app.app_context():
        stored = db.session.get(Workshop, workshop_id)
        assert (len(stored.enterprises), len(stored.days)) == (2, 3)
