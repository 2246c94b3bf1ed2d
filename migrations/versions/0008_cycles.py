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


def _latest(column: str, phase: str, condition: str = "") -> str:
    """The latest reported row of the updated row's enterprise and indicator in a phase."""
    return (
        f"(SELECT m.{column} FROM measurements AS m"
        " WHERE m.enterprise_id = measurements.enterprise_id"
        f" AND m.indicator = measurements.indicator AND m.phase = '{phase}'"
        f" AND m.status != 'draft'{condition}"
        " ORDER BY m.period_start DESC, m.period_end DESC, m.id DESC LIMIT 1)"
    )


# As kpis.services.refresh_latest marks them at this revision: the latest reported follow-up,
# and the latest reported baseline that ended before it starts (with no follow-up, the latest
# reported baseline).
MARK_CURRENT_PAIR = (
    "UPDATE measurements SET is_latest = COALESCE(id = CASE"
    f" WHEN phase = 'follow_up' THEN {_latest('id', 'follow_up')}"
    f" WHEN {_latest('id', 'follow_up')} IS NULL THEN {_latest('id', 'baseline')}"
    " ELSE "
    + _latest("id", "baseline", f" AND m.period_end < {_latest('period_start', 'follow_up')}")
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
