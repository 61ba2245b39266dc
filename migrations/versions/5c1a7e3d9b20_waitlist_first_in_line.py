"""waitlist: first in line

A candidate whose meeting an employer's move of the session cancelled (rule 10) waits ahead of the others.

Revision ID: 5c1a7e3d9b20
Revises: 5b0e7c1d2a93
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1a7e3d9b20'
down_revision = '5b0e7c1d2a93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('waitlist_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_in_line', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('waitlist_entry', schema=None) as batch_op:
        batch_op.drop_column('first_in_line')
