"""devices that sync offline work: device tokens, the operations they synced, and the sync
operation behind a measurement's audit row

Revision ID: 0013_sync
Revises: 0012_visit_photos
Create Date: 2026-12-05 09:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_sync"
down_revision = "0012_visit_photos"
branch_labels = None
depends_on = None

AUDIT_FOREIGN_KEY = "fk_measurement_audit_sync_operation_id_sync_operations"


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_device", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "sync_operations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("synced_at", sa.DateTime(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["api_tokens.id"],
            name=op.f("fk_sync_operations_device_id_api_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sync_operations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_operations")),
        sa.UniqueConstraint("user_id", "client_id", name=op.f("uq_sync_operations_user_id")),
    )
    with op.batch_alter_table("sync_operations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_operations_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sync_operations_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("measurement_audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sync_operation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            AUDIT_FOREIGN_KEY,
            "sync_operations",
            ["sync_operation_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("measurement_audit", schema=None) as batch_op:
        batch_op.drop_constraint(AUDIT_FOREIGN_KEY, type_="foreignkey")
        batch_op.drop_column("sync_operation_id")
    with op.batch_alter_table("sync_operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_operations_user_id"))
        batch_op.drop_index(batch_op.f("ix_sync_operations_device_id"))
    op.drop_table("sync_operations")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("is_device")
