"""Marking attendance on the shop floor: one tap, the whole form, walk-ins, and the counts."""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale, format_date
from sqlalchemy import func, select

from score_app.enterprises.models import Person
from score_app.extensions import db
from score_app.training.models import Attendance
from tests.conftest import sign_in
from tests.training.conftest import workshop_of


def _present(app, day_id):
    with app.app_context():
        return set(
            db.session.scalars(
                select(Attendance.person_id).where(Attendance.workshop_day_id == day_id)
            )
        )


def _url(world, day=0, action=""):
    return f"/training/workshops/{world['workshop']}/days/{world['days'][day]}{action}"


def test_one_tap_marks_a_person_and_answers_the_counts(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    abena = session_world["people"]["abena"]
    response = client.post(
        _url(session_world, action="/mark"), data={"person_id": abena, "present": "1"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1
    assert body["by_sex"] == {"female": 1, "male": 0}
    assert body["by_role"] == {"manager": 1, "supervisor": 0, "worker": 0}
    assert _present(app, session_world["days"][0]) == {abena}


def test_repeating_a_tap_changes_nothing_and_untapping_removes(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    kojo = session_world["people"]["kojo"]
    for _ in range(2):
        client.post(_url(session_world, action="/mark"), data={"person_id": kojo, "present": "1"})
    assert _present(app, session_world["days"][0]) == {kojo}
    client.post(_url(session_world, action="/mark"), data={"person_id": kojo, "present": "0"})
    assert _present(app, session_world["days"][0]) == set()


def test_one_tap_refuses_someone_from_another_enterprise(
    app, session_world, create_enterprise, create_person
):
    stranger = create_person(create_enterprise(name="Elsewhere"), "Stranger")
    client = sign_in(app.test_client(), session_world["trainer"])
    response = client.post(
        _url(session_world, action="/mark"), data={"person_id": stranger, "present": "1"}
    )
    assert response.status_code == 422
    assert _present(app, session_world["days"][0]) == set()


def test_the_form_without_javascript_saves_exactly_the_ticked_boxes(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    people = session_world["people"]
    client.post(_url(session_world), data={"present": [people["abena"], people["yaw"]]})
    assert _present(app, session_world["days"][0]) == {people["abena"], people["yaw"]}
    response = client.post(_url(session_world), data={"present": [people["kojo"]]})
    assert response.status_code == 302
    assert _present(app, session_world["days"][0]) == {people["kojo"]}


def test_page_shows_everyone_grouped_with_their_boxes_and_counts(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    client.post(_url(session_world), data={"present": [session_world["people"]["yaw"]]})
    page = client.get(_url(session_world)).get_data(True)
    assert "<legend>Accra Works</legend>" in page and "<legend>Kumasi Works</legend>" in page
    assert f'value="{session_world["people"]["yaw"]}" checked' in page
    assert '<td data-label="Man" data-count="male-supervisor">1</td>' in page
    assert 'data-count="total">1<' in page


def test_a_walk_in_is_registered_and_marked_present(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    response = client.post(
        _url(session_world, action="/walk-in"),
        data={
            "enterprise_id": session_world["kumasi"].id,
            "full_name": "Adwoa Frimpong",
            "sex": "female",
            "job_role": "worker",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.full_name == "Adwoa Frimpong"))
        assert person.enterprise_id == session_world["kumasi"].id
    assert person.id in _present(app, session_world["days"][0])


def test_a_walk_in_with_missing_fields_keeps_what_was_typed_and_saves_nothing(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    response = client.post(
        _url(session_world, action="/walk-in"),
        data={"enterprise_id": session_world["kumasi"].id, "full_name": "Adwoa", "sex": ""},
    )
    page = response.get_data(True)
    assert response.status_code == 422
    assert 'value="Adwoa"' in page
    assert "Not a valid choice." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == 3


def test_only_the_workshops_trainer_marks_attendance(app, session_world, create_user):
    other_trainer = create_user("trainer", enterprises=[session_world["accra"]])
    client = sign_in(app.test_client(), other_trainer)
    response = client.post(
        _url(session_world, action="/mark"),
        data={"person_id": session_world["people"]["abena"], "present": "1"},
    )
    assert response.status_code == 404


def test_sign_in_sheet_lists_the_people_with_a_signature_column(app, session_world):
    import io

    from pypdf import PdfReader

    client = sign_in(app.test_client(), session_world["trainer"])
    response = client.get(_url(session_world, day=1, action="/sign-in.pdf"))
    assert response.content_type == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    for expected in ("Signature", "Abena", "Kojo", "Yaw", "Kumasi Works", "Accra", "12, 2025"):
        assert expected in text


@pytest.mark.parametrize(
    ("lang", "day_of", "page_of"),
    [("en", "Day 2 of 2", "Page {n} of {total}"), ("fr", "Jour 2 sur 2", "Page {n} sur {total}")],
)
def test_every_page_of_a_long_sign_in_sheet_names_the_workshop_day_date_and_page(
    app, session_world, create_person, lang, day_of, page_of
):
    import io

    from pypdf import PdfReader

    for n in range(30):
        create_person(session_world["accra"], f"Walk-in {n:02d}")
    client = sign_in(app.test_client(), session_world["trainer"])
    client.post("/locale", data={"locale": lang})
    response = client.get(_url(session_world, day=1, action="/sign-in.pdf"))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]
    assert len(pages) >= 3  # 41 rows of 9 mm
    with app.app_context():
        day = workshop_of(app, session_world["workshop"]).days[1].day_date
        with force_locale(lang):
            date_text = format_date(day, "full")
    for n, text in enumerate(pages, start=1):
        assert day_of in text and date_text in text, text
        assert page_of.format(n=n, total=len(pages)) in text, text


@pytest.fixture
def tomorrow_world(session_world, create_workshop):
    """The same trainer and enterprises, with a workshop that starts tomorrow."""
    tomorrow = date.today() + timedelta(days=1)
    workshop_id, day_ids = create_workshop(
        session_world["trainer"], [session_world["accra"], session_world["kumasi"]],
        days=(tomorrow,),
    )  # fmt: skip
    return {**session_world, "workshop": workshop_id, "days": day_ids}


def test_a_future_day_says_so_before_any_tap_and_offers_none(app, tomorrow_world):
    client = sign_in(app.test_client(), tomorrow_world["trainer"])
    page = client.get(_url(tomorrow_world)).get_data(True)
    assert "This day has not come yet" in page
    assert page.index("This day has not come yet") < page.index('name="present"')
    assert page.count('name="present"') == page.count(' disabled aria-describedby="not-yet"') == 3
    assert "data-mark-url" not in page
    assert "Save attendance" not in page and "Add a walk-in" not in page


def test_a_day_that_has_come_offers_the_taps_and_the_save_button(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    page = client.get(_url(session_world)).get_data(True)
    assert "This day has not come yet" not in page
    assert "disabled" not in page
    assert "data-mark-url" in page and "Save attendance" in page and "Add a walk-in" in page
    # Without JavaScript the page says what the button does; the script swaps in its own note.
    assert "Tick everyone present, then save." in page
    assert '<p class="tap-note hint" hidden>Each tap is saved at once.</p>' in page


def test_a_tap_on_a_future_day_is_refused_with_the_reason_in_the_answer(app, tomorrow_world):
    client = sign_in(app.test_client(), tomorrow_world["trainer"])
    response = client.post(
        _url(tomorrow_world, action="/mark"),
        data={"person_id": tomorrow_world["people"]["abena"], "present": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.get_json() == {"error": "Attendance can be marked from the day itself."}
    assert _present(app, tomorrow_world["days"][0]) == set()


def test_a_refused_tap_answers_in_the_users_language(app, tomorrow_world):
    client = sign_in(app.test_client(), tomorrow_world["trainer"])
    response = client.post(
        _url(tomorrow_world, action="/mark"),
        data={"person_id": tomorrow_world["people"]["abena"], "present": "1"},
        headers={"Accept": "application/json", "Accept-Language": "fr"},
    )
    assert response.get_json()["error"] == "La présence peut être notée à partir du jour même."


def test_a_tap_from_another_enterprise_says_who_can_attend(
    app, session_world, create_enterprise, create_person
):
    stranger = create_person(create_enterprise(name="Elsewhere"), "Stranger")
    client = sign_in(app.test_client(), session_world["trainer"])
    response = client.post(
        _url(session_world, action="/mark"), data={"person_id": stranger, "present": "1"}
    )
    assert response.get_json() == {"error": "Only people of the workshop's enterprises can attend."}


def test_a_tap_the_server_refuses_before_the_page_answers_json_with_the_reason(
    app, session_world, create_user
):
    """A tap on a day one does not run is a 404, said in JSON to the script that asked."""
    other_trainer = create_user("trainer", enterprises=[session_world["accra"]])
    client = sign_in(app.test_client(), other_trainer)
    response = client.post(
        _url(session_world, action="/mark"),
        data={"person_id": session_world["people"]["abena"], "present": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "This page does not exist, or you do not have access to it."
    }


def test_the_form_on_a_future_day_is_refused_with_the_reason(app, tomorrow_world):
    client = sign_in(app.test_client(), tomorrow_world["trainer"])
    response = client.post(
        _url(tomorrow_world),
        data={"present": [tomorrow_world["people"]["abena"]]},
        follow_redirects=True,
    )
    assert "Attendance can be marked from the day itself." in response.get_data(True)
    assert _present(app, tomorrow_world["days"][0]) == set()
