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
