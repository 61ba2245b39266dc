"""reminders follow the meeting time: booking.timed_at, sent_notice.meeting_at

A reminder is claimed once per meeting time (sent_notice.meeting_at in its unique index), so a meeting that moves is
reminded of again at its new time; other notices stay claimed once per object and person. A booking records when it
got its current time (booking.timed_at), so that a reminder whose time had passed by then is not sent.

Existing rows: a booking got its time when it was booked (timed_at = created_at); a reminder sent already is about
its meeting's time now (the booking's slot, the session's start), so it is not sent again after the upgrade.

Revision ID: 5b0e7c1d2a93
Revises: ea049a28bd01
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import matchapp.database


# revision identifiers, used by Alembic.
revision = '5b0e7c1d2a93'
down_revision = 'ea049a28bd01'
branch_labels = None
depends_on = None


ABOUT_A_MEETING = sa.text("meeting_at IS NOT NULL")
NOT_ABOUT_A_MEETING = sa.text("meeting_at IS NULL")


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timed_at', matchapp.database.UTCDateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE booking SET timed_at = created_at"))
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.alter_column('timed_at', existing_type=matchapp.database.UTCDateTime(timezone=True), nullable=False)

    with op.batch_alter_table('sent_notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_at', matchapp.database.UTCDateTime(timezone=True), nullable=True))
    op.execute(sa.text(
        "UPDATE sent_notice SET meeting_at = (SELECT slot.starts_at FROM booking JOIN slot ON slot.id = booking.slot_id"
        " WHERE booking.id = sent_notice.object_id) WHERE kind LIKE 'reminder-%'"))
    op.execute(sa.text(
        "UPDATE sent_notice SET meeting_at = (SELECT interview_session.starts_at FROM interview_session"
        " WHERE interview_session.id = sent_notice.object_id) WHERE kind LIKE 'employer-reminder-%'"))
    with op.batch_alter_table('sent_notice', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sent_notice_kind', type_='unique')
        batch_op.create_index('uq_sent_notice_once', ['kind', 'object_id', 'recipient_id'], unique=True,
                              sqlite_where=NOT_ABOUT_A_MEETING, postgresql_where=NOT_ABOUT_A_MEETING)
        batch_op.create_index('uq_sent_notice_meeting', ['kind', 'object_id', 'recipient_id', 'meeting_at'],
                              unique=True, sqlite_where=ABOUT_A_MEETING, postgresql_where=ABOUT_A_MEETING)


def downgrade():
    # Once per object and person again: of a meeting's reminders for several times, the last one sent stays.
    op.execute(sa.text(
        "DELETE FROM sent_notice WHERE id NOT IN (SELECT max(id) FROM sent_notice GROUP BY kind, object_id, recipient_id)"))
    with op.batch_alter_table('sent_notice', schema=None) as batch_op:
        batch_op.drop_index('uq_sent_notice_meeting', sqlite_where=ABOUT_A_MEETING, postgresql_where=ABOUT_A_MEETING)
        batch_op.drop_index('uq_sent_notice_once', sqlite_where=NOT_ABOUT_A_MEETING, postgresql_where=NOT_ABOUT_A_MEETING)
        batch_op.create_unique_constraint(batch_op.f('uq_sent_notice_kind'), ['kind', 'object_id', 'recipient_id'])
        batch_op.drop_column('meeting_at')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_column('timed_at')
