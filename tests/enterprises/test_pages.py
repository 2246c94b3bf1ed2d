"""Enterprise pages: the scoped list with filters and search, the profile, creating and editing."""

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from score_app.enterprises.models import Enterprise
from score_app.extensions import db


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
    assert 'id="workers_women-error">Number must be between 0 and 1000000.' in page
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


def test_trainer_edits_the_profile_but_cannot_change_consent(app, client_as, create_enterprise):
    enterprise = create_enterprise(data_sharing_consent=True)
    client = client_as("trainer", enterprises=[enterprise])
    form_page = client.get(f"/enterprises/{enterprise.id}/edit").get_data(True)
    box = re.search(r'<input[^>]*name="data_sharing_consent"[^>]*>', form_page).group(0)
    assert " checked" in box and " disabled" in box
    response = client.post(f"/enterprises/{enterprise.id}/edit", data=_form(workers_men="20"))
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Enterprise, enterprise.id)
        assert saved.workers_men == 20
        assert saved.data_sharing_consent is True


def test_owner_withdraws_consent_and_the_time_is_recorded(app, client_as, create_enterprise):
    enterprise = create_enterprise(data_sharing_consent=True)
    client = client_as("enterprise_owner", enterprises=[enterprise])
    response = client.post(f"/enterprises/{enterprise.id}/edit", data=_form())
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Enterprise, enterprise.id)
        assert saved.data_sharing_consent is False
        assert saved.consent_changed_at is not None
    page = client.get(f"/enterprises/{enterprise.id}").get_data(True)
    assert "left out of programme results" in page


def test_profile_lists_the_members(client_as, create_enterprise, create_user):
    enterprise = create_enterprise()
    create_user("trainer", full_name="Efua Trainer", enterprises=[enterprise])
    client = client_as("enterprise_owner", full_name="Kojo Owner", enterprises=[enterprise])
    page = client.get(f"/enterprises/{enterprise.id}").get_data(True)
    assert "Efua Trainer" in page and "Kojo Owner" in page
