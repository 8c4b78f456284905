"""Signing in and out, choosing a password through an invitation, e-mailed sign-in links, the
second step, and one's own sessions and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from kracht.web import guard, throttle, views
from kracht.workflow.services import accounts
from kracht.workflow.services.accounts import SignedIn, Signer

router = APIRouter(include_in_schema=False)
Limited = [Depends(throttle.limited)]  # sign-in attempts count towards the address's limit
MENU = [(90, "/account", "account", ())]


def _next(target: object) -> str:
    """Where to go after signing in: a path of this site only (never `//elsewhere`)."""
    text = target if isinstance(target, str) else "/"
    if not text.startswith("/") or text.startswith("//") or "\\" in text or len(text) > 500:
        return "/"
    return text


def _signed(request: Request, signed: SignedIn, target: str) -> Response:
    hours = guard.site(request).pages.settings.web.session_hours
    response = RedirectResponse("/sign-in/code" if signed["needs_code"] else target, 303)
    guard.set_session(request, response, signed["token"], hours)
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query's name
    return views.page(request, "sign_in.html.j2", None, next=_next(next))


@router.post("/sign-in", dependencies=Limited)
def sign_in(request: Request, form: guard.CheckedForm) -> Response:
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    address, agent = guard.client(request)
    result = guard.site(request).pages.run(
        None, accounts.sign_in, email, password, address=address, agent=agent
    )
    if "refused" in result:
        status = 429 if "until" in result else 401
        return views.page(request, "sign_in.html.j2", None, status, email=email,
                          message=result["message"], next=_next(form.get("next")))  # type: ignore[typeddict-item]  # fmt: skip
    return _signed(request, result, _next(form.get("next")))  # type: ignore[arg-type]


@router.post("/sign-in/link", dependencies=Limited)
def ask_for_link(request: Request, form: guard.CheckedForm) -> Response:
    guard.site(request).pages.run(None, accounts.request_sign_in_link, str(form.get("email", "")))
    return views.page(request, "sign_in.html.j2", None, sent=True, next="/")


@router.get("/sign-in/code")
def code_page(request: Request) -> Response:
    who = guard.visitor(request)
    if who is None:
        return RedirectResponse("/sign-in", 303)
    if not (who["needs_code"] or who["needs_setup"]):
        return RedirectResponse("/", 303)
    setup = None
    if who["needs_setup"]:
        setup = guard.site(request).pages.run(None, accounts.start_code_setup, who["session_id"])
    return views.page(request, "code.html.j2", who, setup=setup)


@router.post("/sign-in/code", dependencies=Limited)
def give_code(request: Request, form: guard.CheckedForm) -> Response:
    who = guard.visitor(request)
    if who is None:
        return RedirectResponse("/sign-in", 303)
    pages = guard.site(request).pages
    if pages.run(None, accounts.confirm_code, who["session_id"], str(form.get("code", ""))):
        return RedirectResponse("/", 303)
    return views.page(request, "code.html.j2", who, 401, wrong=True, setup=None)


@router.get("/sign-in/{token}")
def link_page(request: Request, token: str) -> Response:
    """An e-mailed sign-in link asks for one click: a mail scanner opening it signs nobody in."""
    person = guard.site(request).pages.run(None, accounts.link_holder, token, "sign_in")
    return views.page(request, "link.html.j2", None, token=token, name=person.name)


@router.post("/sign-in/{token}", dependencies=Limited)
def sign_in_by_link(request: Request, token: str, form: guard.CheckedForm) -> Response:
    address, agent = guard.client(request)
    signed = guard.site(request).pages.run(
        None, accounts.sign_in_by_link, token, address=address, agent=agent
    )
    return _signed(request, signed, "/")


@router.get("/welcome/{token}")
def welcome_page(request: Request, token: str) -> Response:
    person = guard.site(request).pages.run(None, accounts.link_holder, token, "invite")
    return views.page(request, "welcome.html.j2", None, token=token, name=person.name,
                      email=person.email)  # fmt: skip


@router.post("/welcome/{token}", dependencies=Limited)
def choose_password(request: Request, token: str, form: guard.CheckedForm) -> Response:
    address, agent = guard.client(request)
    signed = guard.site(request).pages.run(
        None, accounts.set_password, token, str(form.get("password", "")), address=address,
        agent=agent,
    )  # fmt: skip
    return _signed(request, signed, "/")


@router.post("/sign-out")
def sign_out(request: Request, form: guard.CheckedForm) -> Response:
    who = guard.visitor(request)
    if who is not None:
        guard.site(request).pages.run(None, accounts.sign_out, who["session_id"])
    response = RedirectResponse("/sign-in", 303)
    guard.clear_session(request, response)
    return response


# -- one's own account -----------------------------------------------------------------------------


@router.get("/account")
def account(request: Request, who: guard.SignedIn) -> Response:
    return _account(request, who)


def _account(request: Request, who: Signer, made: object = None, status: int = 200) -> Response:
    pages = guard.site(request).pages
    sessions = pages.run(who["actor"], accounts.sessions, who["session_id"])
    tokens = pages.run(who["actor"], accounts.list_tokens)
    return views.page(request, "account.html.j2", who, status, sessions=sessions, tokens=tokens,
                      made=made)  # fmt: skip


@router.post("/account/sessions/{session_id}/end")
def end_session(
    request: Request,
    session_id: int,
    who: guard.SignedIn,
    form: guard.CheckedForm,
) -> Response:
    guard.site(request).pages.run(who["actor"], accounts.end_session, session_id)
    if session_id == who["session_id"]:
        response = RedirectResponse("/sign-in", 303)
        guard.clear_session(request, response)
        return response
    return RedirectResponse("/account", 303)


@router.post("/account/sessions/end-others")
def end_other_sessions(
    request: Request,
    who: guard.SignedIn,
    form: guard.CheckedForm,
) -> Response:
    guard.site(request).pages.run(who["actor"], accounts.end_other_sessions, who["session_id"])
    return RedirectResponse("/account", 303)


@router.post("/account/tokens")
def make_token(
    request: Request,
    who: guard.SignedIn,
    form: guard.CheckedForm,
) -> Response:
    made = guard.site(request).pages.run(
        who["actor"], accounts.create_token, str(form.get("name", "")), None, 90
    )
    return _account(request, who, made=made, status=201)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    token_id: int,
    who: guard.SignedIn,
    form: guard.CheckedForm,
) -> Response:
    guard.site(request).pages.run(who["actor"], accounts.revoke_token, token_id)
    return RedirectResponse("/account", 303)
