"""Certificates: only for full attendance, in the chosen language, verifiable and revocable."""

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from score_app.extensions import db
from score_app.training.models import Certificate
from tests.conftest import sign_in


def _attend(client, world, person, days=(0, 1)):
    for day in days:
        client.post(
            f"/training/workshops/{world['workshop']}/days/{world['days'][day]}/mark",
            data={"person_id": world["people"][person], "present": "1"},
        )


def _issue(client, world, locale="en"):
    return client.post(
        f"/training/workshops/{world['workshop']}/certificates", data={"locale": locale}
    )


def _certificates(app):
    with app.app_context():
        return {c.participant_name: c.code for c in db.session.scalars(select(Certificate))}


def test_only_people_present_every_day_get_a_certificate(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    _attend(client, session_world, "abena")
    _attend(client, session_world, "kojo", days=(0,))
    _issue(client, session_world)
    assert set(_certificates(app)) == {"Abena"}


def test_issuing_again_creates_no_duplicate(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    _attend(client, session_world, "abena")
    _issue(client, session_world)
    _issue(client, session_world)
    with app.app_context():
        assert len(db.session.scalars(select(Certificate)).all()) == 1


def test_certificate_pdf_is_one_page_in_the_chosen_language_with_its_code(app, session_world):
    client = sign_in(app.test_client(), session_world["trainer"])
    _attend(client, session_world, "abena")
    _issue(client, session_world, locale="fr")
    code = _certificates(app)["Abena"]
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code)
    response = client.get(f"/certificates/{code}.pdf")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Abena" in text and "Accra Works" in text and code in text
    assert "Coopération" in text  # the module's French title
    assert f"/verify/{code}" in text.replace("\n", "")


def test_non_latin_names_are_printed_with_embedded_fonts(app, session_world, create_person):
    client = sign_in(app.test_client(), session_world["trainer"])
    person_id = create_person(session_world["accra"], "Nguyễn Thị Hồng Nhung")
    for day in session_world["days"]:
        client.post(
            f"/training/workshops/{session_world['workshop']}/days/{day}/mark",
            data={"person_id": person_id, "present": "1"},
        )
    _issue(client, session_world, locale="vi")
    code = _certificates(app)["Nguyễn Thị Hồng Nhung"]
    reader = PdfReader(io.BytesIO(client.get(f"/certificates/{code}.pdf").data))
    assert "Nguyễn Thị Hồng Nhung" in reader.pages[0].extract_text()
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert all(
        "/FontFile2" in f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        for f in fonts.values()
    )


def test_public_verification_page_shows_the_details_without_signing_in(app, client, session_world):
    trainer = sign_in(app.test_client(), session_world["trainer"])
    _attend(trainer, session_world, "yaw")
    _issue(trainer, session_world)
    code = _certificates(app)["Yaw"]
    page = client.get(f"/verify/{code.lower()}").get_data(True)
    assert "This certificate is valid." in page
    assert "Yaw" in page and "Kumasi Works" in page


def test_unknown_code_is_a_404_with_a_message(client):
    response = client.get("/verify/NOPE-NOPE-NOPE")
    assert response.status_code == 404
    assert "No certificate has the code" in response.get_data(True)


def test_admin_revokes_and_the_public_page_says_so(app, client_as, session_world):
    trainer = sign_in(app.test_client(), session_world["trainer"])
    _attend(trainer, session_world, "abena")
    _issue(trainer, session_world)
    code = _certificates(app)["Abena"]
    admin = client_as("admin")
    refused = admin.post(f"/certificates/{code}/revoke", data={"reason": ""})
    assert "This field is required." in refused.get_data(True)
    admin.post(f"/certificates/{code}/revoke", data={"reason": "Issued to the wrong person"})
    page = app.test_client().get(f"/verify/{code}").get_data(True)
    assert "This certificate was revoked on" in page
    assert "valid." not in page


def test_a_trainer_cannot_revoke(app, session_world):
    trainer = sign_in(app.test_client(), session_world["trainer"])
    _attend(trainer, session_world, "abena")
    _issue(trainer, session_world)
    code = _certificates(app)["Abena"]
    assert trainer.post(f"/certificates/{code}/revoke", data={"reason": "x"}).status_code == 403


def test_a_shared_workshop_does_not_show_another_enterprises_certificates(
    app, session_world, create_user
):
    trainer = sign_in(app.test_client(), session_world["trainer"])
    _attend(trainer, session_world, "abena")  # Accra Works
    _attend(trainer, session_world, "yaw")  # Kumasi Works
    _issue(trainer, session_world)
    codes = _certificates(app)
    owner = sign_in(
        app.test_client(), create_user("enterprise_owner", enterprises=[session_world["accra"]])
    )
    page = owner.get(f"/training/workshops/{session_world['workshop']}").get_data(True)
    assert codes["Abena"] in page
    assert codes["Yaw"] not in page and "Kumasi Works</td>" not in page
    assert owner.get(f"/certificates/{codes['Yaw']}.pdf").status_code == 404
    assert owner.get(f"/certificates/{codes['Abena']}.pdf").status_code == 200


def test_no_certificate_before_the_last_day_and_no_attendance_ahead_of_time(
    app, create_enterprise, create_user, create_person, create_workshop
):
    from datetime import date, timedelta

    mine = create_enterprise()
    trainer = create_user("trainer", enterprises=[mine])
    person = create_person(mine, "Esi")
    today = date.today()
    workshop_id, day_ids = create_workshop(trainer, [mine], days=[today, today + timedelta(days=1)])
    client = sign_in(app.test_client(), trainer)
    url = f"/training/workshops/{workshop_id}/days"
    assert (
        client.post(
            f"{url}/{day_ids[0]}/mark", data={"person_id": person, "present": "1"}
        ).status_code
        == 200
    )
    ahead = client.post(f"{url}/{day_ids[1]}/mark", data={"person_id": person, "present": "1"})
    assert ahead.status_code == 422
    page = client.post(
        f"/training/workshops/{workshop_id}/certificates",
        data={"locale": "en"},
        follow_redirects=True,
    ).get_data(True)
    assert "Certificates are issued once the last day is over." in page
