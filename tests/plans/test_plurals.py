"""Counts meet their nouns in the reader's language: 0, 1 and 2 of each, in English and French
(where 0 and 1 take the singular), and "none" where a zero would read badly."""

import re
from html import unescape

import pytest

from score_app.extensions import db
from score_app.plans import services
from score_app.plans.models import PlanAction
from tests.conftest import sign_in
from tests.plans.conftest import add_action


def _text(response) -> str:
    """The page as read: tags out, spaces folded."""
    assert response.status_code == 200
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(True))).split())


def _reader(app, plan_world, create_user, locale):
    user = create_user(
        "enterprise_owner", enterprises=[plan_world["enterprise"]], preferred_locale=locale
    )
    return sign_in(app.test_client(), user)


def _mark_verified(app, action_id):
    with app.app_context():
        action = db.session.get(PlanAction, action_id)
        action.status = services.ActionStatus.VERIFIED
        db.session.commit()


# (locale, actions, what the plan's totals say)
PLAN_TOTALS = [
    ("en", 0, ["0 actions", "none done yet", "none verified yet"]),
    ("fr", 0, ["0 action ", "aucune terminée pour l'instant", "aucune vérifiée pour l'instant"]),
    ("en", 1, ["1 action ", "none done yet", "none verified yet"]),
    ("en", 2, ["2 actions", "2 done or verified", "2 verified"]),
    ("fr", 1, ["1 action ", "aucune terminée pour l'instant", "aucune vérifiée pour l'instant"]),
    ("fr", 2, ["2 actions", "2 terminées ou vérifiées", "2 vérifiées"]),
]


@pytest.mark.parametrize(("locale", "count", "expected"), PLAN_TOTALS)
def test_the_plans_totals_count_actions_in_the_readers_language(
    app, plan_world, create_user, locale, count, expected
):
    owner_id = plan_world["users"]["owner"].id
    for _ in range(count):
        action_id = add_action(app, plan_world["plan"], owner_id)
        if count == 2:
            _mark_verified(app, action_id)
    client = _reader(app, plan_world, create_user, locale)
    page = _text(client.get(f"/enterprises/{plan_world['enterprise'].id}/plan"))
    for shown in expected:
        assert shown in page
    assert "1 actions" not in page and "0 verified" not in page


@pytest.mark.parametrize(
    ("locale", "women", "men", "expected", "wrong"),
    [
        ("en", 0, 1, "0 women, 1 man (1 in all)", "1 men"),
        ("en", 1, 2, "1 woman, 2 men (3 in all)", "1 women"),
        ("fr", 0, 1, "0 femme, 1 homme (1 au total)", "1 hommes"),
        ("fr", 1, 2, "1 femme, 2 hommes (3 au total)", "1 femmes"),
    ],
)
def test_an_enterprises_workers_are_counted_with_their_nouns(
    app, create_enterprise, create_user, locale, women, men, expected, wrong
):
    enterprise = create_enterprise(name="Tema Knits", workers_women=women, workers_men=men)
    user = create_user("enterprise_owner", enterprises=[enterprise], preferred_locale=locale)
    client = sign_in(app.test_client(), user)
    page = _text(client.get(f"/enterprises/{enterprise.id}"))
    assert expected in page
    assert wrong not in page


@pytest.mark.parametrize(
    ("locale", "total", "expected"),
    [
        ("en", 1, "1 worker"),
        ("en", 2, "2 workers"),
        ("fr", 1, "1 travailleur"),
        ("fr", 0, "0 travailleur"),
    ],
)
def test_the_enterprise_list_counts_workers(
    app, create_enterprise, create_user, locale, total, expected
):
    enterprise = create_enterprise(name="Tema Knits", workers_women=total, workers_men=0)
    user = create_user("enterprise_owner", enterprises=[enterprise], preferred_locale=locale)
    page = _text(sign_in(app.test_client(), user).get("/enterprises"))
    assert f"{expected} " in page or f"{expected}·" in page


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", ["1 of 3 practices in place", "2 of 3 practices in place"]),
        ("fr", ["1 en place sur 3 pratiques", "2 en place sur 3 pratiques"]),
    ],
)
def test_checklist_progress_names_its_practices(app, plan_world, create_user, locale, expected):
    client = _reader(app, plan_world, create_user, locale)
    page = _text(client.get(f"/enterprises/{plan_world['enterprise'].id}/plan"))
    for shown in expected:
        assert shown in page


def test_a_checklist_of_no_practice_says_so(app, create_enterprise, create_user):
    from datetime import date

    from score_app.kpis.models import ChecklistAssessment, Phase

    enterprise = create_enterprise(name="Tema Knits")
    with app.app_context():
        db.session.add(
            ChecklistAssessment(
                enterprise_id=enterprise.id, phase=Phase.BASELINE, assessed_on=date(2025, 1, 1),
                assessed_items=[], present_items=[],
            )
        )  # fmt: skip
        db.session.commit()
    user = create_user("enterprise_owner", enterprises=[enterprise], preferred_locale="fr")
    page = _text(sign_in(app.test_client(), user).get(f"/enterprises/{enterprise.id}/plan"))
    assert "aucune pratique évaluée" in page
    assert "0 en place sur 0" not in page
