"""Passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommendation), the
rules a new password must meet, and a verification that takes as long for nobody as for
someone, so a sign-in does not tell which addresses have an account."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kracht.basics.errors import InvalidInput

SHORTEST, LONGEST = 12, 256  # characters
COMMON = frozenset(  # the most used passwords of 12 characters or more (as breach lists show)
    {
        "123456789012", "1234567890123", "12345678910111213", "qwertyuiopas", "qwerty123456",
        "password1234", "passwordpassword", "iloveyou1234", "aaaaaaaaaaaa", "111111111111",
        "000000000000", "abcdefghijkl", "abc123abc123", "welkom123456", "wachtwoord12",
        "wachtwoord123", "wachtwoord1234", "qwertyuiop12", "administrator", "changeme1234",
    }
)  # fmt: skip


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def check(password: str, email: str) -> None:
    """Refuse a password too short, too long, common, or made of the person's own address."""
    if len(password) < SHORTEST:
        raise InvalidInput(
            f"a password needs at least {SHORTEST} characters; a few unrelated words make a "
            "strong one that is easy to remember", field="password"
        )  # fmt: skip
    if len(password) > LONGEST:
        raise InvalidInput(f"a password has at most {LONGEST} characters", field="password")
    folded = password.casefold()
    local = email.split("@", 1)[0].casefold()
    if folded in COMMON or len(set(folded)) < 4 or folded in (email.casefold(), local):
        raise InvalidInput(
            "that password is too easy to guess (a common one, a repeated character or your "
            "e-mail address); choose another", field="password"
        )  # fmt: skip


def hashed(password: str) -> str:
    """The argon2id hash of `password` (salted; the parameters are part of it)."""
    return _hasher().hash(password)


def matches(stored: str | None, password: str) -> bool:
    """Whether `password` is the one `stored` was made from. With nothing stored, a hash is
    still checked, against a password nobody has, so that the answer takes as long."""
    try:
        return _hasher().verify(stored or _nobody(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def outdated(stored: str) -> bool:
    """Whether `stored` was made with weaker parameters than today's (hash it again)."""
    return _hasher().check_needs_rehash(stored)


@cache
def _nobody() -> str:
    import secrets

    return _hasher().hash(secrets.token_urlsafe(32))
