"""A programme's own roads beside THE ROAD: tracks that pass stages, rules that apply by period.

Both are parts of a programme's configuration (`kracht programme configure`), validated here
because only here is the road known:

- a **track** (`[[tracks]]`) is a line or a call (round) of a programme with a route of its own:
  the stages of the main road it goes through. The others do not apply to its applications; the
  engine passes them as it passes a stage the whole programme marks not applicable. Every track
  goes through the idea and the steering decision, and through the assessment committee and the
  KRACHT scoring together or not at all (scoring needs the committee it assigns). A round's
  track comes before a line's.
- a **period** (`[[periods]]`) says from which date which rules of the road do not apply yet:
  a rule is a need that a guard names with `rule=` (states/). An application is judged by the
  period its submission date falls in (its creation date when it has none): the latest period
  starting on or before it. Before the first period, and without periods, every rule applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kracht.basics import inputs
from kracht.basics.errors import InvalidInput
from kracht.storage import assessments
from kracht.workflow.definition import INITIAL, TRANSITIONS

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.storage.tables import Programme

DECISION_STAGE = "steering_decision"


def _main_route() -> tuple[str, ...]:
    """The stages of the main road from the idea to the steering decision, in order."""
    route, here = [INITIAL], INITIAL
    while here != DECISION_STAGE:
        here = next(r.dest for r in TRANSITIONS if r.forward and here in r.sources)
        route.append(here)
    return tuple(route)


ROUTE = _main_route()
TOGETHER = ("assessment_committee", "kracht_scoring")  # both or neither
RULES: dict[str, str] = {  # rule -> what it requires, as its need says it
    need.rule: need.label
    for row in TRANSITIONS
    for guard in row.guards
    for need in guard.needs
    if need.rule is not None
}


@dataclass(frozen=True)
class Track:
    key: str
    name: str
    stages: tuple[str, ...]  # the stages of ROUTE it goes through
    reason: str
    lines: tuple[str, ...] = ()
    rounds: tuple[str, ...] = ()

    @property
    def passes(self) -> tuple[str, ...]:
        """The stages of the main road that do not apply on this track."""
        return tuple(s for s in ROUTE if s not in self.stages)

    def not_applicable(self, programme_wide: Mapping[str, str]) -> dict[str, str]:
        """Stage -> why it does not apply on this track (the programme's own reasons first)."""
        passed = dict(programme_wide)
        for stage in self.passes:
            passed.setdefault(stage, f"track {self.key}: {self.reason}")
        return passed


@dataclass(frozen=True)
class Period:
    starts_on: dt.date
    name: str
    waive: tuple[str, ...]  # rules that do not apply to applications of this period
    reason: str


@dataclass(frozen=True)
class Roads:
    """A programme's tracks and periods, as its configuration in force declares them."""

    tracks: tuple[Track, ...] = ()
    periods: tuple[Period, ...] = ()

    def track_for(self, line: str | None, round_: str | None) -> Track | None:
        """The track an application of this line and round follows (a round's first)."""
        for track in self.tracks:
            if round_ is not None and round_ in track.rounds:
                return track
        for track in self.tracks:
            if line is not None and line in track.lines:
                return track
        return None

    def not_applicable(
        self, programme_wide: Mapping[str, str], line: str | None, round_: str | None
    ) -> dict[str, str]:
        """Stage -> why it does not apply to an application of this line and round."""
        track = self.track_for(line, round_)
        return dict(programme_wide) if track is None else track.not_applicable(programme_wide)

    def period_on(self, day: dt.date) -> Period | None:
        """The period a day falls in: the latest starting on or before it."""
        started = [p for p in self.periods if p.starts_on <= day]
        return max(started, key=lambda p: p.starts_on) if started else None

    def waived_on(self, day: dt.date) -> dict[str, str]:
        """Rule -> why it does not apply to an application submitted on `day`."""
        period = self.period_on(day)
        if period is None:
            return {}
        why = f"period {period.name} (from {period.starts_on.isoformat()}): {period.reason}"
        return dict.fromkeys(period.waive, why)


NONE = Roads()
_KNOWN: dict[str, Roads] = {}  # configuration version (a digest of its content) -> its roads


def in_force(db: Session, programme: Programme, known_version: str | None = None) -> Roads:
    """The roads of the programme's configuration in force, read once per version (a digest of
    the document). `known_version` is that version when the caller read it with the
    application (`repository.Loaded.config_version`): a configured programme then costs no
    read at all once its version is known."""
    if known_version is not None and known_version in _KNOWN:
        return _KNOWN[known_version]
    config = assessments.newest_config(db, programme.pk)
    if config is None:
        return NONE
    if config.version not in _KNOWN:
        _KNOWN[config.version] = roads(config.document, f"configuration {config.version}")
    return _KNOWN[config.version]


def roads(document: Mapping[str, Any], where: str = "configuration") -> Roads:
    """The tracks and periods of a configuration document, validated; every problem names its
    key. Dates may be TOML dates or YYYY-MM-DD texts."""
    read = _Reader(where)
    tracks = tuple(
        read.track(raw, f"tracks[{i}]") for i, raw in enumerate(read.tables(document, "tracks"))
    )
    read.unique([t.key for t in tracks], "tracks", "key")
    for kind in ("lines", "rounds"):
        read.unique([x for t in tracks for x in getattr(t, kind)], "tracks", kind[:-1])
    periods = tuple(
        read.period(raw, f"periods[{i}]") for i, raw in enumerate(read.tables(document, "periods"))
    )
    read.unique([p.starts_on.isoformat() for p in periods], "periods", "from")
    return Roads(tracks, tuple(sorted(periods, key=lambda p: p.starts_on)))


def stored(document: dict[str, Any]) -> dict[str, Any]:
    """The document as it is stored and digested: the periods' dates as YYYY-MM-DD texts."""
    for period in document.get("periods", []):
        if isinstance(period, dict) and isinstance(period.get("from"), dt.date):
            period["from"] = period["from"].isoformat()
    return document


def check_for(found: Roads, lines: set[str], programme_wide: Mapping[str, str], where: str) -> None:
    """The tracks fit the programme: their lines exist, their stages are ones it uses."""
    for i, track in enumerate(found.tracks):
        unknown = [line for line in track.lines if line not in lines]
        if unknown:
            raise InvalidInput(
                f"{where}: tracks[{i}].lines: the programme has no line {unknown[0]!r}; its lines "
                f"are: {', '.join(sorted(lines)) or 'none'}",
                field="file",
            )
        unused = [s for s in track.stages if s in programme_wide]
        if unused:
            raise InvalidInput(
                f"{where}: tracks[{i}].stages: {unused[0]} does not apply in this programme at "
                f"all ({programme_wide[unused[0]]}); leave it out of the track",
                field="file",
            )


TRACK_KEYS = ("key", "name", "stages", "reason", "lines", "rounds")
PERIOD_KEYS = ("from", "name", "waive", "reason")


@dataclass(frozen=True)
class _Reader:
    """Reads the tables of one configuration document; every refusal names `where` and the key."""

    where: str

    def fail(self, problem: str) -> InvalidInput:
        return InvalidInput(f"{self.where}: {problem}", field="file")

    def tables(self, document: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
        value = document.get(name, [])
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            raise self.fail(f"{name} must be an array of tables ([[{name}]])")
        return value

    def texts(self, raw: dict[str, Any], key: str, at: str) -> tuple[str, ...]:
        values = raw.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.fail(f"{at}.{key} must be a list of texts")
        return tuple(inputs.text(v, f"{self.where}: {at}.{key}", inputs.LABEL) for v in values)

    def text(self, raw: dict[str, Any], key: str, at: str, kind: inputs.Text) -> str:
        value = raw.get(key, "")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{at}.{key} is missing (a text)")
        return inputs.text(value, f"{self.where}: {at}.{key}", kind)

    def known(self, raw: dict[str, Any], known: tuple[str, ...], at: str) -> None:
        for key in raw:
            if key not in known:
                raise self.fail(f"unknown key {at}.{key}; the known keys are: {', '.join(known)}")

    def unique(self, values: list[str], table: str, key: str) -> None:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise self.fail(f"{table}: {key} {value!r} is named twice; each belongs to one")
            seen.add(value)

    def track(self, raw: dict[str, Any], at: str) -> Track:
        self.known(raw, TRACK_KEYS, at)
        track = Track(
            key=self.text(raw, "key", at, inputs.LABEL),
            name=self.text(raw, "name", at, inputs.NAME),
            stages=self.texts(raw, "stages", at),
            reason=self.text(raw, "reason", at, inputs.LONG),
            lines=self.texts(raw, "lines", at),
            rounds=self.texts(raw, "rounds", at),
        )
        if not track.lines and not track.rounds:
            raise self.fail(f"{at}: name the lines or rounds (calls) that follow the track")
        self.route(track.stages, at)
        return Track(**{**track.__dict__, "stages": tuple(s for s in ROUTE if s in track.stages)})

    def route(self, stages: tuple[str, ...], at: str) -> None:
        for stage in stages:
            if stage not in ROUTE:
                raise self.fail(f"{at}.stages: {stage!r} is no stage of the road; the stages "
                                "are: " + ", ".join(ROUTE))  # fmt: skip
        if len(set(stages)) != len(stages):
            raise self.fail(f"{at}.stages names a stage twice")
        for needed in (INITIAL, DECISION_STAGE):
            if needed not in stages:
                raise self.fail(f"{at}.stages: every track goes through {INITIAL} and "
                                f"{DECISION_STAGE} (where the steering committee decides); add "
                                f"{needed}")  # fmt: skip
        if len({s in stages for s in TOGETHER}) > 1:
            both = " and ".join(TOGETHER)
            raise self.fail(f"{at}.stages: {both} go together (the committee assigned in the "
                            "one scores in the other): name both or neither")  # fmt: skip

    def period(self, raw: dict[str, Any], at: str) -> Period:
        self.known(raw, PERIOD_KEYS, at)
        if raw.get("from") is None:
            raise self.fail(f"{at}.from is missing (the date the period starts, YYYY-MM-DD)")
        day = inputs.parse_date(raw["from"], f"{self.where}: {at}.from")
        assert day is not None
        waive = self.texts(raw, "waive", at)
        for rule in waive:
            if rule not in RULES:
                raise self.fail(f"{at}.waive: {rule!r} is no rule of the road; the rules are: "
                                + ", ".join(RULES))  # fmt: skip
        name, reason = (
            self.text(raw, "name", at, inputs.NAME),
            self.text(raw, "reason", at, inputs.LONG),
        )
        return Period(day, name, waive, reason)
