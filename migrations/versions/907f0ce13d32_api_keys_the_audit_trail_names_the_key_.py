"""api keys; the audit trail names the key a change came through

Revision ID: 907f0ce13d32
Revises: 3a67a6a613c8
Create Date: 2026-12-07 23:19:42.763628

API keys of integrations (only a hash of each secret), and the key a change came through in the audit trail.

"""
from alembic import op
import sqlalchemy as sa

import matchapp.database


# revision identifiers, used by Alembic.
revision = '907f0ce13d32'
down_revision = '3a67a6a613c8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=400), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', matchapp.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', matchapp.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', matchapp.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_key_created_by_id_users')),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_api_key_integration_id_integration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_key_prefix'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_integration_id'), ['integration_id'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_key_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_audit_event_api_key_id_api_key'), 'api_key', ['api_key_id'], ['id'])



def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_event_api_key_id_api_key'), type_='foreignkey')
        batch_op.drop_column('api_key_id')

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_integration_id'))

    op.drop_table('api_key')
