"""The throwaway database every benchmark here fills: where it is, and emptying it only when this is safe."""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from sqlalchemy import MetaData, inspect, select, text

from matchapp.extensions import db
from matchapp.models import User


def database_url(given: str | None, file_name: str) -> str:
    """The database given (postgresql:// taken as psycopg 3), or a SQLite file of that name in the temp folder."""
    if not given:
        return f"sqlite:///{Path(tempfile.gettempdir()) / file_name}"
    return re.sub(r"^postgresql://", "postgresql+psycopg://", given)


def empty_database(marker_email: str) -> None:
    """Drop every table so the migrations can build the schema afresh: only a database without users or one that
    the benchmark filled (it holds the user with `marker_email`)."""
    tables = inspect(db.engine).get_table_names()
    if "users" in tables:
        emails = set(db.session.scalars(select(User.email)))
        db.session.rollback()
        if emails and marker_email not in emails:
            sys.exit("The database holds other data; give this script an empty (throwaway) database.")
    elif tables and tables != ["alembic_version"]:
        sys.exit("The database holds other tables; give this script an empty (throwaway) database.")
    reflected = MetaData()
    reflected.reflect(db.engine)
    reflected.drop_all(db.engine)
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
