"""A notice for the page a form redirects to (post, redirect, get): what the service returned
that the next page must show once, such as the spending warnings of a progress report.

It travels in a cookie bound to the person's session: signed with the session's form token (kept
on the server), so another session's or a forged one is ignored; it names the page it is for and
is cleared once that page has shown it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from kracht.web import guard
from kracht.workflow.services.accounts import Signer

FLASH = "kracht_flash"
AGE = 600  # seconds: the redirect is followed at once; a stale notice is not worth keeping
MOST = 3000  # bytes of notice: a cookie holds about 4 KB; the caller keeps it short


def keep(request: Request, response: Response, who: Signer, path: str, **data: Any) -> None:
    """Show `data` on `path`, the next time `who` opens it in this session."""
    body = json.dumps({"path": path, **data}, ensure_ascii=False, separators=(",", ":"))
    if len(body.encode()) > MOST:
        return  # too long to carry: the page shows no notice rather than a cut one
    encoded = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    response.set_cookie(
        guard.cookie(request, FLASH), f"{encoded}.{_sign(who, encoded)}", max_age=AGE, path="/",
        secure=guard.site(request).secure, httponly=True, samesite="strict",
    )  # fmt: skip


def take(request: Request, who: Signer, path: str) -> dict[str, Any] | None:
    """The notice kept for `path` in `who`'s session, if there is one (None otherwise)."""
    value = request.cookies.get(guard.cookie(request, FLASH), "")
    encoded, _, signature = value.partition(".")
    if not encoded or not hmac.compare_digest(signature, _sign(who, encoded)):
        return None
    try:
        found = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except ValueError:
        return None
    if not isinstance(found, dict) or found.pop("path", None) != path:
        return None
    return found


def clear(request: Request, response: Response) -> None:
    """Forget the notice: its page has shown it."""
    response.delete_cookie(
        guard.cookie(request, FLASH), path="/", secure=guard.site(request).secure, httponly=True,
        samesite="strict",
    )  # fmt: skip


def _sign(who: Signer, encoded: str) -> str:
    key = f"flash:{who['csrf']}".encode()
    return hmac.new(key, encoded.encode(), hashlib.sha256).hexdigest()
