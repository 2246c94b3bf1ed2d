"""the latest measurement of each enterprise, indicator and phase, and an index of the
figures still to verify, for programme results

Revision ID: 0005_latest
Revises: 0004_plans
Create Date: 2026-12-01 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_latest'
down_revision = '0004_plans'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_latest', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_measurements_unverified', ['enterprise_id'], unique=False, sqlite_where=sa.text("status != 'verified'"), postgresql_where=sa.text("status != 'verified'"))
        batch_op.create_index('ix_measurements_latest', ['is_latest', 'phase', 'enterprise_id', 'indicator', 'value', 'input_1', 'input_2'], unique=False)
    # Mark the latest reported (not draft) row of every group, as kpis.services.refresh_latest.
    op.execute(
        "UPDATE measurements SET is_latest = COALESCE(id = ("
        " SELECT m.id FROM measurements AS m"
        " WHERE m.enterprise_id = measurements.enterprise_id"
        " AND m.indicator = measurements.indicator AND m.phase = measurements.phase"
        " AND m.status != 'draft'"
        " ORDER BY m.period_start DESC, m.id DESC LIMIT 1), false)"
    )


def downgrade():
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_index('ix_measurements_latest')
        batch_op.drop_index('ix_measurements_unverified', sqlite_where=sa.text("status != 'verified'"), postgresql_where=sa.text("status != 'verified'"))
        batch_op.drop_column('is_latest')
