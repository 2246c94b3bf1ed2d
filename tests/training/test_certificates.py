"""Certificates: only for full attendance, in the chosen language, verifiable and revocable."""

import io
import re

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from score_app.extensions import db
from score_app.training.models import Certificate
from tests.conftest import job_document, sign_in


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


def _pdf_text(response) -> list[str]:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


def _print_all(client, world):
    return job_document(client, f"/training/workshops/{world['workshop']}/certificates.pdf")


def _issue_to_all_three(app, world, locale="en"):
    trainer = sign_in(app.test_client(), world["trainer"])
    for person in ("abena", "kojo", "yaw"):
        _attend(trainer, world, person)
    _issue(trainer, world, locale)
    return trainer, _certificates(app)


@pytest.mark.parametrize(
    "typed",
    ["{code}", "{lower}", "{lower_no_dashes}", " {spaced} ", "{lower_spaced}"],
)
def test_the_verify_form_finds_a_code_however_it_is_typed(app, client, session_world, typed):
    _trainer, codes = _issue_to_all_three(app, session_world)
    code = codes["Yaw"]
    typed = typed.format(
        code=code,
        lower=code.lower(),
        lower_no_dashes=code.replace("-", "").lower(),
        spaced=code.replace("-", " "),
        lower_spaced=code.replace("-", " ").lower(),
    )
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 200
    page = response.get_data(True)
    assert "This certificate is valid." in page and "Yaw" in page and "Kumasi Works" in page
    assert code in page


def test_the_verify_page_without_a_code_is_a_form(client):
    response = client.get("/verify")
    assert response.status_code == 200
    page = response.get_data(True)
    assert '<form method="get" action="/verify"' in page
    assert 'name="code"' in page and "Check the code" in page


def test_an_empty_code_is_asked_for(client):
    response = client.get("/verify?code=+")
    assert response.status_code == 422
    assert "Enter the code printed on the certificate." in response.get_data(True)


def test_a_code_not_found_says_so_keeps_what_was_typed_and_is_a_404(app, client, session_world):
    _issue_to_all_three(app, session_world)
    response = client.get("/verify", query_string={"code": "zzzz zzzz zzzz"})
    assert response.status_code == 404
    page = response.get_data(True)
    assert "No certificate has the code ZZZZ-ZZZZ-ZZZZ." in page
    assert 'value="zzzz zzzz zzzz"' in page


def test_a_code_of_the_wrong_length_says_what_a_code_looks_like(client):
    response = client.get("/verify", query_string={"code": "7K3M-Q9PX"})
    assert response.status_code == 404
    page = response.get_data(True)
    assert "A certificate code has 12 letters and digits." in page
    assert 'aria-invalid="true"' in page


def test_the_verify_page_names_the_issuing_organisation(app, client, session_world):
    _trainer, codes = _issue_to_all_three(app, session_world)
    page = client.get(f"/verify/{codes['Abena']}").get_data(True)
    assert "<dt>Issued by</dt><dd>SCORE Programme (demo)</dd>" in page


def test_codes_not_found_are_limited_per_address_and_found_ones_never_count(
    make_app, session_world
):
    app = make_app(RATELIMIT_ENABLED=True, SCORE_VERIFY_RATE_LIMIT="2 per minute")
    _trainer, codes = _issue_to_all_three(app, session_world)
    client = app.test_client()
    found = [client.get(f"/verify/{code}").status_code for code in codes.values()] * 2
    misses = [client.get("/verify?code=ZZZZ-ZZZZ-ZZZ" + c).status_code for c in "ABC"]
    assert found == [200] * 6
    assert misses == [404, 404, 429]
    assert client.get("/verify/ZZZZ-ZZZZ-ZZZZ").status_code == 429  # the QR page shares it
    other_address = client.get("/verify?code=zzzz", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 404


def test_print_all_gives_every_valid_certificate_one_a_page_each_in_its_language(
    app, session_world
):
    trainer = sign_in(app.test_client(), session_world["trainer"])
    _attend(trainer, session_world, "abena")
    _issue(trainer, session_world, locale="fr")
    _attend(trainer, session_world, "yaw")
    _attend(trainer, session_world, "kojo")
    _issue(trainer, session_world, locale="en")
    codes = _certificates(app)
    response = _print_all(trainer, session_world)
    assert response.headers["Content-Disposition"] == (
        'inline; filename="certificates-workplace-cooperation-accra-2025-03-11.pdf"'
    )
    pages = _pdf_text(response)
    assert len(pages) == 3
    by_name = {name: next(p for p in pages if name in p) for name in ("Abena", "Kojo", "Yaw")}
    assert "Coopération" in by_name["Abena"] and codes["Abena"] in by_name["Abena"]
    assert "Workplace Cooperation" in by_name["Yaw"] and codes["Yaw"] in by_name["Yaw"]


def test_print_all_leaves_revoked_certificates_out(app, client_as, session_world):
    trainer, codes = _issue_to_all_three(app, session_world)
    client_as("admin").post(f"/certificates/{codes['Kojo']}/revoke", data={"reason": "Wrong"})
    pages = _pdf_text(_print_all(trainer, session_world))
    assert len(pages) == 2
    assert not any("Kojo" in page or codes["Kojo"] in page for page in pages)
    workshop_page = trainer.get(f"/training/workshops/{session_world['workshop']}")
    assert "2 valid certificates, one a page" in workshop_page.get_data(True)


def test_print_all_is_offered_only_with_a_valid_certificate(app, client_as, session_world):
    trainer = sign_in(app.test_client(), session_world["trainer"])
    url = f"/training/workshops/{session_world['workshop']}"
    assert "Print all certificates" not in trainer.get(url).get_data(True)
    refused = trainer.get(f"{url}/certificates.pdf", follow_redirects=True)
    assert "There is no valid certificate to print." in refused.get_data(True)
    _attend(trainer, session_world, "abena")
    _issue(trainer, session_world)
    assert "Print all certificates" in trainer.get(url).get_data(True)


def test_an_owner_prints_only_their_enterprises_certificates_of_a_shared_workshop(
    app, session_world, create_user
):
    _trainer, codes = _issue_to_all_three(app, session_world)
    owner = sign_in(
        app.test_client(), create_user("enterprise_owner", enterprises=[session_world["accra"]])
    )
    pages = _pdf_text(_print_all(owner, session_world))
    assert len(pages) == 2
    assert not any("Yaw" in page or codes["Yaw"] in page for page in pages)


def test_another_trainer_or_owner_cannot_print_a_workshops_certificates(
    app, session_world, create_user, create_enterprise
):
    _issue_to_all_three(app, session_world)
    elsewhere = create_enterprise(name="Tema Works")
    for role in ("trainer", "enterprise_owner"):
        stranger = sign_in(app.test_client(), create_user(role, enterprises=[elsewhere]))
        response = _print_all(stranger, session_world)
        assert response.status_code == 404
        assert response.mimetype != "application/pdf"


def test_beyond_the_limit_print_all_says_why_instead_of_a_pdf(make_app, session_world):
    app = make_app(SCORE_MAX_CERTIFICATES_PER_PDF=2)
    trainer, _codes = _issue_to_all_three(app, session_world)
    expected = (
        "This workshop has 3 valid certificates, more than one PDF can hold (2): "
        "download them one by one from the list below."
    )
    response = _print_all(trainer, session_world)
    assert response.status_code == 302
    assert response.location == f"/training/workshops/{session_world['workshop']}"
    page = trainer.get(response.location).get_data(True)
    assert expected in page  # the flash, and the note where the button would be
    assert "Print all certificates" not in page


def test_the_verify_address_on_a_certificate_keeps_its_code_whole(app, session_world):
    trainer, codes = _issue_to_all_three(app, session_world, locale="vi")
    code = codes["Abena"]
    lines = trainer.get(f"/certificates/{code}.pdf")
    lines = _pdf_text(lines)[0].splitlines()
    assert sum(code in line for line in lines) == 2  # after "Mã:" and at the end of the address
    assert any(line.rstrip().endswith(f"/verify/{code}") for line in lines)


def test_a_certificate_names_the_issuing_organisation(make_app, session_world):
    app = make_app(SCORE_ORGANISATION_NAME="Ghana Employers' Association")
    trainer, codes = _issue_to_all_three(app, session_world)
    text = _pdf_text(trainer.get(f"/certificates/{codes['Yaw']}.pdf"))[0]
    assert text.splitlines()[0] == "Ghana Employers' Association"


# The logo's colour as the PDF fills with it: #123456.
LOGO_FILL = b"0.070588 0.203922 0.337255"


def _draws_logo(page) -> bool:
    """Whether the page draws the test logo: the PNG as an image, the SVG as its filled shape."""
    content = page.get_contents().get_data()
    images = [
        name
        for name, image in page["/Resources"].get("/XObject", {}).items()
        if image.get_object()["/Subtype"] == "/Image"
    ]
    return LOGO_FILL in content or any(f"{name} Do".encode() in content for name in images)


@pytest.fixture(params=["png", "svg"])
def logo(request, tmp_path):
    path = tmp_path / f"logo.{request.param}"
    if request.param == "png":
        Image.new("RGB", (120, 40), "#123456").save(path)
    else:
        path.write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
            '<rect width="120" height="40" fill="#123456"/></svg>'
        )
    return path


def test_the_logo_is_on_the_public_check_and_the_certificate(make_app, session_world, logo):
    app = make_app(SCORE_ORGANISATION_LOGO=str(logo))
    trainer, codes = _issue_to_all_three(app, session_world)
    visitor = app.test_client()
    served = visitor.get("/organisation/logo")
    assert served.status_code == 200
    assert served.mimetype == {".png": "image/png", ".svg": "image/svg+xml"}[logo.suffix]
    page = visitor.get(f"/verify/{codes['Abena']}").get_data(True)
    assert '<img class="issuer-logo" src="/organisation/logo" alt="">' in page
    pdf = PdfReader(io.BytesIO(trainer.get(f"/certificates/{codes['Abena']}.pdf").data))
    assert _draws_logo(pdf.pages[0])


def test_without_a_logo_none_is_shown(app, client, session_world):
    trainer, codes = _issue_to_all_three(app, session_world)
    assert client.get("/organisation/logo").status_code == 404
    assert "issuer-logo" not in client.get(f"/verify/{codes['Abena']}").get_data(True)
    pdf = PdfReader(io.BytesIO(trainer.get(f"/certificates/{codes['Abena']}.pdf").data))
    assert not _draws_logo(pdf.pages[0])


def test_a_typed_certificate_code_is_shown_back_as_text(client):
    typed = '<script>alert(1)</script>"><b>x'
    page = client.get("/verify", query_string={"code": typed}).get_data(True)
    assert "<script>alert(1)" not in page and "<b>x" not in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;b&gt;x"' in page
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;&#34;&gt;&lt;B&gt;X" in page
