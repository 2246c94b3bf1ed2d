"""The Alembic migrations build exactly the schema the models describe, every database keeps
its foreign keys alike, and changing a table keeps the rows that refer to it."""

from datetime import date

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from score_app import create_app
from score_app.extensions import db
from score_app.kpis.models import Measurement
from tests.conftest import BASE_CONFIG


@pytest.mark.committing
def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def _figure(enterprise_id: int, entered_by_id: int | None = None) -> Measurement:
    return Measurement(
        enterprise_id=enterprise_id, indicator="absenteeism_rate", phase="baseline",
        period_start=date(2026, 1, 1), period_end=date(2026, 1, 31), input_1=40, input_2=1000,
        value=4.0, entered_by_id=entered_by_id,
    )  # fmt: skip


def test_a_figure_of_an_enterprise_that_does_not_exist_is_refused(app):
    with app.app_context():
        db.session.add(_figure(987_654))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Measurement)) == 0


def test_removing_an_enterprise_or_a_user_follows_the_schemas_delete_rules(
    app, create_enterprise, create_user
):
    kept, removed = create_enterprise(), create_enterprise()
    owner = create_user("enterprise_owner", enterprises=[kept, removed])
    with app.app_context():
        db.session.add_all([_figure(kept.id, owner.id), _figure(removed.id, owner.id)])
        db.session.commit()
        db.session.execute(sa.text("DELETE FROM enterprises WHERE id = :id"), {"id": removed.id})
        db.session.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": owner.id})
        db.session.commit()
        rows = db.session.execute(sa.select(Measurement.enterprise_id, Measurement.entered_by_id))
        # The removed enterprise's figure went with it; who entered the other is forgotten.
        assert rows.all() == [(kept.id, None)]


ROWS = (
    "INSERT INTO users (id, email, full_name, password_hash, role, is_active, created_at) "
    "VALUES (1, 'trainer@example.org', 'Ama Owusu', 'x', 'trainer', true, '2026-01-05')",
    "INSERT INTO enterprises (id, name, name_folded, country, region, sector, product, "
    "workers_women, workers_men, cohort, data_sharing_consent, created_at, updated_at) VALUES "
    "(1, 'Factory', 'factory', 'GH', '', 'garments', '', 10, 10, '', true, '2026-01-05', "
    "'2026-01-05')",
    "INSERT INTO visits (id, enterprise_id, module_slug, visit_date, trainer_id, findings, "
    "next_steps, created_at) VALUES (1, 1, 'quality', '2026-02-01', 1, '', '', '2026-02-01')",
    "INSERT INTO improvement_plans (id, enterprise_id, title, started_on, currency, created_at) "
    "VALUES (1, 1, 'Plan', '2026-01-10', 'GHS', '2026-01-10')",
    "INSERT INTO plan_actions (id, plan_id, problem, root_cause, action, responsible, due_date, "
    "status, module_slug, indicator, created_at, updated_at) VALUES (1, 1, 'Dust', '', "
    "'Sweep', 'Kofi', '2026-03-01', 'planned', '', '', '2026-01-10', '2026-01-10')",
    "INSERT INTO action_photos (id, action_id, stored_name, content_type, size_bytes, caption, "
    "uploaded_at) VALUES (1, 1, 'a.jpg', 'image/jpeg', 10, '', '2026-02-01')",
    "INSERT INTO visit_actions (visit_id, action_id) VALUES (1, 1)",
)


def test_a_migration_that_rebuilds_a_table_keeps_the_rows_that_refer_to_it(tmp_path):
    """On SQLite, 0007 rebuilds plan_actions; its photos and visit links must stay."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.db"})
    with app.app_context():
        flask_migrate.upgrade(revision="0006_imports")
        with db.engine.begin() as connection:
            for row in ROWS:
                connection.exec_driver_sql(row)
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            counts = [
                connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))
                for table in ("plan_actions", "action_photos", "visit_actions")
            ]
            assert counts == [1, 1, 1]
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            # 0009 rebuilds users, enterprises and visits: a visit not saved since it was made
            # was last saved then, at its first version.
            saved = connection.execute(
                sa.text("SELECT version, updated_at = created_at, updated_by_id FROM visits")
            )
            assert [tuple(row) for row in saved] == [(1, 1, None)]
        db.engine.dispose()


CYCLE_ROWS = (
    *ROWS[:2],  # a user and the enterprise
    *(
        "INSERT INTO measurements (enterprise_id, indicator, phase, period_start, period_end,"
        " input_1, input_2, value, status, comment, warnings, is_latest, created_at, updated_at,"
        f" version) VALUES (1, 'defect_rate', '{phase}', '{start}', '{end}', {defects}, 1000,"
        f" {defects / 10}, '{status}', '', '[]', {flag}, '2025-01-01', '2025-01-01', 1)"
        for phase, start, end, defects, status, flag in (
            ("baseline", "2025-01-01", "2025-01-31", 30, "verified", 0),
            ("follow_up", "2025-04-01", "2025-04-30", 15, "submitted", 1),
            ("baseline", "2026-11-01", "2026-11-30", 50, "submitted", 1),
        )
    ),
)


def test_upgrading_marks_the_pair_of_the_latest_cycle_with_a_follow_up(tmp_path):
    """0007 marked the latest baseline (November 2026) beside the April follow-up of January's
    cycle; 0008 marks January's baseline instead, and going back restores the old marks."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.db"})

    def marked() -> list[str]:
        with db.engine.connect() as connection:
            return list(
                connection.scalars(
                    sa.text(
                        "SELECT phase || ' ' || period_start FROM measurements"
                        " WHERE is_latest ORDER BY period_start"
                    )
                )
            )

    with app.app_context():
        flask_migrate.upgrade(revision="0007_versions")
        with db.engine.begin() as connection:
            for row in CYCLE_ROWS:
                connection.exec_driver_sql(row)
        flask_migrate.upgrade(revision="0008_cycles")
        assert marked() == ["baseline 2025-01-01", "follow_up 2025-04-01"]
        flask_migrate.downgrade(revision="0007_versions")
        assert marked() == ["follow_up 2025-04-01", "baseline 2026-11-01"]
        db.engine.dispose()


def test_upgrading_takes_the_last_saver_of_a_done_action_as_who_marked_it_done(tmp_path):
    """0011: nobody knows who marked an action done before it; the last saver of a done one is
    the likeliest, and refusing them its verification the safe side. A verified action was
    last saved by its verifier, an open one is not done: theirs stay unknown."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.db"})
    user = (
        "INSERT INTO users (id, email, full_name, password_hash, role, is_active, created_at, "
        "updated_at) VALUES (1, 'trainer@example.org', 'Ama Owusu', 'x', 'trainer', true, "
        "'2026-01-05', '2026-01-05')"
    )
    actions = [
        "INSERT INTO plan_actions (id, plan_id, problem, root_cause, action, responsible, "
        "due_date, status, module_slug, indicator, created_at, updated_at, updated_by_id) "
        f"VALUES ({n}, 1, 'Dust', '', 'Sweep', 'Kofi', '2026-03-01', '{status}', '', '', "
        "'2026-01-10', '2026-01-10', 1)"
        for n, status in enumerate(("planned", "done", "verified"), start=1)
    ]

    def done_by() -> list[tuple]:
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id, done_by_id FROM plan_actions ORDER BY id")
            )
            return [tuple(row) for row in rows]

    with app.app_context():
        flask_migrate.upgrade(revision="0010_versions")
        with db.engine.begin() as connection:
            for row in (user, ROWS[1], ROWS[3], *actions):
                connection.exec_driver_sql(row)
        flask_migrate.upgrade(revision="0011_action_done_by")
        assert done_by() == [(1, None), (2, 1), (3, None)]
        flask_migrate.downgrade(revision="0010_versions")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("plan_actions")}
        assert "done_by_id" not in columns and "updated_by_id" in columns
        db.engine.dispose()


def test_a_database_file_commits_through_the_write_ahead_log(tmp_path):
    """Each attendance tap is a commit: in WAL mode with synchronous=NORMAL it is appended to the
    log instead of waiting for the disk (bench/sync.py: 4.4 s -> 0.6 s for a day's sync here)."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/app.db"})
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert (tmp_path / "app.db-wal").exists()
        db.engine.dispose()
