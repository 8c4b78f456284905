"""The optional second factor: time-based one-time codes (RFC 6238, as authenticator apps make
them), each code taken once."""

from __future__ import annotations

import datetime as dt
import re

import pyotp

ISSUER = "kracht"
CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def step_of(secret: str, code: str, now: dt.datetime, after: int | None) -> int | None:
    """The time step `code` belongs to, if it is right for `secret` now (one step of clock drift
    either way) and later than step `after` (the last one taken: a code works once); else None."""
    code = code.strip().replace(" ", "")
    if not CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and pyotp.utils.strings_equal(
            totp.generate_otp(step), code
        ):
            return step
    return None
