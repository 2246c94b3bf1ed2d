"""Admins create, edit and deactivate accounts and set each one's scope."""

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from score_app.auth import services as auth_services
from score_app.auth.models import ApiToken, Role, User
from score_app.extensions import db
from tests.conftest import PASSWORD, VERSION_FIELD, conflict_table, post_seen, seen_version


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return user, user.country_codes, [e.id for e in user.enterprises] if user else None


def _new_user_form(**fields):
    return {
        "email": "kofi@example.org",
        "full_name": "Kofi Boateng",
        "role": "trainer",
        "preferred_locale": "",
        "new_password": "a-long-password",
        **fields,
    }


def test_admin_creates_a_trainer_assigned_to_enterprises(app, client_as, create_enterprise):
    enterprise = create_enterprise()
    admin = client_as("admin")
    response = admin.post("/admin/users/new", data=_new_user_form(enterprises=[enterprise.id]))
    assert response.status_code == 302
    user, _countries, enterprise_ids = _user(app, "kofi@example.org")
    assert user.role == Role.TRAINER
    assert enterprise_ids == [enterprise.id]


def test_admin_gives_programme_staff_their_countries(app, client_as):
    admin = client_as("admin")
    admin.post(
        "/admin/users/new",
        data=_new_user_form(role="programme_staff", countries=["GH", "VN"]),
    )
    _user_row, countries, _ids = _user(app, "kofi@example.org")
    assert countries == ["GH", "VN"]


def test_duplicate_email_is_refused_and_the_form_keeps_what_was_typed(app, client_as, create_user):
    create_user("trainer", email="kofi@example.org")
    admin = client_as("admin")
    response = admin.post(
        "/admin/users/new", data=_new_user_form(full_name="Kofi Second", email="KOFI@example.org")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Another account already uses this email address." in page
    assert 'value="Kofi Second"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_a_trainer_cannot_be_given_countries(client_as):
    admin = client_as("admin")
    response = admin.post("/admin/users/new", data=_new_user_form(countries=["GH"]))
    assert "Only programme staff have countries in their scope." in response.get_data(as_text=True)


def test_weak_password_is_refused_on_the_password_field(client_as):
    admin = client_as("admin")
    response = admin.post("/admin/users/new", data=_new_user_form(new_password="short"))
    assert 'id="new_password-error"' in response.get_data(as_text=True)


def test_admin_deactivates_a_user_and_their_tokens_stop_working(app, client_as, create_user):
    trainer = create_user("trainer")
    with app.app_context():
        _token, plain = auth_services.create_token(db.session.get(User, trainer.id), "tablet")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/enterprises", headers=headers).status_code == 200
    admin = client_as("admin")
    response = post_seen(
        admin,
        f"/admin/users/{trainer.id}",
        data={"email": trainer.email, "full_name": trainer.full_name, "role": "trainer"},
    )
    assert response.status_code == 302
    assert api.get("/api/v1/enterprises", headers=headers).status_code == 401
    login = app.test_client().post("/login", data={"email": trainer.email, "password": PASSWORD})
    assert "Email or password is incorrect." in login.get_data(as_text=True)


def test_admin_cannot_deactivate_themself(app, create_user):
    from tests.conftest import sign_in

    admin_user = create_user("admin")
    client = sign_in(app.test_client(), admin_user)
    response = post_seen(
        client,
        f"/admin/users/{admin_user.id}",
        data={"email": admin_user.email, "full_name": "Me", "role": "admin"},
    )
    assert "You cannot remove your own admin rights" in response.get_data(as_text=True)
    user, _c, _e = _user(app, admin_user.email)
    assert user.is_active


def test_user_list_filters_by_role_and_text(client_as, create_user):
    create_user("trainer", full_name="Yaw Mensah")
    create_user("enterprise_owner", full_name="Esi Mensah")
    admin = client_as("admin", full_name="The Admin")
    page = admin.get("/admin/users?role=trainer&q=mensah").get_data(as_text=True)
    assert "Yaw Mensah" in page
    assert "Esi Mensah" not in page


def test_admin_revokes_another_users_token(app, client_as, create_user):
    trainer = create_user("trainer")
    with app.app_context():
        token, _plain = auth_services.create_token(db.session.get(User, trainer.id), "tablet")
        token_id = token.id
    admin = client_as("admin")
    admin.post(f"/account/tokens/{token_id}/revoke")
    with app.app_context():
        assert db.session.get(ApiToken, token_id).is_revoked


def test_an_account_saved_by_another_admin_meanwhile_shows_both_versions(
    app, client_as, create_user, create_enterprise
):
    accra, kumasi = create_enterprise(name="Accra Works"), create_enterprise(name="Kumasi Works")
    trainer = create_user("trainer", full_name="Kofi Boateng", enterprises=[accra])
    first, second = client_as("admin"), client_as("admin", full_name="Yaw Admin")
    url = f"/admin/users/{trainer.id}"
    firsts_version = seen_version(first, url)
    account = {"email": trainer.email, "full_name": "Kofi Boateng", "role": "trainer"}
    # The second admin gives the trainer a second enterprise (nothing else of the row changes).
    moved = post_seen(
        second, url, data={**account, "is_active": "y", "enterprises": [accra.id, kumasi.id]}
    )
    assert moved.status_code == 302

    typed = {
        **account, "full_name": "Kofi A. Boateng", "is_active": "y",
        "enterprises": [accra.id], "new_password": "another-long-password",
    }  # fmt: skip
    refused = first.post(url, data={"version": firsts_version, **typed})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Yaw Admin saved a new version" in html
    table = conflict_table(html)
    assert table["Name"] == ("Kofi Boateng", "Kofi A. Boateng", True)
    assert table["Enterprises (trainers and owners)"] == (
        "Accra Works (Ghana), Kumasi Works (Ghana)", "Accra Works (Ghana)", True
    )  # fmt: skip
    assert table["Active (can sign in)"] == ("Yes", "Yes", False)
    assert "Password" not in table and "another-long-password" not in html
    assert 'value="Kofi A. Boateng"' in html
    user, _countries, enterprises = _user(app, trainer.email)
    assert (user.full_name, enterprises) == ("Kofi Boateng", [accra.id, kumasi.id])
    assert check_password_hash(user.password_hash, PASSWORD)

    again = first.post(url, data={"version": VERSION_FIELD.search(html).group(1), **typed})
    assert again.status_code == 302
    user, _countries, enterprises = _user(app, trainer.email)
    assert (user.full_name, enterprises) == ("Kofi A. Boateng", [accra.id])
