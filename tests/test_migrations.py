"""The schema is built only by migrations: `flask db upgrade` gives exactly the models' schema."""
from datetime import UTC, datetime

import conftest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from matchapp import create_app
from matchapp.extensions import db
from matchapp.models import Booking, SentNotice


def test_upgrade_on_an_empty_database_matches_the_models(app):
    # The db_url fixture built this database with `upgrade()` from empty; compare it with the models.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_flask_db_upgrade_command_builds_the_schema_from_empty(tmp_path):
    fresh = create_app(conftest.test_settings(f"sqlite:///{tmp_path / 'fresh.sqlite'}"))
    result = fresh.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        tables = set(db.inspect(db.engine).get_table_names())
    assert {"booking", "slot", "interview_session", "outbox_message", "alembic_version"} <= tables


def test_upgrading_a_database_with_data_keeps_it(tmp_path):
    # Rebuilding a table on SQLite (batch mode) must not trip over rows that point at it.
    old = create_app(conftest.test_settings(f"sqlite:///{tmp_path / 'old.sqlite'}"))
    runner = old.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "632650d072a0"]).exit_code == 0
    with old.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO jobcenter (id, name) VALUES (1, 'Jobcenter A')")
        connection.exec_driver_sql(
            "INSERT INTO users (id, email, name, role, language, jobcenter_id, active, created_at) "
            "VALUES (1, 'a@example.dk', 'A', 'candidate', 'da', 1, 1, '2026-11-01 10:00:00')")
        connection.exec_driver_sql(
            "INSERT INTO candidate (id, user_id, jobcenter_id, target_group, pitch) VALUES (1, 1, 1, 'jobparat', '')")
        connection.exec_driver_sql(
            "INSERT INTO outbox_message (recipient, subject, body_text, status, attempts, created_at) "
            "VALUES ('a@example.dk', 'Hej', 'Hej', 'pending', 0, '2026-11-01 10:00:00')")
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with old.app_context(), db.engine.connect() as connection:
        row = connection.exec_driver_sql("SELECT message_id, body_html, status FROM outbox_message").one()
        assert row == ("outbox-1@matchapp", "Hej", "pending")
        assert connection.exec_driver_sql("SELECT count(*) FROM candidate").scalar() == 1


REMINDERS_FOLLOW_THE_MEETING = "5b0e7c1d2a93"


def test_upgrading_keeps_the_reminders_sent_and_when_each_booking_got_its_time(tmp_path):
    # A booking made on 1 December for 8 December at 10:00, reminded of 24 hours before; a retention warning.
    old = create_app(conftest.test_settings(f"sqlite:///{tmp_path / 'old.sqlite'}"))
    runner = old.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", f"{REMINDERS_FOLLOW_THE_MEETING}-1"]).exit_code == 0
    with old.app_context(), db.engine.begin() as connection:
        for statement in (
            "INSERT INTO jobcenter (id, name) VALUES (1, 'Jobcenter A')",
            "INSERT INTO employer (id, name, cvr, address, created_at) VALUES (1, 'Firma', '12345674', 'Vej 1', "
            "'2026-11-01 10:00:00')",
            "INSERT INTO users (id, email, name, role, language, jobcenter_id, active, created_at) VALUES "
            "(1, 'a@example.dk', 'A', 'candidate', 'da', 1, 1, '2026-11-01 10:00:00')",
            "INSERT INTO users (id, email, name, role, language, employer_id, active, created_at) VALUES "
            "(2, 'b@example.dk', 'B', 'employer', 'da', 1, 1, '2026-11-01 10:00:00')",
            "INSERT INTO candidate (id, user_id, jobcenter_id, target_group, pitch) VALUES (1, 1, 1, 'jobparat', '')",
            "INSERT INTO interview_session (id, employer_id, created_by_id, title, description, local_date, start_time,"
            " end_time, slot_minutes, break_minutes, interviewers, mode, booking_closes_hours, status, starts_at,"
            " ends_at, created_at) VALUES (1, 1, 2, 'Job', '', '2026-12-08', '10:00:00.000000', '10:10:00.000000',"
            " 10, 0, 1, 'video', 2, 'published', '2026-12-08 09:00:00', '2026-12-08 09:10:00', '2026-11-01 10:00:00')",
            "INSERT INTO slot (id, session_id, lane, starts_at, ends_at, status) VALUES (1, 1, 1,"
            " '2026-12-08 09:00:00', '2026-12-08 09:10:00', 'open')",
            "INSERT INTO booking (id, slot_id, session_id, candidate_id, booked_by_id, status, uid, sequence,"
            " created_at) VALUES (1, 1, 1, 1, 1, 'confirmed', 'u@matchapp', 0, '2026-12-01 12:00:00')",
            "INSERT INTO sent_notice (kind, object_id, recipient_id, sent_at) VALUES "
            "('reminder-1440m', 1, 1, '2026-12-07 09:00:00'), ('employer-reminder-1440m', 1, 2, '2026-12-07 09:00:00'),"
            " ('retention-warning', 1, 3, '2026-12-07 09:00:00')",
        ):
            connection.exec_driver_sql(statement)

    result = runner.invoke(args=["db", "upgrade", REMINDERS_FOLLOW_THE_MEETING])
    assert result.exit_code == 0, result.output
    with old.app_context():
        assert db.session.scalar(select(Booking.timed_at)) == datetime(2026, 12, 1, 12, tzinfo=UTC)  # when booked
        notices = db.session.execute(select(SentNotice.kind, SentNotice.meeting_at).order_by(SentNotice.id)).all()
        db.session.remove()
    # The reminders sent are about the meeting at its present time, so they do not go out again.
    meeting = datetime(2026, 12, 8, 9, tzinfo=UTC)
    assert notices == [("reminder-1440m", meeting), ("employer-reminder-1440m", meeting), ("retention-warning", None)]

    # A reminder for a second time of the meeting, then back: one per object and person again, the last one sent.
    with old.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO sent_notice (kind, object_id, recipient_id, meeting_at, sent_at) "
                                   "VALUES ('reminder-1440m', 1, 1, '2026-12-09 09:00:00', '2026-12-08 09:00:00')")
    result = runner.invoke(args=["db", "downgrade", f"{REMINDERS_FOLLOW_THE_MEETING}-1"])
    assert result.exit_code == 0, result.output
    with old.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT kind, sent_at FROM sent_notice ORDER BY id").all() == [
            ("employer-reminder-1440m", "2026-12-07 09:00:00"), ("retention-warning", "2026-12-07 09:00:00"),
            ("reminder-1440m", "2026-12-08 09:00:00")]
