"""Chinese names print on certificates and sign-in sheets, in every language, with only the
characters they use embedded."""

import subprocess

import pytest

from tests.conftest import sign_in

NAME = "王秀英"
# The CJK font whole is some 16 MB a weight; a subset of a few characters stays small.
MOST_BYTES = 200_000


def _pdftotext(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


@pytest.fixture
def chinese_participant(app, session_world, create_person):
    """王秀英 of Accra Works, present both days of the workshop."""
    client = sign_in(app.test_client(), session_world["trainer"])
    person_id = create_person(session_world["accra"], NAME, "female", "worker")
    for day in session_world["days"]:
        client.post(
            f"/training/workshops/{session_world['workshop']}/days/{day}/mark",
            data={"person_id": person_id, "present": "1"},
        )
    return client


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_a_chinese_name_prints_on_its_certificate(app, session_world, chinese_participant, locale):
    client = chinese_participant
    client.post(
        f"/training/workshops/{session_world['workshop']}/certificates", data={"locale": locale}
    )
    response = client.get(f"/training/workshops/{session_world['workshop']}/certificates.pdf")
    assert response.status_code == 200
    text = _pdftotext(response.data)
    assert NAME in text
    if locale == "zh":
        assert "结业证书" in text and "兹证明" in text
    assert len(response.data) < MOST_BYTES


def test_a_chinese_name_prints_on_the_sign_in_sheet(app, session_world, chinese_participant):
    url = f"/training/workshops/{session_world['workshop']}/days/{session_world['days'][0]}"
    response = chinese_participant.get(f"{url}/sign-in.pdf")
    assert response.status_code == 200
    text = _pdftotext(response.data)
    assert NAME in text and "Abena" in text
    assert len(response.data) < MOST_BYTES
