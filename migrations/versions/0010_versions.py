"""versions of enterprises, users, people, workshops and visits, and who saved each last and
when, so a save made from a page opened before someone else's is refused instead of undoing it

Revision ID: 0010_versions
Revises: 0009_sessions
Create Date: 2026-12-04 17:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_versions"
down_revision = "0009_sessions"
branch_labels = None
depends_on = None

# Tables that gain when they were last saved; enterprises already keep it.
NEWLY_DATED = ("users", "people", "workshops", "visits")
TABLES = ("enterprises", *NEWLY_DATED)


def _foreign_key(table: str) -> str:
    return f"fk_{table}_updated_by_id_users"


def upgrade():
    for table in NEWLY_DATED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        # A row never saved since it was made was last saved when it was made.
        op.execute(f"UPDATE {table} SET updated_at = created_at")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table in NEWLY_DATED:
                batch_op.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)
            batch_op.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
            batch_op.add_column(
                sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
            )
            batch_op.create_foreign_key(
                _foreign_key(table), "users", ["updated_by_id"], ["id"], ondelete="SET NULL"
            )


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(_foreign_key(table), type_="foreignkey")
            batch_op.drop_column("version")
            batch_op.drop_column("updated_by_id")
            if table in NEWLY_DATED:
                batch_op.drop_column("updated_at")
