"""Programmes: each programme's lines and period, the routes its applications take (its own,
and each track's, with the stages passed and why) and which rules do not apply yet in which
period. The same service as `kracht workflow show --programme`; any known person may read it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kracht.web import guard, views
from kracht.workflow.services import directory

router = APIRouter(include_in_schema=False)
MENU = [(70, "/programmes", "programmes", ())]

WORDS = {
    "nl": {
        "programmes": "Programma's",
        "programmes_title": "Programma's, hun routes en regels",
        "programme_period": "Looptijd",
        "programme_lines": "Actielijnen",
        "programme_routes": "Routes",
        "programme_own_route": "De route van het programma",
        "programme_own_route_for": "voor elke actielijn en ronde zonder eigen route",
        "programme_track": "Eigen route",
        "programme_track_for": "voor",
        "programme_line": "actielijn",
        "programme_round": "ronde",
        "programme_passes": "Slaat over",
        "programme_rules": "Regels per periode",
        "programme_every_rule": "Alle regels gelden (er zijn geen perioden vastgelegd).",
        "programme_from": "Vanaf",
        "programme_period_name": "Periode",
        "programme_not_yet": "Geldt nog niet",
        "programme_why": "Waarom",
        "programme_all_apply": "alle regels gelden",
        "programme_configuration": "Configuratie",
        "programme_default": "de standaard van kracht",
        "programme_all_routes": "Alle routes en regels van het programma",
    },
    "en": {
        "programmes": "Programmes",
        "programmes_title": "Programmes, their routes and rules",
        "programme_period": "Period",
        "programme_lines": "Action lines",
        "programme_routes": "Routes",
        "programme_own_route": "The programme's route",
        "programme_own_route_for": "for every line and round without a route of its own",
        "programme_track": "Track",
        "programme_track_for": "for",
        "programme_line": "line",
        "programme_round": "round",
        "programme_passes": "Passes",
        "programme_rules": "Rules by period",
        "programme_every_rule": "Every rule applies (no periods are declared).",
        "programme_from": "From",
        "programme_period_name": "Period",
        "programme_not_yet": "Does not apply yet",
        "programme_why": "Why",
        "programme_all_apply": "every rule applies",
        "programme_configuration": "Configuration",
        "programme_default": "kracht's default",
        "programme_all_routes": "Every route and rule of the programme",
    },
}


@router.get("/programmes")
def programmes_page(request: Request, who: guard.SignedIn) -> Response:
    """Every programme with its period and lines, each linking to its routes and rules."""
    found = guard.site(request).pages.run(who["actor"], directory.list_programmes)
    return views.page(request, "programmes.html.j2", who, programmes=found)


@router.get("/programmes/{code}")
def programme_page(request: Request, code: str, who: guard.SignedIn) -> Response:
    """One programme: its routes (its own and each track's) and its rules by period."""
    pages = guard.site(request).pages
    roads = pages.run(who["actor"], directory.programme_roads, code)
    programme = next(p for p in pages.run(who["actor"], directory.list_programmes)
                     if p["code"] == code)  # fmt: skip
    return views.page(request, "programme.html.j2", who, roads=roads, programme=programme)
