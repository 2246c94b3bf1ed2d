"""The enterprise endpoints of the JSON API: bearer tokens, scope, the field contract and 422s,
changes made on the version read, and consent changed only on its own."""

import pytest
from sqlalchemy import func, select

from score_app.enterprises.models import Enterprise
from score_app.extensions import db

FIELDS = [
    "id",
    "name",
    "country",
    "region",
    "sector",
    "product",
    "workers_women",
    "workers_men",
    "joined_on",
    "cohort",
    "data_sharing_consent",
    "version",
]
VALID = {
    "name": "Tamale Shea Processors",
    "country": "GH",
    "region": "Northern",
    "sector": "food_processing",
    "product": "Shea butter",
    "workers_women": 120,
    "workers_men": 12,
    "joined_on": "2025-05-05",
    "cohort": "GH-2025-B",
    "data_sharing_consent": True,
}


def _stored(app, enterprise_id: int) -> Enterprise:
    with app.app_context():
        enterprise = db.session.get(Enterprise, enterprise_id)
        db.session.expunge(enterprise)
        return enterprise


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Enterprise))


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer score_not-a-real-token", "Basic dXNlcjpwYXNz", "score_token-only"],
)
def test_missing_or_bad_token_gets_a_json_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/enterprises", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {
        "error": "Authentication is needed: send a valid API token.",
        "reason": None,
    }
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_list_returns_the_contract_fields_within_scope(api_as, create_enterprise):
    mine = create_enterprise(name="Mine")
    create_enterprise(name="Not mine")
    response = api_as("enterprise_owner", enterprises=[mine]).get("/api/v1/enterprises")
    body = response.get_json()
    assert body["total"] == 1
    assert list(body["items"][0]) == FIELDS
    assert body["items"][0]["name"] == "Mine"


def test_list_filters_and_pages(api_as, create_enterprise):
    for n in range(3):
        create_enterprise(name=f"Ghana {n}", country="GH")
    create_enterprise(name="Viet Nam", country="VN")
    body = api_as("admin").get("/api/v1/enterprises?country=GH&per_page=2&page=2").get_json()
    assert (body["total"], body["pages"], body["page"]) == (3, 2, 2)
    assert [item["name"] for item in body["items"]] == ["Ghana 2"]


def test_create_returns_201_with_the_stored_enterprise(app, api_as):
    response = api_as("admin").post("/api/v1/enterprises", json=VALID)
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in VALID} == VALID
    assert body["version"] == 1
    assert response.headers["Location"].endswith(f"/api/v1/enterprises/{body['id']}")
    assert _count(app) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"country": "XX"}, "country", "Not a valid choice."),
        ({"sector": "mining"}, "sector", "Not a valid choice."),
        ({"workers_women": -1}, "workers_women", "Number must be at least 0."),
        ({"workers_women": 1_000_001}, "workers_women", "Number must be at most 1,000,000."),
        ({"workers_women": 10**400}, "workers_women", "Number must be at most 2,147,483,647."),
        ({"workers_men": -(10**400)}, "workers_men", "Number must be at least -2,147,483,648."),
        ({"workers_men": "12"}, "workers_men", "Must be a whole number."),
        ({"workers_men": 12.5}, "workers_men", "Must be a whole number."),
        ({"data_sharing_consent": "yes"}, "data_sharing_consent", "Must be true or false."),
        ({"joined_on": "05/05/2025"}, "joined_on", "Not a valid date value."),
        ({"joined_on": 20250505}, "joined_on", "Must be a date written YYYY-MM-DD."),
        ({"joined_on": "2999-01-01"}, "joined_on", "The date joined cannot be in the future."),
        ({"name": ["a list"]}, "name", "Must be text."),
        ({"colour": "blue"}, "colour", "Unknown field."),
    ],
)
def test_bad_field_gets_a_422_naming_it_and_nothing_is_saved(app, api_as, change, field, message):
    response = api_as("admin").post("/api/v1/enterprises", json={**VALID, **change})
    assert response.status_code == 422
    assert response.get_json()["errors"][field] == message
    assert _count(app) == 0


def test_several_bad_fields_are_all_named(api_as):
    response = api_as("admin").post("/api/v1/enterprises", json={"workers_women": -3})
    assert set(response.get_json()["errors"]) == {
        "name",
        "country",
        "sector",
        "workers_women",
        "workers_men",
    }


@pytest.mark.parametrize("body", ["not json", "[1, 2]", "null"])
def test_body_that_is_not_a_json_object_gets_a_422(api_as, body):
    response = api_as("admin").post(
        "/api/v1/enterprises", data=body, content_type="application/json"
    )
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]


def test_staff_cannot_create_outside_their_countries(app, api_as):
    response = api_as("programme_staff", countries=["VN"]).post("/api/v1/enterprises", json=VALID)
    assert response.status_code == 422
    assert "country" in response.get_json()["errors"]
    assert _count(app) == 0


def test_patch_changes_only_the_fields_sent(api_as, create_enterprise):
    enterprise = create_enterprise(name="Old Name", workers_men=40)
    api = api_as("trainer", enterprises=[enterprise])
    response = api.patch(
        f"/api/v1/enterprises/{enterprise.id}", json={"version": 1, "name": "New Name"}
    )
    body = response.get_json()
    assert response.status_code == 200
    assert (body["name"], body["workers_men"], body["version"]) == ("New Name", 40, 2)


def test_a_version_too_large_for_the_database_is_refused_as_bad_input(api_as, create_enterprise):
    enterprise = create_enterprise()
    response = api_as("admin").patch(
        f"/api/v1/enterprises/{enterprise.id}",
        json={"version": 10**400, "cohort": "B"},
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 422
    expected = "Le nombre doit être inférieur ou égal à 2\u202f147\u202f483\u202f647."
    assert response.get_json()["errors"] == {"version": expected}


def test_patch_needs_the_version_read_and_an_older_one_changes_nothing(
    app, api_as, create_enterprise
):
    enterprise = create_enterprise(name="Old Name")
    api = api_as("trainer", enterprises=[enterprise])
    url = f"/api/v1/enterprises/{enterprise.id}"
    unversioned = api.patch(url, json={"name": "New Name"})
    assert unversioned.status_code == 422
    assert unversioned.get_json()["errors"] == {"version": "This field is required."}
    assert api.patch(url, json={"version": 1, "region": "Ashanti"}).status_code == 200
    stale = api.patch(url, json={"version": 1, "name": "New Name"})
    assert stale.status_code == 409
    body = stale.get_json()
    assert "Someone else changed this enterprise" in body["error"]
    assert (body["current"]["name"], body["current"]["region"]) == ("Old Name", "Ashanti")
    assert body["current"]["version"] == 2
    assert _stored(app, enterprise.id).name == "Old Name"


def test_an_object_read_before_consent_was_withdrawn_cannot_give_it_back(
    app, api_as, create_enterprise
):
    """Issue 15 through the API: a client reads an enterprise, its owner withdraws consent, the
    client sends the object it read back with a new name."""
    enterprise = create_enterprise(name="Old Name", data_sharing_consent=True)
    url = f"/api/v1/enterprises/{enterprise.id}"
    admin = api_as("admin")
    read = admin.get(url).get_json()
    owner = api_as("enterprise_owner", enterprises=[enterprise])
    withdrawn = owner.patch(url, json={"version": read["version"], "data_sharing_consent": False})
    assert withdrawn.status_code == 200
    refused = admin.patch(url, json={**read, "name": "New Name"})
    assert refused.status_code == 409
    assert refused.get_json()["current"]["data_sharing_consent"] is False
    stored = _stored(app, enterprise.id)
    assert (stored.name, stored.data_sharing_consent) == ("Old Name", False)


def test_consent_changes_only_in_a_request_that_changes_nothing_else(
    app, api_as, create_enterprise
):
    enterprise = create_enterprise(name="Old Name", data_sharing_consent=True)
    url = f"/api/v1/enterprises/{enterprise.id}"
    owner = api_as("enterprise_owner", enterprises=[enterprise])
    read = owner.get(url).get_json()
    both = owner.patch(url, json={**read, "name": "New Name", "data_sharing_consent": False})
    assert both.status_code == 422
    assert "on its own" in both.get_json()["errors"]["data_sharing_consent"]
    assert _stored(app, enterprise.id).data_sharing_consent is True
    # The object read, sent back with only consent changed, or with only another field changed.
    alone = owner.patch(url, json={**read, "data_sharing_consent": False})
    assert alone.status_code == 200
    stored = _stored(app, enterprise.id)
    assert (stored.data_sharing_consent, stored.consent_changed_at is not None) == (False, True)
    renamed = owner.patch(url, json={**alone.get_json(), "name": "New Name"})
    assert renamed.get_json()["data_sharing_consent"] is False
    assert _stored(app, enterprise.id).name == "New Name"


def test_patch_of_consent_by_a_trainer_is_refused(app, api_as, create_enterprise):
    enterprise = create_enterprise(data_sharing_consent=False)
    api = api_as("trainer", enterprises=[enterprise])
    response = api.patch(
        f"/api/v1/enterprises/{enterprise.id}", json={"version": 1, "data_sharing_consent": True}
    )
    assert response.status_code == 422
    assert "data_sharing_consent" in response.get_json()["errors"]
    with app.app_context():
        assert db.session.get(Enterprise, enterprise.id).data_sharing_consent is False


def test_out_of_scope_enterprise_is_a_json_404(api_as, create_enterprise):
    other = create_enterprise()
    response = api_as("trainer").get(f"/api/v1/enterprises/{other.id}")
    assert response.status_code == 404
    assert response.get_json()["error"]


def test_errors_speak_the_requests_language(api_as):
    response = api_as("admin").post(
        "/api/v1/enterprises", json={}, headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["name"] == "Ce champ est obligatoire."
