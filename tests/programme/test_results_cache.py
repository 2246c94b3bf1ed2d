"""Programme results are kept between requests, yet a figure saved, an enterprise moved or a
member added shows at once, in the app that saved it and in another app on the same database; a
write rolled back leaves nothing behind."""

from datetime import date

import pytest
from sqlalchemy import update

from score_app.auth.models import User
from score_app.enterprises.models import Enterprise
from score_app.extensions import db
from score_app.kpis.models import Measurement, Phase
from score_app.programme import results_cache, services
from score_app.programme.filters import Filters
from score_app.programme.models import ResultsVersion
from tests.programme.conftest import add_measurement, check, csv_bytes, row, save

JULY = (date(2025, 7, 1), date(2025, 7, 31))


def _defects(user_id: int, **filters):
    found = services.figures(db.session.get(User, user_id), Filters(**filters))
    return next((r for r in found.results if r.indicator.code == "defect_rate"), None)


def _token() -> str | None:
    return db.session.get(ResultsVersion, 1).token


@pytest.fixture
def world(app, create_enterprise, create_user):
    accra = create_enterprise(name="Accra Works", country="GH")
    kumasi = create_enterprise(name="Kumasi Kente", country="GH")
    staff = create_user("programme_staff", countries=["GH"])
    with app.app_context():
        add_measurement(accra.id, inputs=(30, 1000))
        add_measurement(accra.id, phase=Phase.FOLLOW_UP, period=JULY, inputs=(10, 1000))
    return {"accra": accra, "kumasi": kumasi, "staff": staff}


def test_the_same_results_are_served_again_until_something_changes(app, world):
    with app.app_context():
        first = services.figures(db.session.get(User, world["staff"].id), Filters())
    with app.app_context():
        again = services.figures(db.session.get(User, world["staff"].id), Filters())
        other_filters = services.figures(db.session.get(User, world["staff"].id), Filters("ZA"))
    assert again is first  # kept, not counted again
    assert other_filters is not first and other_filters.in_view == 0


def test_a_figure_saved_shows_at_once_in_the_same_app(app, world):
    staff = world["staff"].id
    with app.app_context():
        assert _defects(staff).n == 1
    with app.app_context():
        add_measurement(world["kumasi"].id, inputs=(20, 1000))
        add_measurement(world["kumasi"].id, phase=Phase.FOLLOW_UP, period=JULY, inputs=(5, 1000))
    with app.app_context():
        defects = _defects(staff)
    assert defects.n == 2
    assert defects.baseline_mean == pytest.approx((3.0 + 2.0) / 2)


def test_an_enterprise_moved_to_another_country_leaves_the_results_at_once(app, world):
    staff = world["staff"].id
    with app.app_context():
        assert _defects(staff).n == 1
        db.session.get(Enterprise, world["accra"].id).country = "ZA"
        db.session.commit()
    with app.app_context():
        assert _defects(staff) is None


def test_a_member_added_sees_the_enterprise_figures_at_once(app, world, create_user):
    trainer = create_user("trainer")
    with app.app_context():
        assert _defects(trainer.id) is None
        user = db.session.get(User, trainer.id)
        user.enterprises.append(db.session.get(Enterprise, world["accra"].id))
        db.session.commit()
    with app.app_context():
        assert _defects(trainer.id).n == 1


def test_a_bulk_update_of_figures_replaces_the_version(app, world):
    with app.app_context():
        before = _token()
        db.session.execute(
            update(Measurement)
            .where(Measurement.enterprise_id == world["accra"].id)
            .values(is_latest=False)
        )
        db.session.commit()
        assert _token() != before
        assert _defects(world["staff"].id) is None


def test_a_commit_that_changes_no_results_keeps_the_version(app, world):
    with app.app_context():
        before = _token()
        db.session.get(User, world["staff"].id).report_narrative = "Figures of Ghana"
        db.session.commit()
        assert _token() == before


def test_figures_counted_before_a_save_are_not_kept_under_its_version(app, world):
    """Within the saving transaction, results are counted afresh and kept nowhere; once rolled
    back, the figures are those from before it."""
    staff = world["staff"].id
    with app.app_context():
        assert _defects(staff).n == 1
        figure = Measurement(
            enterprise_id=world["kumasi"].id, indicator="defect_rate", phase=Phase.BASELINE,
            period_start=date(2025, 1, 1), period_end=date(2025, 1, 31), input_1=20,
            input_2=1000, value=2.0, is_latest=True,
        )  # fmt: skip
        db.session.add(figure)
        db.session.flush()
        assert _defects(staff).n_baseline_only == 1  # its own write, counted afresh
        db.session.rollback()
    with app.app_context():
        assert _defects(staff).n_baseline_only == 0


@pytest.mark.committing
def test_a_figure_saved_in_one_app_shows_at_once_in_another(
    make_app, create_enterprise, create_user
):
    """Two apps on one database stand for two server processes, each keeping its own results."""
    reader, writer = make_app(), make_app()
    accra = create_enterprise(name="Accra Works", country="GH")
    admin = create_user("admin")
    with writer.app_context():
        add_measurement(accra.id, inputs=(30, 1000))
    with reader.app_context():
        assert _defects(admin.id).n_baseline_only == 1
    with reader.app_context():
        assert _defects(admin.id).n_baseline_only == 1  # now kept by the reader
    with writer.app_context():
        add_measurement(accra.id, phase=Phase.FOLLOW_UP, period=JULY, inputs=(10, 1000))
    with reader.app_context():
        defects = _defects(admin.id)
    assert (defects.n, defects.n_baseline_only) == (1, 0)
    assert defects.follow_up_mean == pytest.approx(1.0)


def test_without_the_version_row_nothing_is_kept(app, world):
    with app.app_context():
        db.session.delete(db.session.get(ResultsVersion, 1))
        db.session.commit()
        first = services.figures(db.session.get(User, world["staff"].id), Filters())
        again = services.figures(db.session.get(User, world["staff"].id), Filters())
        assert again is not first
        results_cache.forget_all()


def test_an_import_saved_shows_in_the_results_at_once(app, programme_world):
    """The import writes its rows in bulk statements, not through the session's objects."""
    staff = programme_world["users"]["staff"].id
    accra = programme_world["enterprises"]["accra"].id
    with app.app_context():
        assert _defects(staff).n_baseline_only == 1
    client = programme_world["clients"]["staff"]
    _page, token = check(client, csv_bytes([row(accra, inputs=("20", "1000"), comment="Again")]))
    save(client, token)  # a changed figure goes back to draft, out of the results
    with app.app_context():
        assert _defects(staff) is None
