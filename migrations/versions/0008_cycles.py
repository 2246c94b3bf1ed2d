"""the marked pair of each enterprise's indicator is the before/after of its latest cycle with a
reported follow-up, and the index programme results read it from holds the periods

Revision ID: 0008_cycles
Revises: 0007_versions
Create Date: 2026-12-04 16:00:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0008_cycles"
down_revision = "0007_versions"
branch_labels = None
depends_on = None

OLD_COLUMNS = ["is_latest", "phase", "enterprise_id", "indicator", "value", "input_1", "input_2"]
NEW_COLUMNS = [*OLD_COLUMNS, "period_start", "period_end"]


def _latest(column: str, phase: str, condition: str = "", alias: str = "m") -> str:
    """The latest reported row of the updated row's enterprise and indicator in a phase."""
    return (
        f"(SELECT {alias}.{column} FROM measurements AS {alias}"
        f" WHERE {alias}.enterprise_id = measurements.enterprise_id"
        f" AND {alias}.indicator = measurements.indicator AND {alias}.phase = '{phase}'"
        f" AND {alias}.status != 'draft'{condition}"
        f" ORDER BY {alias}.period_start DESC, {alias}.period_end DESC, {alias}.id DESC LIMIT 1)"
    )


# The status of a follow-up's cycle baseline: the latest baseline, whatever its status, that
# ended before the follow-up starts.
CYCLE_BASELINE_STATUS = (
    "(SELECT b.status FROM measurements AS b"
    " WHERE b.enterprise_id = f.enterprise_id AND b.indicator = f.indicator"
    " AND b.phase = 'baseline' AND b.period_end < f.period_start"
    " ORDER BY b.period_start DESC, b.period_end DESC, b.id DESC LIMIT 1)"
)


def _complete(column: str) -> str:
    """The latest reported follow-up whose cycle's baseline is reported."""
    return _latest(column, "follow_up", f" AND {CYCLE_BASELINE_STATUS} != 'draft'", alias="f")


# As kpis.services.refresh_latest marks them at this revision (kpis.cycles.current_pair): the
# latest reported follow-up whose cycle's baseline is reported, and that baseline; without one,
# the latest reported baseline alone, or failing that the latest reported follow-up alone.
MARK_CURRENT_PAIR = (
    "UPDATE measurements SET is_latest = COALESCE(id = CASE"
    " WHEN phase = 'follow_up' THEN COALESCE("
    f"{_complete('id')}, CASE WHEN {_latest('id', 'baseline')} IS NULL"
    f" THEN {_latest('id', 'follow_up')} END)"
    f" WHEN {_complete('id')} IS NULL THEN {_latest('id', 'baseline')}"
    " ELSE "
    + _latest("id", "baseline", f" AND m.period_end < {_complete('period_start')}")
    + " END, false)"
)

# As they were marked before: the latest reported row of each phase.
MARK_LATEST_OF_EACH_PHASE = (
    "UPDATE measurements SET is_latest = COALESCE(id = ("
    " SELECT m.id FROM measurements AS m"
    " WHERE m.enterprise_id = measurements.enterprise_id"
    " AND m.indicator = measurements.indicator AND m.phase = measurements.phase"
    " AND m.status != 'draft'"
    " ORDER BY m.period_start DESC, m.id DESC LIMIT 1), false)"
)


def _index(columns: list[str]) -> None:
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_measurements_latest")
        batch_op.create_index("ix_measurements_latest", columns, unique=False)


def upgrade():
    _index(NEW_COLUMNS)
    op.execute(MARK_CURRENT_PAIR)


def downgrade():
    _index(OLD_COLUMNS)
    op.execute(MARK_LATEST_OF_EACH_PHASE)
