"""My tasks: what waits for the signed-in person, with its deadline, oldest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kracht.web import guard, views
from kracht.workflow.services import notices

router = APIRouter(include_in_schema=False)
MENU = [(10, "/", "tasks", ())]


@router.get("/")
def tasks(request: Request, who: guard.SignedIn) -> Response:
    actor = who["actor"]
    waiting = guard.site(request).pages.run(actor, notices.reminders_list, actor.email, None, False)
    waiting = sorted(waiting, key=lambda r: (r["due_at"], r["id"]))
    return views.page(request, "tasks.html.j2", who, tasks=waiting)
