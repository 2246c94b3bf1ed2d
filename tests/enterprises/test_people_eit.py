"""An enterprise's people and its Enterprise Improvement Team."""

import re

from sqlalchemy import select

from score_app.enterprises.models import JobRole, Person
from score_app.extensions import db
from tests.conftest import VERSION_FIELD, conflict_table, post_seen, seen_version


def _team_page_versions(client, url: str) -> dict:
    """The version of each person that the team page lists (sent back with the team)."""
    page = client.get(url).get_data(True)
    return dict(re.findall(r'name="(version-\d+)" value="(\d+)"', page))


def _save_team(client, url: str, members: list, versions: dict | None = None):
    versions = _team_page_versions(client, url) if versions is None else versions
    return client.post(url, data={"members": members, **versions})


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
    _save_team(owner, f"/enterprises/{mine.id}/eit", [manager])
    page = owner.get(f"/enterprises/{mine.id}/eit").get_data(True)
    assert "The team has no worker." in page and "The team has no woman." in page
    _save_team(owner, f"/enterprises/{mine.id}/eit", [manager, worker])
    page = owner.get(f"/enterprises/{mine.id}/eit").get_data(True)
    assert "The team mixes managers and workers, women and men." in page
    assert _members(app) == {"Yaw", "Efua"}


def test_eit_cannot_include_people_of_another_enterprise(
    app, client_as, create_enterprise, create_person
):
    mine, other = create_enterprise(), create_enterprise()
    outsider = create_person(other, "Outsider")
    owner = client_as("enterprise_owner", enterprises=[mine])
    _save_team(owner, f"/enterprises/{mine.id}/eit", [outsider])
    assert _members(app) == set()


def test_programme_staff_read_the_eit_but_cannot_change_it(
    client_as, create_enterprise, create_person
):
    mine = create_enterprise(country="GH")
    create_person(mine, "Yaw", "male", "manager")
    staff = client_as("programme_staff", countries=["GH"])
    page = staff.get(f"/enterprises/{mine.id}/eit").get_data(True)
    assert "Save the team" not in page


def test_a_person_saved_by_someone_else_meanwhile_shows_both_versions(
    app, client_as, create_enterprise, create_person
):
    mine = create_enterprise()
    person_id = create_person(mine, "Efua Appiah", "female", "worker")
    owner = client_as("enterprise_owner", enterprises=[mine])
    trainer = client_as("trainer", full_name="Ama Owusu", enterprises=[mine])
    url = f"/enterprises/{mine.id}/people/{person_id}"
    owners_version = seen_version(owner, url)
    renamed = {"full_name": "Efua Appiah-Mensah", "sex": "female", "job_role": "worker"}
    assert post_seen(trainer, url, data=renamed).status_code == 302

    mine_typed = {"full_name": "Efua Appiah", "sex": "female", "job_role": "supervisor"}
    refused = owner.post(url, data={"version": owners_version, **mine_typed})
    html = refused.get_data(True)
    assert refused.status_code == 409
    assert "Ama Owusu saved a new version" in html
    assert conflict_table(html) == {
        "Name": ("Efua Appiah-Mensah", "Efua Appiah", True),
        "Sex": ("Woman", "Woman", False),
        "Role": ("Worker", "Supervisor", True),
    }
    assert re.search(r'<input checked[^>]*value="supervisor"', html)  # what the owner chose
    assert _person(app, person_id) == ("Efua Appiah-Mensah", JobRole.WORKER)

    again = owner.post(url, data={"version": VERSION_FIELD.search(html).group(1), **mine_typed})
    assert again.status_code == 302
    assert _person(app, person_id) == ("Efua Appiah", JobRole.SUPERVISOR)


def _person(app, person_id: int) -> tuple[str, JobRole]:
    with app.app_context():
        person = db.session.get(Person, person_id)
        return person.full_name, person.job_role


def test_a_team_page_older_than_someone_elses_change_saves_nothing_and_says_why(
    app, client_as, create_enterprise, create_person
):
    mine = create_enterprise()
    manager = create_person(mine, "Yaw", "male", "manager")
    worker = create_person(mine, "Efua", "female", "worker")
    url = f"/enterprises/{mine.id}/eit"
    owner = client_as("enterprise_owner", enterprises=[mine])
    trainer = client_as("trainer", enterprises=[mine])
    owners_page = _team_page_versions(owner, url)
    _save_team(trainer, url, [manager, worker])
    refused = _save_team(owner, url, [manager], owners_page)
    assert "Someone else changed this after you opened the page" in owner.get(
        refused.location
    ).get_data(True)
    assert _members(app) == {"Yaw", "Efua"}
    # A person added after the page was made is not on it: the team is not saved either.
    owners_page = _team_page_versions(owner, url)
    create_person(mine, "Kojo", "male", "supervisor")
    _save_team(owner, url, [manager], owners_page)
    assert _members(app) == {"Yaw", "Efua"}
