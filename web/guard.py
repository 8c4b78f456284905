"""Who is asking, and what every request must show: the session cookie, the form token (CSRF),
the cookies' flags and the security headers.

A page request acts as the person whose server-side session its cookie names (see
workflow/services/accounts.py). Every form and every htmx request that changes something
carries that session's form token, in the `csrf` field or the `X-CSRF-Token` header; before
signing in, the form token is the one in the `kracht_form` cookie (double submit). Cookies are
HttpOnly and SameSite, and Secure (with the `__Host-` prefix) unless the site is served over
plain http on the loopback address, as in development and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kracht.basics import tokens
from kracht.basics.actors import Actor
from kracht.basics.errors import KrachtError, NotPermitted
from kracht.workflow.services import accounts
from kracht.workflow.services.accounts import Signer

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

    from kracht.workflow.unit import Units

SESSION, FORM = "kracht_session", "kracht_form"
READ_ONLY = frozenset({"auditor"})  # roles that read and never write
OWN_ACCESS = ("/sign-in", "/sign-out", "/welcome/", "/account")  # one's own session and tokens
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


@dataclass(frozen=True)
class Site:
    """What every request of one server shares: its units of work (one for pages, one for the
    API, each its channel), whether cookies are Secure, and the page templates."""

    pages: Units
    api: Units
    secure: bool
    templates: Jinja2Templates


class SignInNeeded(Exception):  # noqa: N818 - a redirect, not an error
    """The page needs a signed-in person: go to the sign-in page, then back to `next`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CodeNeeded(Exception):  # noqa: N818 - a redirect, not an error
    """Signed in, but the second factor is still to come (or to be set up)."""


class FormRefused(KrachtError):
    """A form or request that changes something came without its form token, or another's."""

    http_status = 403
    kind = "form-refused"
    title = "the form is not from this session"


def site(request: Request) -> Site:
    return request.app.state.site  # type: ignore[no-any-return]


def cookie(request: Request, name: str) -> str:
    """The name of one of kracht's cookies on this site (`__Host-` prefixed when Secure)."""
    return f"__Host-{name}" if site(request).secure else name


def visitor(request: Request) -> Signer | None:
    """Who the session cookie names, if its session is open (None for everyone else)."""
    cached = request.scope.get("kracht.visitor", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(cookie(request, SESSION))
    pages = site(request).pages
    found = pages.run(None, accounts.signer, token) if token else None
    if found is not None and found["seen_due"]:
        pages.run(None, accounts.note_seen, found["session_id"])
    request.scope["kracht.visitor"] = found
    return found


def signed_in(request: Request) -> Signer:
    """The signed-in person, with the second factor done where it is needed; else redirect."""
    who = visitor(request)
    if who is None:
        raise SignInNeeded(_here(request))
    if who["needs_code"] or who["needs_setup"]:
        raise CodeNeeded()
    return who


async def form_checked(request: Request) -> dict[str, Any]:
    """The request's form, refused unless it carries this session's form token (or, before
    signing in, the form cookie's); for requests that change something."""
    form = await request.form()
    if request.method not in UNSAFE:
        return dict(form)
    given = request.headers.get("x-csrf-token") or form.get("csrf")
    who = await run_in_threadpool(visitor, request)
    expected = who["csrf"] if who else request.cookies.get(cookie(request, FORM))
    if not isinstance(given, str) or not expected or not tokens.same(given, expected):
        raise FormRefused(
            "this form is not from your current session (it may be old, or from another site); "
            "open the page again and repeat"
        )
    if who is not None and not request.url.path.startswith(OWN_ACCESS):
        refuse_read_only(who["actor"], f"{request.method} {request.url.path}")
    return {k: v for k, v in form.items() if k != "csrf"}


def refuse_read_only(actor: Actor, action: str) -> None:
    """Refuse any change by a person whose roles only read (an auditor), whatever it is, before
    its input is looked at."""
    if actor.roles and actor.roles <= READ_ONLY:
        raise NotPermitted(
            actor.email, action, roles_held=sorted(actor.roles),
            because="an auditor's account reads and changes nothing",
        )  # fmt: skip


def form_token(request: Request, response: Response | None = None) -> str:
    """The form token for a page before signing in: the form cookie's, or a new one set on
    `response`."""
    token = request.cookies.get(cookie(request, FORM))
    if not tokens.well_formed(token):
        token = tokens.new()
        request.scope["kracht.new_form_token"] = token
    return token or ""


def set_session(request: Request, response: Response, token: str, hours: int) -> None:
    response.set_cookie(
        cookie(request, SESSION), token, max_age=hours * 3600, path="/",
        secure=site(request).secure, httponly=True, samesite="lax",
    )  # fmt: skip


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        cookie(request, SESSION), path="/", secure=site(request).secure, httponly=True,
        samesite="lax",
    )  # fmt: skip


def finish(request: Request, response: Response) -> Response:
    """Every response's security headers, and a form cookie made for this request."""
    new = request.scope.get("kracht.new_form_token")
    if new:
        response.set_cookie(
            cookie(request, FORM), new, path="/", secure=site(request).secure, httponly=True,
            samesite="strict",
        )  # fmt: skip
    headers = response.headers
    headers.setdefault("content-security-policy", CSP)
    headers["x-content-type-options"] = "nosniff"
    headers["x-frame-options"] = "DENY"
    headers["referrer-policy"] = "no-referrer"  # links carry tokens in their paths
    headers["permissions-policy"] = "camera=(), microphone=(), geolocation=()"
    headers["cross-origin-opener-policy"] = "same-origin"
    if not request.url.path.startswith("/static/"):
        headers["cache-control"] = "no-store"
    if site(request).secure:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return response


def client(request: Request) -> tuple[str, str]:
    """The address and browser a session is opened from (for the person's list of sessions)."""
    address = request.client.host if request.client else ""
    return address, request.headers.get("user-agent", "")[:300]


def _here(request: Request) -> str:
    path = request.url.path
    return path if request.method == "GET" and path.startswith("/") else "/"


SignedIn = Annotated[Signer, Depends(signed_in)]  # a page's signed-in person
CheckedForm = Annotated[dict[str, Any], Depends(form_checked)]  # a form with its token checked
