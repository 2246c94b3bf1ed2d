"""Marking attendance on the shop floor: one tap, the whole form, walk-ins, and the counts."""

from sqlalchemy import func, select

from score_app.enterprises.models import Person
from score_app.extensions import db
from score_app.training.models import Attendance
from tests.conftest import sign_in


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
    assert '<td data-count="male-supervisor">1</td>' in page
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
