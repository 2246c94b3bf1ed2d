"""evidence photos' bytes in the database, for app servers that share no disk

Revision ID: 0017_stored_files
Revises: 0016_jobs
Create Date: 2026-12-05 12:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_stored_files"
down_revision = "0016_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_files",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stored_files")),
    )


def downgrade():
    op.drop_table("stored_files")
