"""figures: follow-up recorded, hires by type, bookings per course or none

The figure tables hold nothing of their own: they are emptied here and the next refresh (every few minutes)
rebuilds them. The per-course booking figures get a row id, because sessions open to any course have no course.
Cancelled bookings get a partial index for the dashboard's freed times.

Revision ID: ea049a28bd01
Revises: 6952f08cbefb
Create Date: 2026-12-03 19:05:28.866696

"""
from alembic import op
import sqlalchemy as sa

import matchapp.database


# revision identifiers, used by Alembic.
revision = 'ea049a28bd01'
down_revision = '6952f08cbefb'
branch_labels = None
depends_on = None


FIGURES = ('completion_figure', 'session_figure', 'booking_figure', 'course_booking_figure', 'figures_refresh')
HIRE_TYPES = ('hired_full_time', 'hired_part_time', 'hired_small_job', 'hired_internship', 'hired_wage_subsidy', 'hired_flexjob')
TARGET_GROUP = sa.Enum('jobparat', 'aktivitetsparat', name='target_group', native_enum=False, create_constraint=True,
                       length=20)


def _empty_figures():
    for table in FIGURES:
        op.execute(sa.text(f"DELETE FROM {table}"))


CANCELLED = sa.text("status = 'cancelled'")


def upgrade():
    _empty_figures()
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_cancelled', ['session_id', 'slot_id'], unique=False,
                              sqlite_where=CANCELLED, postgresql_where=CANCELLED)
    with op.batch_alter_table('booking_figure', schema=None) as batch_op:
        for name in HIRE_TYPES:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False))
        batch_op.drop_index(batch_op.f('ix_booking_figure_employer'))
        batch_op.create_index('ix_booking_figure_employer', ['employer_id', 'target_group', 'jobcenter_id', 'local_date', 'session_id', 'booked', 'recorded', 'candidate_no_show', 'employer_no_show', 'hired', *HIRE_TYPES], unique=False)

    with op.batch_alter_table('completion_figure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded', sa.SmallInteger(), nullable=False))
        batch_op.drop_index(batch_op.f('ix_completion_figure_course'))
        batch_op.create_index('ix_completion_figure_course', ['course_id', 'target_group', 'jobcenter_id', 'course_run_id', 'run_ends_on', 'met', 'attended', 'next_step', 'hired', *HIRE_TYPES, 'recorded', 'full_time'], unique=False)

    op.drop_table('course_booking_figure')
    op.create_table('course_booking_figure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('jobcenter_id', sa.Integer(), nullable=False),
    sa.Column('target_group', TARGET_GROUP, nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.Column('hired', sa.Integer(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in HIRE_TYPES),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_booking_figure'))
    )
    with op.batch_alter_table('course_booking_figure', schema=None) as batch_op:
        batch_op.create_index('ix_course_booking_figure_course', ['course_id', 'employer_id', 'target_group', 'jobcenter_id', 'local_date', 'session_id', 'booked', 'hired', *HIRE_TYPES], unique=False)


def downgrade():
    _empty_figures()
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_cancelled', sqlite_where=CANCELLED, postgresql_where=CANCELLED)
    op.drop_table('course_booking_figure')
    op.create_table('course_booking_figure',
    sa.Column('course_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('session_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('jobcenter_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('target_group', TARGET_GROUP, nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('course_id', 'session_id', 'jobcenter_id', 'target_group', name=op.f('pk_course_booking_figure'))
    )
    with op.batch_alter_table('course_booking_figure', schema=None) as batch_op:
        batch_op.create_index('ix_course_booking_figure_course', ['course_id', 'target_group', 'jobcenter_id', 'local_date', 'session_id', 'booked'], unique=False)

    with op.batch_alter_table('completion_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_completion_figure_course')
        batch_op.create_index(batch_op.f('ix_completion_figure_course'), ['course_id', 'target_group', 'jobcenter_id', 'course_run_id', 'run_ends_on', 'met', 'attended', 'next_step', 'hired', *HIRE_TYPES, 'full_time'], unique=False)
        batch_op.drop_column('recorded')

    with op.batch_alter_table('booking_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_figure_employer')
        batch_op.create_index(batch_op.f('ix_booking_figure_employer'), ['employer_id', 'target_group', 'jobcenter_id', 'local_date', 'session_id', 'booked', 'recorded', 'candidate_no_show', 'employer_no_show', 'hired'], unique=False)
        for name in reversed(HIRE_TYPES):
            batch_op.drop_column(name)
