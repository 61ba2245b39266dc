"""Personal data out of the logs: the second line of defence behind the engine's hide_parameters (config.py).

hide_parameters keeps SQLAlchemy's bound values out of a database error's text, but PostgreSQL itself puts row values
into its messages ("DETAIL:  Key (email)=(…) already exists.", "Failing row contains (…)", "CONTEXT:  … parameter $1
= '…'") and psycopg cannot be told to leave them out. URLs in log lines carry sign-in and calendar tokens. So every
log record of the process is redacted when it is made: PostgreSQL's DETAIL and CONTEXT lines, quoted values in its
"invalid input" messages, argon2 hashes, e-mail addresses and token-shaped strings. Names and phone numbers cannot be
recognised by their shape: keeping them out is hide_parameters' job, and the tests check it.

A record factory rather than a logging.Filter: a filter sees only the records of the logger or handler it is added
to, and gunicorn, Flask and the scheduler's basicConfig add their handlers after create_app has run.
"""
from __future__ import annotations

import logging
import re
import traceback

HIDDEN = "[hidden]"
_PATTERNS = [
    # PostgreSQL's detail and context lines quote the row or the parameter that failed.
    (re.compile(r"^(\s*(?:DETAIL|CONTEXT):).*$", re.MULTILINE), rf"\1 {HIDDEN}"),
    # invalid input syntax for type integer: "…"; invalid input value for enum role: "…"
    (re.compile(r'(invalid input (?:syntax|value) for [^:\n]*: )"[^"\n]*"'), rf"\1{HIDDEN}"),
    (re.compile(r"\$argon2\w*\$\S*"), HIDDEN),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), HIDDEN),
    # Tokens (secrets.token_urlsafe: 43 characters) and UUIDs: a letter and a digit, or (one token in about 1,600
    # has no digit) both small and capital letters; long snake_case identifiers in a traceback stay readable.
    (re.compile(r"(?<![\w-])(?=[\w-]*[A-Za-z])(?:(?=[\w-]*\d)|(?=[\w-]*[a-z])(?=[\w-]*[A-Z]))[\w-]{32,}(?![\w-])",
                re.ASCII), HIDDEN),
]


def redact(text: str) -> str:
    """The text without the personal data and secrets that can be recognised by their shape."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if record.name.startswith("sqlalchemy.engine") and record.msg == "Row %r":
        # With the engine logger at DEBUG SQLAlchemy logs every result row; hide_parameters does not cover rows.
        record.args = (HIDDEN,)
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is the handler's to report, as logging does
        return record
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        # Formatters use exc_text when it is set, so the traceback is printed as redacted here.
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install_log_redaction() -> None:
    """Redact every log record this process makes from now on; calling it again changes nothing."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacts", False):
        return

    def make_redacted_record(*args, **kwargs) -> logging.LogRecord:
        return _redact_record(make_record(*args, **kwargs))

    make_redacted_record.redacts = True
    logging.setLogRecordFactory(make_redacted_record)
