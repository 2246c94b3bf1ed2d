"""the results version: a token that every commit changing programme results replaces

Revision ID: 0018_results_version
Revises: 0017_stored_files
Create Date: 2026-12-05 12:00:00

"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018_results_version"
down_revision = "0017_stored_files"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "results_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results_version")),
    )
    op.bulk_insert(table, [{"id": 1, "token": secrets.token_hex(16)}])


def downgrade():
    op.drop_table("results_version")
