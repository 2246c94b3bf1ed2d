"""uploaded measurement files between preview and saving

Revision ID: 0006_imports
Revises: 0005_latest
Create Date: 2026-12-01 22:22:13

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_imports'
down_revision = '0005_latest'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('measurement_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('file_format', sa.String(length=4), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=True),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('changed_count', sa.Integer(), nullable=False),
    sa.Column('unchanged_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_measurement_imports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement_imports')),
    sa.UniqueConstraint('token', name=op.f('uq_measurement_imports_token'))
    )
    with op.batch_alter_table('measurement_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurement_imports_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('measurement_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurement_imports_user_id'))

    op.drop_table('measurement_imports')