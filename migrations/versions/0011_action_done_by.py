"""who marked each improvement action done, so that someone else verifies it

Revision ID: 0011_action_done_by
Revises: 0010_versions
Create Date: 2026-12-05 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_action_done_by"
down_revision = "0010_versions"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_plan_actions_done_by_id_users"


def upgrade():
    with op.batch_alter_table("plan_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            FOREIGN_KEY, "users", ["done_by_id"], ["id"], ondelete="SET NULL"
        )
    # Who marked an action done was not kept: the last saver of one still done is the likeliest,
    # and refusing them its verification the safe side. A verified action was last saved by its
    # verifier, and an open one is not done: nobody is named for them.
    op.execute("UPDATE plan_actions SET done_by_id = updated_by_id WHERE status = 'done'")


def downgrade():
    with op.batch_alter_table("plan_actions", schema=None) as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch_op.drop_column("done_by_id")
