"""Security headers on every response, set in one place (docs/security.md, V3).

A small after_request hook rather than Flask-Talisman: Talisman's last release (1.1.0) is from 2023, and by default
it redirects to https and overwrites SESSION_COOKIE_SECURE, which config.py derives from the base URL. Neither
helps here, and Talisman has no rule for the `no-store` these pages need; the hook is short enough to read whole.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request

# Only the site's own files: no inline script or style attribute anywhere (templates and static/ have none), no
# eval; DKFDS's fonts and icons and Chart.js come from static/. Chart.js sizes its canvas through the CSSOM, which
# style-src does not govern.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
))
# Powerful browser features the app never uses, off for the page and anything it could embed.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer", "microphone",
    "payment", "usb"))
HSTS = "max-age=31536000; includeSubDomains"

# The full address only to the site itself: other sites (a video service, an employer's page) are not told that
# the visitor comes from a job-centre service. "no-referrer" would also drop the Referer header on the site's own
# forms, which Flask-WTF requires over https (WTF_CSRF_SSL_STRICT).
REFERRER_POLICY = "same-origin"
# Pages with a secret in their address (sign-in and password links): the origin only, even to the site itself, so
# that the token never travels in a Referer header (to the page's styles and scripts, or into an access log).
TOKEN_PAGE_REFERRER_POLICY = "strict-origin"


def is_served_over_https() -> bool:
    """This request came over https: directly, through a trusted proxy (ProxyFix), or to an https base URL."""
    return request.is_secure or current_app.config["BASE_URL"].startswith("https://")


def set_security_headers(response: Response) -> Response:
    """Add the security headers; `no-store` on everything but the public static files."""
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers that predate it
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    has_token = "token" in (request.view_args or {})
    headers["Referrer-Policy"] = TOKEN_PAGE_REFERRER_POLICY if has_token else REFERRER_POLICY
    if is_served_over_https():
        headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static":
        # Every page carries its session's CSRF token (the language switch), many a person's data, and downloads
        # (CSV, .ics, the calendar feed) are personal: no browser or proxy keeps a copy. Static files keep caching.
        headers["Cache-Control"] = "no-store"
    return response


def register_security_headers(app: Flask) -> None:
    """Set the security headers on every response, error pages included."""
    app.after_request(set_security_headers)
