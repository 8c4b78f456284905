"""The JSON API under /api/v1: the same services as the pages, for a personal access token
(`Authorization: Bearer kr_...`), acting with the token's roles that its person still holds.
Errors are RFC 9457 problems (application/problem+json) with the typed errors' statuses: 400
invalid input, 401 no or a bad token, 403 the role, 404, 409 state or version, 422 a guard with
the missing list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from kracht.basics.actors import Actor
from kracht.basics.errors import NotIdentified
from kracht.web import guard
from kracht.workflow import engine
from kracht.workflow.services import accounts, applications, auditing

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/problem+json": {}}}
    for status, text in (
        (400, "A value breaks an input rule (the problem names the field)"),
        (401, "No token, or one that is unknown, revoked or expired"),
        (403, "The token's roles do not allow it"),
        (404, "No such record, or not one the token's person may see"),
        (409, "The application is in another state, or changed since it was read"),
        (422, "Something the step needs is missing (the problem lists it)"),
    )
}
router = APIRouter(prefix="/api/v1", tags=["kracht"], responses=PROBLEMS)


def token_actor(request: Request) -> Actor:
    """Who the bearer token acts as; 401 without a token that works."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    api = guard.site(request).api
    bearer = None
    if scheme.lower() == "bearer":
        bearer = api.run(None, accounts.token_actor, token.strip())
    if bearer is None:
        raise NotIdentified()
    if bearer["seen_due"]:
        api.run(None, accounts.note_token_used, bearer["token_id"])
    actor = bearer["actor"]
    if request.method in guard.UNSAFE:
        guard.refuse_read_only(actor, f"{request.method} {request.url.path}")
    return actor


TokenActor = Annotated[Actor, Depends(token_actor)]


class Fire(BaseModel):
    """A trigger to fire on an application."""

    model_config = ConfigDict(extra="forbid")
    trigger: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z_]*$")
    reason: str | None = Field(default=None, max_length=5000)
    expected_version: int | None = Field(default=None, ge=1)


@router.get("/me", summary="Who the token acts as")
def me(actor: TokenActor) -> dict[str, Any]:
    return {"email": actor.email, "name": actor.name, "roles": sorted(actor.roles)}


@router.get("/applications", summary="The applications the token's person may see")
def application_list(
    request: Request, actor: TokenActor, state: str | None = None
) -> list[dict[str, Any]]:
    return guard.site(request).api.run(actor, applications.list_all, state)  # type: ignore[return-value]


@router.get("/applications/{application_id}", summary="One application's whole record")
def application(request: Request, application_id: int, actor: TokenActor) -> dict[str, Any]:
    return guard.site(request).api.run(actor, applications.show, application_id)  # type: ignore[return-value]


@router.get("/applications/{application_id}/history", summary="Its audit events")
def history(request: Request, application_id: int, actor: TokenActor) -> list[dict[str, Any]]:
    return guard.site(request).api.run(actor, applications.history, application_id)  # type: ignore[return-value]


@router.post("/applications/{application_id}/fire", summary="Fire a trigger")
def fire(request: Request, application_id: int, body: Fire, actor: TokenActor) -> dict[str, Any]:
    return guard.site(request).api.run(  # type: ignore[return-value]
        actor, engine.fire, application_id, body.trigger, reason=body.reason,
        expected_version=body.expected_version,
    )  # fmt: skip


@router.get("/audit/verify", summary="Whether the audit trail is intact (auditors)")
def verify(request: Request, actor: TokenActor) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(guard.site(request).api.run(actor, auditing.verify))
