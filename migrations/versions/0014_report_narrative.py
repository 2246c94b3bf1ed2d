"""the narrative a programme staff member writes for the synthesis report

Revision ID: 0014_report_narrative
Revises: 0013_sync
Create Date: 2026-12-05 09:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_report_narrative"
down_revision = "0013_sync"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_narrative", sa.Text(), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("report_narrative")
