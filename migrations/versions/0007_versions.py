"""versions of measurements and actions, so a save based on an old version is refused, and
when an import's preview began, so a file saves only over figures its preview showed

Revision ID: 0007_versions
Revises: 0006_imports
Create Date: 2026-12-02 00:54:19

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007_versions"
down_revision = "0006_imports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )

    with op.batch_alter_table("measurement_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("plan_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_actions_updated_by_id_users"),
            "users",
            ["updated_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("plan_actions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_plan_actions_updated_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("version")
        batch_op.drop_column("updated_by_id")

    with op.batch_alter_table("measurement_imports", schema=None) as batch_op:
        batch_op.drop_column("checked_at")

    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_column("version")
