"""Settings from the environment (MATCHAPP_*), with an embedded SQLite database as the default."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

LANGUAGES = ("da", "en")  # the languages of pages and e-mails; Danish is the default


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MATCHAPP_{name}", default)


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def load_config(instance_path: str) -> dict:
    """Return the app's settings: environment variables over defaults."""
    database_url = _env("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'matchapp.sqlite'}"
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the PostgreSQL driver; plain postgresql:// would ask SQLAlchemy for psycopg2.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return {
        "SECRET_KEY": _env("SECRET_KEY") or _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters: a database error's text (logged for a 500 or by a scheduler job) shows the SQL but not
        # the bound values, which are names, e-mail addresses, pitches, tokens and password hashes.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "BABEL_DEFAULT_LOCALE": "da",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "MAIL_SENDER": _env("MAIL_SENDER", "matchapp@kk.dk"),
        # Where users report accessibility problems (the accessibility statement shows it).
        "ACCESSIBILITY_EMAIL": _env("ACCESSIBILITY_EMAIL", _env("MAIL_SENDER", "matchapp@kk.dk")),
        "MAIL_SENDER_NAME": _env("MAIL_SENDER_NAME", "matchapp"),
        # No SMTP host: messages stay in the outbox, which admins see as the development mailbox.
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": _env_int("SMTP_PORT", 587),
        "SMTP_SECURITY": _env("SMTP_SECURITY", "starttls"),  # starttls, ssl or none
        "SMTP_USER": _env("SMTP_USER"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_TIMEOUT": _env_int("SMTP_TIMEOUT", 30),
        "MAIL_GIVE_UP_HOURS": _env_int("MAIL_GIVE_UP_HOURS", 6),
        # Webhooks are tried again with growing pauses (at most an hour) for this long, then dead: more than a day.
        "WEBHOOK_GIVE_UP_HOURS": _env_int("WEBHOOK_GIVE_UP_HOURS", 25),
        "WEBHOOK_TIMEOUT_SECONDS": _env_int("WEBHOOK_TIMEOUT_SECONDS", 10),
        "BASE_URL": _env("BASE_URL", "http://127.0.0.1:5000"),
        "RATELIMIT_ENABLED": _env("RATELIMIT_ENABLED", "1") == "1",
        # memory:// counts in each process: several workers or hosts need a shared Redis (redis://host:6379/0).
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        # Several apps or test runs can share one Redis; each counts under its own prefix.
        "RATELIMIT_KEY_PREFIX": _env("RATELIMIT_KEY_PREFIX", "matchapp"),
        # Redis unreachable: each worker counts in its own memory until it is back, rather than answering 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # How many reverse proxies in front of the app add X-Forwarded-For/-Proto/-Host; 0 = the socket's address.
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        **session_cookie(_env("BASE_URL", "http://127.0.0.1:5000"), _env("SECURE_COOKIES", "0") == "1"),
        # Booking rules (docs/booking-rules.md): all configurable, these are the defaults.
        "BOOKING_GAP_MINUTES": _env_int("BOOKING_GAP_MINUTES", 5),
        "CANCEL_CUTOFF_HOURS": _env_int("CANCEL_CUTOFF_HOURS", 2),
        "DAILY_BOOKING_CAP": _env_int("DAILY_BOOKING_CAP", 6),
        # A freed time is offered to at most this many waiting candidates (in the order they joined the list).
        "WAITLIST_OFFERS_PER_TIME": _env_int("WAITLIST_OFFERS_PER_TIME", 10),
        # Exported figures show counts of people from 1 to below this as "<5" (services/funnel/small_numbers.py);
        # 0: off.
        "SMALL_NUMBER_LIMIT": _env_int("SMALL_NUMBER_LIMIT", 5),
        "SIGN_IN_LINK_MINUTES": _env_int("SIGN_IN_LINK_MINUTES", 10),
        "PASSWORD_RESET_MINUTES": _env_int("PASSWORD_RESET_MINUTES", 60),
        # A signed-in session ends after this long without a request (idle) or since sign-in (absolute); shorter
        # for staff (consultants, admins), who see many citizens' data.
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 60),
        "SESSION_MAX_HOURS": _env_int("SESSION_MAX_HOURS", 12),
        "STAFF_SESSION_IDLE_MINUTES": _env_int("STAFF_SESSION_IDLE_MINUTES", 30),
        "STAFF_SESSION_MAX_HOURS": _env_int("STAFF_SESSION_MAX_HOURS", 8),
        "PAGE_SIZE": _env_int("PAGE_SIZE", 20),
        # The scheduler: reminders this many minutes before a meeting (24 h and 1 h), and how often jobs look.
        "REMINDER_MINUTES": sorted((int(m) for m in _env("REMINDER_MINUTES", "1440,60").split(",")), reverse=True),
        "SCHEDULER_OUTBOX_SECONDS": _env_int("SCHEDULER_OUTBOX_SECONDS", 30),
        "SCHEDULER_REMINDER_SECONDS": _env_int("SCHEDULER_REMINDER_SECONDS", 60),
        "SCHEDULER_NUDGE_SECONDS": _env_int("SCHEDULER_NUDGE_SECONDS", 300),
        "SCHEDULER_FIGURES_SECONDS": _env_int("SCHEDULER_FIGURES_SECONDS", 300),
        # Personal data (docs/privacy.md is the record of processing; these periods are stated there and in the
        # privacy notice). Who is responsible for the data, and where people ask about them.
        "PRIVACY_CONTROLLER": _env("PRIVACY_CONTROLLER", "Københavns Kommune, Beskæftigelses- og "
                                                         "Integrationsforvaltningen"),
        "PRIVACY_EMAIL": _env("PRIVACY_EMAIL", _env("MAIL_SENDER", "matchapp@kk.dk")),
        "RETENTION_OUTBOX_DAYS": _env_int("RETENTION_OUTBOX_DAYS", 30),  # sent e-mails' bodies and invites
        "RETENTION_WEBHOOK_DAYS": _env_int("RETENTION_WEBHOOK_DAYS", 30),  # names in delivered webhook payloads
        "RETENTION_TOKEN_DAYS": _env_int("RETENTION_TOKEN_DAYS", 7),  # used or expired sign-in and reset links
        "RETENTION_CANDIDATE_MONTHS": _env_int("RETENTION_CANDIDATE_MONTHS", 12),  # inactive candidates anonymised
        "RETENTION_NOTICE_WEEKS": _env_int("RETENTION_NOTICE_WEEKS", 4),  # the consultant is told this long before
        "RETENTION_NOTE_MONTHS": _env_int("RETENTION_NOTE_MONTHS", 6),  # employers' private notes on outcomes
        "CALENDAR_FEED_DAYS": _env_int("CALENDAR_FEED_DAYS", 180),  # a feed address works this long unless renewed
        "SCHEDULER_RETENTION_SECONDS": _env_int("SCHEDULER_RETENTION_SECONDS", 3600),
        # The header: the authority's name (unset: "Copenhagen job centres" in the page's language) and its logo,
        # a file under static/ (the Content-Security-Policy allows images from the site itself only); no logo:
        # the product's name in type.
        "AUTHORITY_NAME": _env("AUTHORITY_NAME"),
        "LOGO_FILE": _env("LOGO_FILE"),
        "LOGO_ALT": _env("LOGO_ALT"),
    }


def session_cookie(base_url: str, secure: bool) -> dict:
    """Secure whenever the site is served over https (or MATCHAPP_SECURE_COOKIES=1 says so), and then named with
    the `__Host-` prefix: browsers keep such a cookie only from https, for the whole site (Path=/) and for this host
    alone (no Domain), so neither a plain-http page nor a sibling subdomain can set or replace it."""
    if secure or base_url.startswith("https://"):
        return {"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_NAME": "__Host-session", "SESSION_COOKIE_PATH": "/",
                "SESSION_COOKIE_DOMAIN": None}
    return {"SESSION_COOKIE_SECURE": False}


def _instance_secret(instance_path: str) -> str:
    """A random secret kept in instance/ so that sessions survive restarts without a secret in the repo."""
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
