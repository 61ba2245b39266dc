"""Which passwords people may choose: long enough, not common or breached, not their own e-mail address.

zxcvbn (Dropbox's estimator, kept on PyPI) ships its frequency lists offline: the 30,000 most common passwords from
breach corpora, English words, names and common patterns (dates, sequences, repeats, keyboard walks). It scores a
password by the guesses an attacker would need; nothing is sent anywhere.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from matchapp.services.errors import MatchappError

MIN_LENGTH = 10
MAX_LENGTH = 200
# zxcvbn's score 3 means more than 10^8 guesses: out of reach online, and slow to reach against our argon2 hashes.
MIN_SCORE = 3
# zxcvbn's matching grows fast with length; a longer password's first part alone is already judged strong or not.
_SCORED_CHARACTERS = 72


def check_password(password: str, *, email: str) -> None:
    """Refuse a password that is short, common or breached, easy to guess, or contains the e-mail address.

    :raises MatchappError: on the field "password", saying why in words a person can act on.
    """
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise MatchappError(_l("Use at least 10 characters."), field="password")
    lowered, address = password.casefold(), email.strip().casefold()
    local_part = address.partition("@")[0]
    if address in lowered or (len(local_part) >= 3 and local_part in lowered):
        raise MatchappError(_l("The password must not contain your e-mail address."), field="password")
    if zxcvbn(password[:_SCORED_CHARACTERS], user_inputs=[address, local_part])["score"] < MIN_SCORE:
        raise MatchappError(_l("This password is too common or too easy to guess. "
                               "Use a few words that do not belong together, such as “blue tram lamp coffee”."),
                            field="password")
