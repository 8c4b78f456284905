"""The web application: its routes, what every response carries, and how a refusal is shown
(an error page for a person, an RFC 9457 problem for the API). `kracht serve` runs it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from kracht.basics.errors import InvalidInput, KrachtError
from kracht.web import guard, throttle, views
from kracht.web.texts import preferred, words
from kracht.workflow.unit import Units

log = logging.getLogger("kracht.web")
PROBLEM = "application/problem+json"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def create_app(units: Units, *, secure: bool = True) -> FastAPI:
    """The application over `units` (their database, settings and clock); `secure` cookies
    and HSTS unless served over plain http on the loopback address."""
    from kracht.web import api_routes, pages

    app = FastAPI(
        title="kracht",
        version=_version(),
        summary="Project applications through the Agenda voor Twente process",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.site = guard.Site(
        pages=Units(units.database, units.settings, clock=units.clock, channel="web"),
        api=Units(units.database, units.settings, clock=units.clock, channel="api"),
        secure=secure,
        templates=views.templates(),
    )
    app.state.throttle = throttle.Throttle()
    app.mount("/static", StaticFiles(directory=views.STATIC), name="static")
    for module in (*pages.modules(), api_routes):
        app.include_router(module.router)
    app.openapi = api_routes.openapi(app)  # type: ignore[method-assign]
    app.add_exception_handler(guard.SignInNeeded, _sign_in_needed)  # type: ignore[arg-type]
    app.add_exception_handler(guard.CodeNeeded, _code_needed)
    app.add_exception_handler(KrachtError, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _bug)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        return guard.finish(request, await call_next(request))

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> dict[str, str]:
        """For a load balancer: the server answers and its database does."""
        from kracht.workflow.services import directory

        guard.site(request).api.run(None, directory.ping)
        return {"status": "ok"}

    return app


def secure_for(host: str, base_url: str) -> bool:
    """Whether cookies must be Secure: always, but for plain http on the loopback address."""
    return not (host in LOOPBACK and not base_url.startswith("https://"))


def _api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(
    status: int, problem: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(problem, status_code=status, media_type=PROBLEM, headers=headers)


def _sign_in_needed(request: Request, error: guard.SignInNeeded) -> Response:
    if _api(request):
        return _problem(401, _unsigned())
    if request.headers.get("hx-request"):  # an htmx request: the whole page goes
        return Response(status_code=204, headers={"HX-Redirect": "/sign-in"})
    target = "/sign-in" if error.next_path == "/" else f"/sign-in?next={error.next_path}"
    return RedirectResponse(target, status_code=303)


def _code_needed(request: Request, _: Exception) -> Response:
    return RedirectResponse("/sign-in/code", status_code=303)


def _refused(request: Request, error: KrachtError) -> Response:
    if _api(request):
        headers = {"WWW-Authenticate": "Bearer"} if error.http_status == 401 else None
        return _problem(error.http_status, error.as_problem(), headers)
    who = guard.visitor(request) if error.http_status not in (401, 429) else None
    response = views.page(request, "error.html.j2", who, error.http_status, message=str(error),
                          refused=error)  # fmt: skip
    if "retry_after" in error.facts:
        response.headers["retry-after"] = str(error.facts["retry_after"])
    return response


def _invalid(request: Request, error: RequestValidationError) -> Response:
    first = error.errors()[0] if error.errors() else {}
    where = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "form")]
    field = ".".join(where) or "request"
    refusal = InvalidInput(f"{field}: {first.get('msg', 'not valid')}", field=field)
    return _refused(request, refusal)


def _http(request: Request, error: HTTPException) -> Response:
    if _api(request):  # with the error's headers: a 405 says what is Allowed
        return _problem(
            error.status_code,
            {"type": "about:blank", "title": str(error.detail), "status": error.status_code},
            error.headers,
        )
    language = preferred(request.headers.get("accept-language"))
    message = words(language)["nothing_found"] if error.status_code == 404 else str(error.detail)
    return views.page(request, "error.html.j2", None, error.status_code, message=message)


def _bug(request: Request, error: Exception) -> Response:
    log.exception("a bug in kracht answering %s %s", request.method, request.url.path)
    detail = "a bug in kracht: it is logged; please tell the programme's administrator"
    if _api(request):
        return _problem(500, {"type": "about:blank", "title": "internal error", "status": 500,
                              "detail": detail})  # fmt: skip
    return guard.finish(request, views.page(request, "error.html.j2", None, 500, message=detail))


def _unsigned() -> dict[str, Any]:
    return {
        "type": "urn:kracht:problem:not-identified",
        "title": "who is acting is not known",
        "status": 401,
        "detail": "give a personal access token: Authorization: Bearer kr_...",
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kracht")
    except PackageNotFoundError:
        return "0"
