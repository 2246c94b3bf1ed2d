"""A trainer's start page leads with today's workshops, each with its attendance a tap away."""

import re
from datetime import date, timedelta

from tests.conftest import sign_in

TODAY = date.today()


def _home(app, user) -> str:
    return sign_in(app.test_client(), user).get("/").get_data(True)


def _attendance_links(page: str) -> list[str]:
    return re.findall(r'href="(/training/workshops/\d+/days/\d+)"', page)


def test_todays_workshop_comes_first_with_a_link_to_its_attendance(
    app, create_enterprise, create_user, create_workshop
):
    accra = create_enterprise(name="Accra Works")
    trainer = create_user("trainer", enterprises=[accra])
    workshop_id, day_ids = create_workshop(
        trainer, [accra], days=(TODAY - timedelta(days=1), TODAY), place="Accra training room"
    )
    page = _home(app, trainer)
    assert "Today's workshop<" in page
    assert page.index("Today's workshop<") < page.index("Your enterprises")
    assert "Day 2 of 2" in page and "Accra training room" in page
    assert _attendance_links(page) == [f"/training/workshops/{workshop_id}/days/{day_ids[1]}"]
    assert "Take today's attendance" in page and "No one is marked present yet" in page


def test_every_workshop_running_today_is_shown(
    app, create_enterprise, create_user, create_workshop
):
    accra, kumasi = create_enterprise(name="Accra Works"), create_enterprise(name="Kumasi Works")
    trainer = create_user("trainer", enterprises=[accra, kumasi])
    morning = create_workshop(trainer, [accra], days=(TODAY,), place="Accra")
    afternoon = create_workshop(trainer, [kumasi], days=(TODAY,), place="Kumasi")
    page = _home(app, trainer)
    assert "Today's workshops" in page
    assert _attendance_links(page) == [
        f"/training/workshops/{workshop_id}/days/{day_ids[0]}"
        for workshop_id, day_ids in (morning, afternoon)
    ]


def test_with_no_workshop_today_the_next_one_is_shown_without_attendance(
    app, create_enterprise, create_user, create_workshop
):
    accra = create_enterprise(name="Accra Works")
    trainer = create_user("trainer", enterprises=[accra])
    create_workshop(trainer, [accra], days=(TODAY - timedelta(days=3),), place="Old room")
    create_workshop(trainer, [accra], days=(TODAY + timedelta(days=9),), place="Far room")
    soon, _days = create_workshop(trainer, [accra], days=(TODAY + timedelta(days=2),), place="Near")
    page = _home(app, trainer)
    assert "Today's workshop<" not in page and _attendance_links(page) == []
    assert "Your next workshop day" in page
    assert f'href="/training/workshops/{soon}"' in page
    assert "Near" in page and "Far room" not in page and "Old room" not in page


def test_another_trainers_workshop_today_is_not_on_my_home(
    app, create_enterprise, create_user, create_workshop
):
    accra = create_enterprise(name="Accra Works")
    me = create_user("trainer", enterprises=[accra])
    colleague = create_user("trainer", enterprises=[accra])
    create_workshop(colleague, [accra], days=(TODAY,))
    page = _home(app, me)
    assert "Today's workshop<" not in page and "Your next workshop day" not in page


def test_todays_workshop_is_shown_in_the_trainers_language(
    app, create_enterprise, create_user, create_workshop
):
    accra = create_enterprise(name="Accra Works")
    trainer = create_user("trainer", enterprises=[accra], preferred_locale="fr")
    create_workshop(trainer, [accra], days=(TODAY,))
    page = _home(app, trainer)
    assert "Atelier du jour" in page and "Saisir les présences du jour" in page
