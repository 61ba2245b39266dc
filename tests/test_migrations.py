"""The schema is built only by migrations: `flask db upgrade` gives exactly the models' schema."""
import conftest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from matchapp import create_app
from matchapp.extensions import db


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
