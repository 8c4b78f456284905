"""Secret tokens (sessions, e-mailed links, API tokens, form tokens): random, URL-safe, and kept
only as their SHA-256, so a copy of the database signs nobody in."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

API_PREFIX = "kr_"  # an API token starts with it, so a leaked one is easy to recognise
SHAPE = re.compile(r"[A-Za-z0-9_-]{20,128}")  # what a token given back to kracht may look like


def new(prefix: str = "") -> str:
    """A fresh token: 256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """The token as it is stored and looked up: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def well_formed(token: str | None, prefix: str = "") -> bool:
    """Whether `token` could be one of ours (checked before any lookup)."""
    return (
        token is not None
        and token.startswith(prefix)
        and SHAPE.fullmatch(token.removeprefix(prefix)) is not None
    )


def same(given: str | None, expected: str) -> bool:
    """Compare a token given back with the one expected, in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
