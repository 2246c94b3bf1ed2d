"""Enterprise pages: the scoped list with filters and search, the profile, creating and editing,
consent given and withdrawn by its own button, and profiles saved from an older page."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from score_app.auth.models import User
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.models import Phase
from score_app.programme import services as programme
from score_app.programme.filters import Filters
from tests.conftest import VERSION_FIELD, conflict_table, post_seen, seen_version, sign_in
from tests.programme.conftest import add_measurement
from tests.programme.test_exports import read_csv

LINK = re.compile(r'href="([^"]*)"')


def _form(**fields):
    return {
        "name": "Kente Weaving Cooperative",
        "country": "GH",
        "region": "Volta",
        "sector": "textiles",
        "product": "Kente cloth",
        "workers_women": "85",
        "workers_men": "15",
        "joined_on": "2025-06-02",
        "cohort": "GH-2025-B",
        **fields,
    }


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Enterprise))


def test_owner_sees_only_their_own_enterprises(client_as, create_enterprise):
    mine = create_enterprise(name="Volta Garments")
    create_enterprise(name="Someone Else Ltd")
    page = client_as("enterprise_owner", enterprises=[mine]).get("/enterprises").get_data(True)
    assert "Volta Garments" in page
    assert "Someone Else Ltd" not in page
    assert "1 enterprise" in page


def test_programme_staff_see_only_their_countries(client_as, create_enterprise):
    create_enterprise(name="Accra Works", country="GH")
    create_enterprise(name="Durban Works", country="ZA")
    page = client_as("programme_staff", countries=["ZA"]).get("/enterprises").get_data(True)
    assert "Durban Works" in page
    assert "Accra Works" not in page


def test_list_filters_by_country_and_sector(client_as, create_enterprise):
    create_enterprise(name="Accra Shirts", country="GH", sector="garments")
    create_enterprise(name="Accra Furniture", country="GH", sector="wood_furniture")
    create_enterprise(name="Hanoi Shirts", country="VN", sector="garments")
    page = client_as("admin").get("/enterprises?country=GH&sector=garments").get_data(True)
    assert "Accra Shirts" in page
    assert "Accra Furniture" not in page
    assert "Hanoi Shirts" not in page


def test_search_ignores_accents_and_case(client_as, create_enterprise):
    create_enterprise(name="Công ty May Đồng Nai", country="VN")
    create_enterprise(name="Other Factory", country="VN")
    page = client_as("admin").get("/enterprises?q=cong+ty+may+dong").get_data(True)
    assert "Công ty May Đồng Nai" in page
    assert "Other Factory" not in page


def test_search_treats_percent_and_underscore_literally(client_as, create_enterprise):
    create_enterprise(name="Factory A")
    page = client_as("admin").get("/enterprises?q=%25").get_data(True)
    assert "Factory A" not in page


def test_list_is_paginated(make_app, create_enterprise, create_user):
    from tests.conftest import sign_in

    app = make_app(SCORE_PAGE_SIZE=2)
    for name in ("Alpha", "Bravo", "Charlie"):
        create_enterprise(name=name)
    client = sign_in(app.test_client(), create_user("admin"))
    first = client.get("/enterprises").get_data(True)
    second = client.get("/enterprises?page=2").get_data(True)
    assert "Alpha" in first and "Bravo" in first and "Charlie" not in first
    assert "Charlie" in second and "Page 2 of 2" in second


def test_list_links_keep_its_filters_and_drop_unknown_query_arguments(
    make_app, create_enterprise, create_user
):
    """`endpoint` and url_for's own `_external`/`_anchor` would have been passed to url_for."""
    app = make_app(SCORE_PAGE_SIZE=1)
    for name in ("Alpha", "Bravo"):
        create_enterprise(name=name)
    client = sign_in(app.test_client(), create_user("admin"))
    crafted = "endpoint=x&_external=1&_anchor=top&colour=blue&sector=garments"
    pages = client.get(f"/enterprises?{crafted}").get_data(True)
    past_the_end = client.get(f"/enterprises?{crafted}&page=9").get_data(True)
    assert 'href="/enterprises?sector=garments&amp;page=2"' in pages
    assert 'href="/enterprises?sector=garments&amp;page=1"' in past_the_end
    links = LINK.findall(pages + past_the_end)
    assert not [link for link in links if "endpoint" in link or "colour" in link or "#top" in link]


def test_country_is_shown_by_name_in_the_users_language(client_as, create_enterprise):
    enterprise = create_enterprise(country="ZA")
    client = client_as("admin", preferred_locale="fr")
    assert "Afrique du Sud" in client.get(f"/enterprises/{enterprise.id}").get_data(True)


def test_programme_staff_register_an_enterprise_in_their_country(app, client_as):
    client = client_as("programme_staff", countries=["GH"])
    response = client.post("/enterprises/new", data=_form())
    assert response.status_code == 302
    with app.app_context():
        enterprise = db.session.scalar(select(Enterprise))
        assert (enterprise.name, enterprise.workers_women, enterprise.joined_on) == (
            "Kente Weaving Cooperative",
            85,
            date(2025, 6, 2),
        )


def test_programme_staff_cannot_register_outside_their_countries(app, client_as):
    client = client_as("programme_staff", countries=["GH"])
    page = client.post("/enterprises/new", data=_form(country="ZA")).get_data(True)
    assert "Not a valid choice." in page
    assert _count(app) == 0


def test_bad_input_gets_field_messages_keeps_the_input_and_saves_nothing(app, client_as):
    client = client_as("admin")
    future = (date.today() + timedelta(days=3)).isoformat()
    response = client.post(
        "/enterprises/new",
        data=_form(workers_women="-4", workers_men="many", joined_on=future, sector="mining"),
    )
    page = response.get_data(True)
    assert response.status_code == 200
    assert 'id="workers_women-error">Number must be at least 0.' in page
    assert 'id="workers_men-error">Not a valid integer value.' in page
    assert 'id="sector-error">Not a valid choice.' in page
    assert 'value="Kente Weaving Cooperative"' in page
    assert 'value="many"' in page
    assert _count(app) == 0


def test_date_joined_cannot_be_in_the_future(app, client_as):
    future = (date.today() + timedelta(days=3)).isoformat()
    page = client_as("admin").post("/enterprises/new", data=_form(joined_on=future)).get_data(True)
    assert "The date joined cannot be in the future." in page
    assert _count(app) == 0


def _profile(**changes):
    """The profile form as a fixture-made enterprise (conftest `create_enterprise`) fills it."""
    stored = {
        "name": "Enterprise 1", "region": "Greater Accra", "sector": "garments",
        "product": "Shirts", "workers_women": "60", "workers_men": "40",
        "joined_on": "2025-01-06", "cohort": "GH-2025-A",
    }  # fmt: skip
    return _form(**{**stored, **changes})


def _consent(app, enterprise_id: int) -> tuple[bool, object]:
    with app.app_context():
        saved = db.session.get(Enterprise, enterprise_id)
        return saved.data_sharing_consent, saved.consent_changed_at


def test_trainer_edits_the_profile_but_cannot_change_consent(app, client_as, create_enterprise):
    enterprise = create_enterprise(data_sharing_consent=True)
    client = client_as("trainer", enterprises=[enterprise])
    view = client.get(f"/enterprises/{enterprise.id}").get_data(True)
    assert f"/enterprises/{enterprise.id}/consent" not in view  # no consent button
    edit = f"/enterprises/{enterprise.id}/edit"
    assert 'name="data_sharing_consent"' not in client.get(edit).get_data(True)
    response = post_seen(client, edit, data=_profile(workers_men="20"))
    assert response.status_code == 302
    version = seen_version(client, edit)
    refused = client.post(
        f"/enterprises/{enterprise.id}/consent", data={"version": version, "consent": "withdraw"}
    )
    assert refused.status_code == 403
    with app.app_context():
        saved = db.session.get(Enterprise, enterprise.id)
        assert saved.workers_men == 20
        assert saved.data_sharing_consent is True


def test_owner_withdraws_consent_with_its_own_button_and_the_time_is_recorded(
    app, client_as, create_enterprise
):
    enterprise = create_enterprise(data_sharing_consent=True)
    client = client_as("enterprise_owner", enterprises=[enterprise])
    view = client.get(f"/enterprises/{enterprise.id}").get_data(True)
    assert "Withdraw consent" in view
    response = post_seen(
        client, f"/enterprises/{enterprise.id}/consent", data={"consent": "withdraw"},
        follow_redirects=True,
    )  # fmt: skip
    page = response.get_data(True)
    assert "Consent is withdrawn" in page
    assert "left out of programme results" in page and "Give consent" in page
    given, changed_at = _consent(app, enterprise.id)
    assert given is False and changed_at is not None


def test_saving_the_profile_never_changes_consent(app, client_as, create_enterprise):
    shared = create_enterprise(data_sharing_consent=True)
    private = create_enterprise(data_sharing_consent=False)
    owner = client_as("enterprise_owner", enterprises=[shared, private])
    # A form without the box (as a browser sends an unticked one), and one that adds it.
    for enterprise, extra in ((shared, {}), (private, {"data_sharing_consent": "y"})):
        edit = f"/enterprises/{enterprise.id}/edit"
        response = post_seen(owner, edit, data={**_profile(product="Batik"), **extra})
        assert response.status_code == 302
        assert _consent(app, enterprise.id) == (enterprise.data_sharing_consent, None)
    admin = client_as("admin")
    new = admin.post("/enterprises/new", data={**_form(), "data_sharing_consent": "y"})
    assert new.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(Enterprise).order_by(Enterprise.id.desc())
            ).data_sharing_consent
            is False
        )


def test_a_consent_button_of_an_older_page_does_nothing_and_says_why(
    app, client_as, create_enterprise
):
    enterprise = create_enterprise(data_sharing_consent=True)
    admin = client_as("admin")
    owner = client_as("enterprise_owner", enterprises=[enterprise])
    consent = f"/enterprises/{enterprise.id}/consent"
    admins_version = seen_version(admin, f"/enterprises/{enterprise.id}")
    post_seen(owner, consent, data={"consent": "withdraw"})
    post_seen(owner, consent, data={"consent": "give"})
    refused = admin.post(
        consent, data={"version": admins_version, "consent": "withdraw"}, follow_redirects=True
    )
    assert "Someone else changed this after you opened the page" in refused.get_data(True)
    assert _consent(app, enterprise.id)[0] is True


def test_a_profile_page_opened_before_consent_was_withdrawn_cannot_give_it_back(
    app, client_as, create_enterprise, create_user
):
    """Issue 15: an admin opens the profile; the owner withdraws consent; the admin saves the
    page opened before. Consent stays withdrawn and the figures stay out of programme results
    and exports; the admin sees both versions and keeps what they typed."""
    enterprise = create_enterprise(data_sharing_consent=True)
    with app.app_context():
        add_measurement(enterprise.id)
        add_measurement(
            enterprise.id, phase=Phase.FOLLOW_UP, period=(date(2025, 7, 1), date(2025, 7, 31)),
            inputs=(15, 1000),
        )  # fmt: skip
    staff = create_user("programme_staff", countries=["GH"])
    staff_client = client_as(staff)
    admin = client_as("admin")
    owner = client_as("enterprise_owner", full_name="Kojo Owner", enterprises=[enterprise])
    edit = f"/enterprises/{enterprise.id}/edit"

    def counted() -> tuple[int, int, int]:
        """(figures exported, enterprises left out, defect-rate pairs) as staff see them."""
        exported = len(read_csv(staff_client.get("/programme/exports/measurements.csv")))
        with app.app_context():
            found = programme.figures(db.session.get(User, staff.id), Filters())
            pairs = sum(row.n for row in found.results)
            return exported, found.excluded, pairs

    assert counted() == (2, 0, 1)
    admins_version = seen_version(admin, edit)
    post_seen(owner, f"/enterprises/{enterprise.id}/consent", data={"consent": "withdraw"})
    refused = admin.post(edit, data={"version": admins_version, **_profile(product="Batik")})

    html = refused.get_data(True)
    assert refused.status_code == 409
    assert "Kojo Owner saved a new version" in html
    table = conflict_table(html)
    assert table["Main product"] == ("Shirts", "Batik", True)
    withdrawn = table["Data sharing"]
    assert withdrawn[0].startswith("No consent since ") and withdrawn[1:] == (withdrawn[0], False)
    assert [label for label, (*_v, differs) in table.items() if differs] == ["Main product"]
    assert 'value="Batik"' in html  # what the admin typed is kept
    assert _consent(app, enterprise.id)[0] is False
    assert counted() == (0, 1, 0)

    again = admin.post(
        edit, data={"version": VERSION_FIELD.search(html).group(1), **_profile(product="Batik")}
    )
    assert again.status_code == 302
    with app.app_context():
        saved = db.session.get(Enterprise, enterprise.id)
        assert (saved.product, saved.data_sharing_consent) == ("Batik", False)
    assert counted() == (0, 1, 0)


def test_profile_lists_the_members(client_as, create_enterprise, create_user):
    enterprise = create_enterprise()
    create_user("trainer", full_name="Efua Trainer", enterprises=[enterprise])
    client = client_as("enterprise_owner", full_name="Kojo Owner", enterprises=[enterprise])
    page = client.get(f"/enterprises/{enterprise.id}").get_data(True)
    assert "Efua Trainer" in page and "Kojo Owner" in page


@pytest.mark.parametrize(
    ("locale", "typed", "message"),
    [
        ("en", "9" * 400, "Number must be at most 1,000,000."),
        ("en", "-" + "9" * 400, "Number must be at least 0."),
        ("en", "1000001", "Number must be at most 1,000,000."),
        ("fr", "9" * 400, "Le nombre doit être inférieur ou égal à 1\u202f000\u202f000."),
    ],
)
def test_a_number_of_any_size_is_refused_with_its_limit_in_the_users_language(
    app, client_as, locale, typed, message
):
    client = client_as("admin")
    client.post("/locale", data={"locale": locale})
    response = client.post("/enterprises/new", data=_form(workers_women=typed))
    assert response.status_code == 200
    assert f'id="workers_women-error">{message}<' in response.get_data(True)
    assert _count(app) == 0
