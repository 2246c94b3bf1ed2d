"""Error pages in the user's language, JSON errors for the API, and nothing half-saved."""

from sqlalchemy import func, select

from score_app.enterprises.models import Enterprise
from score_app.extensions import db


def test_unknown_page_is_a_404_page_in_the_users_language(client_as):
    response = client_as("trainer", preferred_locale="es").get("/no-such-page")
    assert response.status_code == 404
    assert '<html lang="es">' in response.get_data(True)


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json


def test_a_server_error_shows_the_500_page_and_keeps_nothing(make_app, create_user):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/explode")
    def explode():
        db.session.add(Enterprise(name="Half", name_folded="half", country="GH", sector="other"))
        db.session.flush()
        raise RuntimeError("boom")

    from tests.conftest import sign_in

    client = sign_in(app.test_client(), create_user("admin"))
    response = client.get("/explode")
    assert response.status_code == 500
    assert "Your last change was not saved." in response.get_data(True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_ids_and_page_numbers_too_large_for_the_database_are_not_found(
    client_as, create_enterprise
):
    client = client_as("admin")
    huge = "99999999999999999999"
    assert client.get(f"/enterprises/{huge}").status_code == 404
    assert client.get(f"/enterprises?page={huge}").status_code == 200
    assert client.get("/enterprises?page=2147483648").status_code == 200
    assert (
        client.get(f"/enterprises/{create_enterprise().id}/indicators?follow_up={huge}").status_code
        == 200
    )
