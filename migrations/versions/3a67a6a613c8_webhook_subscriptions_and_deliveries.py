"""webhooks: an integration's subscriptions to events, and each event's delivery

Revision ID: 3a67a6a613c8
Revises: f4ab4d83ae75
Create Date: 2026-12-07 23:18:46.809339

"""
from alembic import op
import sqlalchemy as sa

import matchapp.database


# revision identifiers, used by Alembic.
revision = '3a67a6a613c8'
down_revision = 'f4ab4d83ae75'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webhook_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events', sa.String(length=400), nullable=False),
    sa.Column('scopes', sa.String(length=400), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('insecure_allowed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', matchapp.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_webhook_subscription_integration_id_integration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscription'))
    )
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_subscription_integration_id'), ['integration_id'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('personal', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'dead', name='webhook_delivery_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', matchapp.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', matchapp.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('give_up_at', matchapp.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', matchapp.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', matchapp.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_webhook_delivery_candidate_id_candidate')),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], name=op.f('fk_webhook_delivery_subscription_id_webhook_subscription')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sa.UniqueConstraint('event_id', name=op.f('uq_webhook_delivery_event_id'))
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_delivery_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_subscription_id'), ['subscription_id'], unique=False)



def downgrade():
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_status'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_candidate_id'))

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_subscription_integration_id'))

    op.drop_table('webhook_subscription')
