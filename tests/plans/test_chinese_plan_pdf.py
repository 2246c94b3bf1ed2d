"""A Chinese enterprise name prints on its improvement plan, in every language."""

import subprocess

import pytest

from score_app.enterprises.models import Enterprise
from score_app.extensions import db

NAME = "广州明华服装有限公司"


def _pdftotext(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


@pytest.mark.parametrize(("locale", "title"), [("en", "Improvement plan"), ("zh", "改进计划")])
def test_a_chinese_enterprise_name_prints_on_its_plan(app, plan_world, locale, title):
    with app.app_context():
        db.session.get(Enterprise, plan_world["enterprise"].id).name = NAME
        db.session.commit()
    url = f"/enterprises/{plan_world['enterprise'].id}/plan.pdf?lang={locale}"
    response = plan_world["clients"]["owner"].get(url)
    assert response.status_code == 200
    text = _pdftotext(response.data)
    assert NAME in text and title in text
    # Only the characters used are embedded (some 0.2 MB in English, 0.37 MB with the whole
    # page in Chinese), never the whole font of 16 MB a weight.
    assert len(response.data) < 1_000_000
