"""The JSON API under /api/v1: the same services as the pages, for a personal access token
(`Authorization: Bearer kr_...`), acting with the token's roles that its person still holds.
Errors are RFC 9457 problems (application/problem+json) with the typed errors' statuses: 400
invalid input, 401 no or a bad token, 403 the role, 404, 409 state or version, 422 a guard with
the missing list.

The OpenAPI document (/api/openapi.json) describes every answer: a route's response model is
the return annotation of the service it calls (a TypedDict of typing_extensions, which pydantic
reads), so the document says what the services promise and FastAPI holds each answer to it; the
problems share one schema, PROBLEM."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import Actor
from kracht.basics.errors import NotIdentified
from kracht.web import guard
from kracht.workflow import engine
from kracht.workflow.definition import STATES, TRIGGERS
from kracht.workflow.services import accounts, applications, auditing

PROBLEM_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: its kind, in words, and the facts of the refusal.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "urn:kracht:problem:<kind>, or about:blank"},
        "title": {"type": "string", "description": "the kind of problem, in words"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "this problem, in one line"},
        "field": {"type": "string", "description": "400: the input field it concerns"},
        "missing": {
            "type": "array", "items": {"type": "string"},
            "description": "422: what the step still needs",
        },
        "possible": {
            "type": "array", "items": {"type": "string"},
            "description": "409: the triggers possible from the application's state",
        },
        "roles_needed": {
            "type": "array", "items": {"type": "string"},
            "description": "403: the roles of which the action needs one",
        },
    },
    "additionalProperties": True,  # more facts of the refusal, by its kind
}  # fmt: skip
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM_TYPE: {"schema": PROBLEM_REF}}}
    for status, text in (
        (400, "A value breaks an input rule (the problem names the field)"),
        (401, "No token, or one that is unknown, revoked or expired"),
        (403, "The token's roles do not allow it"),
        (404, "No such record, or not one the token's person may see"),
        (409, "The application is in another state, or changed since it was read"),
        (422, "Something the step needs is missing (the problem lists it)"),
    )
}
PROBLEMS[401]["headers"] = {
    "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
}
router = APIRouter(prefix="/api/v1", tags=["kracht"], responses=PROBLEMS)
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="personalToken",
    bearerFormat="kr_...",
    description="A personal access token (kracht token create, or the account page)",
)


def token_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """Who the bearer token acts as; 401 without a token that works."""
    api = guard.site(request).api
    held = None
    if credentials is not None and credentials.credentials:
        held = api.run(None, accounts.token_actor, credentials.credentials.strip())
    if held is None:
        raise NotIdentified()
    if held["seen_due"]:
        api.run(None, accounts.note_token_used, held["token_id"])
    actor = held["actor"]
    if request.method in guard.UNSAFE:
        guard.refuse_read_only(actor, f"{request.method} {request.url.path}")
    return actor


TokenActor = Annotated[Actor, Depends(token_actor)]
ApplicationId = Annotated[int, Path(ge=1, le=inputs.MAX_ID, description="The application's number")]
State = Literal[STATES]  # type: ignore[valid-type]
Trigger = Literal[TRIGGERS]  # type: ignore[valid-type]


def returns(service: Callable[..., object]) -> Any:
    """The result `service` declares: the response model of the route that answers with it."""
    return typing.get_type_hints(service)["return"]


class Me(TypedDict):
    """Who the token acts as: the person, and the roles the token acts with."""

    email: str
    name: str
    roles: list[str]


class Fire(BaseModel):
    """A trigger to fire on an application."""

    model_config = ConfigDict(extra="forbid")
    trigger: Trigger = Field(description="The step to take (the record's `next` lists them)")
    reason: str | None = Field(
        default=None,
        max_length=inputs.REASON.limit,
        json_schema_extra={"pattern": inputs.pattern(inputs.REASON)},  # the service refuses
        description="Why (a rework, deferral, withdrawal or decision needs one); no control "
        "characters but line breaks and tabs",
    )
    expected_version: int | None = Field(
        default=None, ge=1, description="Refuse (409) if the application has another version"
    )


@router.get("/me", summary="Who the token acts as", response_model=Me)
def me(actor: TokenActor) -> Me:
    return {"email": actor.email, "name": actor.name, "roles": sorted(actor.roles)}


@router.get(
    "/applications",
    summary="The applications the token's person may see",
    response_model=returns(applications.list_all),
)
def application_list(
    request: Request, actor: TokenActor, state: Annotated[State | None, Query()] = None
) -> Any:
    return guard.site(request).api.run(actor, applications.list_all, state)


@router.get(
    "/applications/{application_id}",
    summary="One application's whole record",
    response_model=returns(applications.show),
)
def application(request: Request, application_id: ApplicationId, actor: TokenActor) -> Any:
    return guard.site(request).api.run(actor, applications.show, application_id)


@router.get(
    "/applications/{application_id}/history",
    summary="Its audit events",
    response_model=returns(applications.history),
)
def history(request: Request, application_id: ApplicationId, actor: TokenActor) -> Any:
    return guard.site(request).api.run(actor, applications.history, application_id)


@router.post(
    "/applications/{application_id}/fire",
    summary="Fire a trigger",
    response_model=returns(engine.fire),
)
def fire(request: Request, application_id: ApplicationId, body: Fire, actor: TokenActor) -> Any:
    return guard.site(request).api.run(
        actor, engine.fire, application_id, body.trigger, reason=body.reason,
        expected_version=body.expected_version,
    )  # fmt: skip


@router.get(
    "/audit/verify",
    summary="Whether the audit trail is intact (auditors)",
    response_model=returns(auditing.verify),
)
def verify(request: Request, actor: TokenActor) -> Any:
    return guard.site(request).api.run(actor, auditing.verify)


def openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The app's OpenAPI document with the Problem schema its error responses refer to."""
    made = app.openapi

    def document() -> dict[str, Any]:
        described = made()  # made once, then kept by the app
        described.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
        return described

    return document
