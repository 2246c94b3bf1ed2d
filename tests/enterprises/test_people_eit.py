"""An enterprise's people and its Enterprise Improvement Team."""

from sqlalchemy import select

from score_app.enterprises.models import Person
from score_app.extensions import db


def _members(app):
    with app.app_context():
        return set(db.session.scalars(select(Person.full_name).where(Person.is_eit_member)))


def test_owner_adds_a_person_without_account_or_email(app, client_as, create_enterprise):
    mine = create_enterprise()
    owner = client_as("enterprise_owner", enterprises=[mine])
    response = owner.post(
        f"/enterprises/{mine.id}/people",
        data={"full_name": "Efua Appiah", "sex": "female", "job_role": "worker"},
    )
    assert response.status_code == 302
    assert "Efua Appiah" in owner.get(f"/enterprises/{mine.id}/people").get_data(True)


def test_a_person_needs_sex_and_role(client_as, create_enterprise):
    mine = create_enterprise()
    page = (
        client_as("enterprise_owner", enterprises=[mine])
        .post(f"/enterprises/{mine.id}/people", data={"full_name": "Efua"})
        .get_data(True)
    )
    assert page.count("Not a valid choice.") == 2
    assert 'value="Efua"' in page


def test_eit_page_warns_when_the_team_does_not_mix(
    app, client_as, create_enterprise, create_person
):
    mine = create_enterprise()
    manager = create_person(mine, "Yaw", "male", "manager")
    worker = create_person(mine, "Efua", "female", "worker")
    owner = client_as("enterprise_owner", enterprises=[mine])
    owner.post(f"/enterprises/{mine.id}/eit", data={"members": [manager]})
    page = owner.get(f"/enterprises/{mine.id}/eit").get_data(True)
    assert "The team has no worker." in page and "The team has no woman." in page
    owner.post(f"/enterprises/{mine.id}/eit", data={"members": [manager, worker]})
    page = owner.get(f"/enterprises/{mine.id}/eit").get_data(True)
    assert "The team mixes managers and workers, women and men." in page
    assert _members(app) == {"Yaw", "Efua"}


def test_eit_cannot_include_people_of_another_enterprise(
    app, client_as, create_enterprise, create_person
):
    mine, other = create_enterprise(), create_enterprise()
    outsider = create_person(other, "Outsider")
    owner = client_as("enterprise_owner", enterprises=[mine])
    owner.post(f"/enterprises/{mine.id}/eit", data={"members": [outsider]})
    assert _members(app) == set()


def test_programme_staff_read_the_eit_but_cannot_change_it(
    client_as, create_enterprise, create_person
):
    mine = create_enterprise(country="GH")
    create_person(mine, "Yaw", "male", "manager")
    staff = client_as("programme_staff", countries=["GH"])
    page = staff.get(f"/enterprises/{mine.id}/eit").get_data(True)
    assert "Save the team" not in page
