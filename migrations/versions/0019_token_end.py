"""why an API token ended: signed out, revoked, its account deactivated or its password changed

Revision ID: 0019_token_end
Revises: 0018_results_version
Create Date: 2026-12-06 02:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_token_end"
down_revision = "0018_results_version"
branch_labels = None
depends_on = None


def upgrade():
    # Tokens ended before this revision keep a null reason: unknown.
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(
            sa.Column(
                "revoked_reason",
                sa.Enum(
                    "signed_out", "revoked", "deactivated", "password",
                    name="tokenend", native_enum=False, length=20,
                ),  # fmt: skip
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("revoked_reason")
