"""Chinese names print on certificates and sign-in sheets, in every language, with only the
characters they use embedded."""

import subprocess

import pytest

from tests.conftest import job_document, sign_in

NAME = "王秀英"
# The CJK font whole is some 16 MB a weight; a subset of the characters used stays small (a
# certificate: 75 kB with a Chinese name in English, 160 kB all in Chinese).
MOST_BYTES = 500_000


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
    response = job_document(
        client, f"/training/workshops/{session_world['workshop']}/certificates.pdf"
    )
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


def test_the_attendance_list_orders_chinese_names_by_pinyin(app, session_world, create_person):
    for name in ("张伟", "陈静"):
        create_person(session_world["accra"], name, "female", "worker")
    client = sign_in(app.test_client(), session_world["trainer"])
    url = f"/training/workshops/{session_world['workshop']}/days/{session_world['days'][0]}"
    page = client.get(url).get_data(True)
    names = ("张伟", "Abena", "Kojo", "陈静")
    # Accra Works' people: Abena (a), 陈静 (chen2), Kojo (k), 张伟 (zhang1).
    assert sorted(names, key=page.index) == ["Abena", "陈静", "Kojo", "张伟"]
