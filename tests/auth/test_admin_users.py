"""Admins create, edit and deactivate accounts and set each one's scope."""

import re

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from score_app.auth import services as auth_services
from score_app.auth.models import ApiToken, Role, User
from score_app.extensions import db
from tests.auth.test_tokens import token_of
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


def test_countries_ticked_for_a_trainer_are_let_go(app, client_as):
    admin = client_as("admin")
    response = admin.post("/admin/users/new", data=_new_user_form(countries=["GH"]))
    assert response.status_code == 302
    _user_row, countries, _ids = _user(app, "kofi@example.org")
    assert countries == []


def test_the_countries_list_shows_only_for_programme_staff_and_keeps_the_ticked_ones_first(
    client_as,
):
    admin = client_as("admin")
    page = admin.get("/admin/users/new").get_data(as_text=True)
    assert 'data-roles="programme_staff"' in page
    assert '<option selected value="enterprise_owner">' in page
    refused = admin.post(
        "/admin/users/new",
        data=_new_user_form(role="programme_staff", countries=["VN", "GH"], email="not-an-email"),
    ).get_data(as_text=True)
    countries = refused[refused.index('id="countries"') :]
    ticked = [countries.index('value="GH"'), countries.index('value="VN"')]
    assert max(ticked) < countries.index('value="AF"')  # Afghanistan comes first unticked
    assert re.search(
        r'<input checked id="countries-\d+" name="countries" [^>]*value="VN">', refused
    )


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


def test_admin_revokes_another_users_token_and_signs_them_out_of_the_web_too(
    app, client_as, create_user
):
    trainer = create_user("trainer")
    token_id, plain = token_of(app, trainer, "tablet")
    on_the_tablet = client_as(trainer)
    admin = client_as("admin")
    page = admin.post(f"/account/tokens/{token_id}/revoke", follow_redirects=True)
    assert f"{trainer.full_name} is signed out of the web too." in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ApiToken, token_id).is_revoked
    refused = app.test_client().get(
        "/api/v1/enterprises", headers={"Authorization": f"Bearer {plain}"}
    )
    assert refused.get_json() == {"error": "This token was revoked.", "reason": "revoked"}
    assert on_the_tablet.get("/").status_code == 302  # to the sign-in page
    assert admin.get("/").status_code == 200


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

    # Saving their version takes Kumasi Works away again: that is confirmed first.
    stored_version = VERSION_FIELD.search(html).group(1)
    again = first.post(url, data={"version": stored_version, **typed})
    assert "Confirm the change of enterprises" in again.get_data(as_text=True)
    assert _user(app, trainer.email)[2] == [accra.id, kumasi.id]
    confirmed = {"version": stored_version, "confirmed_removal": str(kumasi.id), **typed}
    assert first.post(url, data=confirmed).status_code == 302
    user, _countries, enterprises = _user(app, trainer.email)
    assert (user.full_name, enterprises) == ("Kofi A. Boateng", [accra.id])


def _edit_form(user, enterprises, **fields):
    return {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role.value,
        "is_active": "y",
        "enterprises": [e.id for e in enterprises],
        **fields,
    }


def test_unticking_enterprises_asks_for_a_confirmation_listing_them_before_saving(
    app, client_as, create_user, create_enterprise
):
    accra, kumasi, tema, volta, wa = (
        create_enterprise(name=name) for name in ("Accra", "Kumasi", "Tema", "Volta", "Wa")
    )
    trainer = create_user("trainer", enterprises=[accra, kumasi, tema, volta])
    admin = client_as("admin")
    url = f"/admin/users/{trainer.id}"
    typed = _edit_form(trainer, [accra, tema, wa])
    asked = post_seen(admin, url, data=typed)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Confirm the change of enterprises" in page
    removed = page[page.index("Removed (2 enterprises)") : page.index("Added (1 enterprise)")]
    assert "Kumasi" in removed and "Volta" in removed and "Accra" not in removed
    assert "Wa</li>" in page[page.index("Added (1 enterprise)") :]
    assert _user(app, trainer.email)[2] == [accra.id, kumasi.id, tema.id, volta.id]

    back = admin.post(url, data={**typed, "version": seen_version(admin, url), "back": "1"})
    assert back.status_code == 200
    assert "Confirm the change" not in back.get_data(as_text=True)
    assert _user(app, trainer.email)[2] == [accra.id, kumasi.id, tema.id, volta.id]

    confirmed = {**typed, "confirmed_removal": f"{kumasi.id},{volta.id}"}
    assert post_seen(admin, url, data=confirmed).status_code == 302
    assert _user(app, trainer.email)[2] == [accra.id, tema.id, wa.id]


def test_adding_enterprises_only_saves_without_a_confirmation(
    app, client_as, create_user, create_enterprise
):
    accra, kumasi = create_enterprise(name="Accra"), create_enterprise(name="Kumasi")
    trainer = create_user("trainer", enterprises=[accra])
    admin = client_as("admin")
    saved = post_seen(
        admin, f"/admin/users/{trainer.id}", data=_edit_form(trainer, [accra, kumasi])
    )
    assert saved.status_code == 302
    assert _user(app, trainer.email)[2] == [accra.id, kumasi.id]


def test_the_assigned_enterprises_are_listed_first_and_ticked(
    client_as, create_user, create_enterprise
):
    create_enterprise(name="Abba Textiles")
    zed = create_enterprise(name="Zed Garments")
    trainer = create_user("trainer", enterprises=[zed])
    page = client_as("admin").get(f"/admin/users/{trainer.id}").get_data(as_text=True)
    assert page.index("Zed Garments") < page.index("Abba Textiles")
    assert re.search(rf'<input checked [^>]*name="enterprises" [^>]*value="{zed.id}">', page)


def test_admin_assigns_a_trainer_from_the_enterprise_page(
    app, client_as, create_user, create_enterprise
):
    enterprise = create_enterprise(name="Tema Shirts")
    trainer = create_user("trainer", full_name="Yaw Mensah")
    create_user("admin", full_name="Other Admin")
    admin = client_as("admin")
    page = admin.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "No user is assigned to this enterprise yet." in page
    assert "Yaw Mensah · Trainer" in page and "Other Admin" not in page
    assert f"/admin/users/new?enterprise={enterprise.id}" in page
    done = admin.post(
        f"/enterprises/{enterprise.id}/members",
        data={"user_id": trainer.id},
        follow_redirects=True,
    )
    assert "Yaw Mensah is assigned to Tema Shirts." in done.get_data(as_text=True)
    assert _user(app, trainer.email)[2] == [enterprise.id]


def test_an_admin_cannot_be_assigned_to_an_enterprise(
    app, client_as, create_user, create_enterprise
):
    enterprise = create_enterprise()
    other_admin = create_user("admin")
    admin = client_as("admin")
    refused = admin.post(
        f"/enterprises/{enterprise.id}/members",
        data={"user_id": other_admin.id},
        follow_redirects=True,
    )
    assert "Only active trainers and enterprise owners" in refused.get_data(as_text=True)
    assert _user(app, other_admin.email)[2] == []


def test_the_new_user_form_from_an_enterprise_page_has_it_ticked(client_as, create_enterprise):
    enterprise = create_enterprise(name="Tema Shirts")
    page = client_as("admin").get(f"/admin/users/new?enterprise={enterprise.id}")
    html = page.get_data(as_text=True)
    assert re.search(rf'<input checked [^>]*name="enterprises" [^>]*value="{enterprise.id}">', html)


def test_a_confirmation_of_other_removals_than_the_save_makes_is_asked_again(
    app, client_as, create_user, create_enterprise
):
    accra, kumasi, tema = (create_enterprise(name=name) for name in ("Accra", "Kumasi", "Tema"))
    trainer = create_user("trainer", enterprises=[accra, kumasi, tema])
    admin = client_as("admin")
    url = f"/admin/users/{trainer.id}"
    # Confirmed for Kumasi alone, but the form now takes Tema away too.
    typed = {**_edit_form(trainer, [accra]), "confirmed_removal": str(kumasi.id)}
    asked = post_seen(admin, url, data=typed)
    assert "Removed (2 enterprises)" in asked.get_data(as_text=True)
    assert _user(app, trainer.email)[2] == [accra.id, kumasi.id, tema.id]


def test_back_to_the_form_keeps_the_version_first_seen_so_a_save_meanwhile_is_a_conflict(
    app, client_as, create_user, create_enterprise
):
    accra, kumasi, tema = (create_enterprise(name=name) for name in ("Accra", "Kumasi", "Tema"))
    trainer = create_user("trainer", full_name="Ama Mensah", enterprises=[accra, kumasi])
    first, second = client_as("admin"), client_as("admin", full_name="Yaw Admin")
    url = f"/admin/users/{trainer.id}"
    seen = seen_version(first, url)
    typed = _edit_form(trainer, [accra])
    assert "Confirm the change" in first.post(url, data={**typed, "version": seen}).text
    # Meanwhile another admin gives the trainer Tema.
    assert (
        post_seen(second, url, data=_edit_form(trainer, [accra, kumasi, tema])).status_code == 302
    )
    back = first.post(url, data={**typed, "version": seen, "back": "1"})
    assert VERSION_FIELD.search(back.text).group(1) == str(seen)
    confirmed = {**typed, "version": seen, "confirmed_removal": str(kumasi.id)}
    refused = first.post(url, data=confirmed)
    assert refused.status_code == 409
    assert "Yaw Admin saved a new version" in refused.text
    assert _user(app, trainer.email)[2] == [accra.id, kumasi.id, tema.id]
