"""Services return what they declare: the shape check itself, and its hold on every service."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal, NamedTuple, NotRequired

import pytest
from typing_extensions import TypedDict

from kracht.basics.shapes import problems
from kracht.workflow.services import directory
from kracht.workflow.unit import Unit, reads
from tests import factories as f
from tests.conftest import shape_problems
from tests.factories import run


class Line(TypedDict):
    code: str
    name: str


class Shown(TypedDict):
    id: int
    title: str
    state: Literal["idea", "withdrawn"]
    requested: int | None
    lines: list[Line]
    note: NotRequired[str]


@dataclasses.dataclass
class Verdict:
    intact: bool
    events: int


class Pair(NamedTuple):
    day: dt.date
    count: float


GOOD: Shown = {
    "id": 7, "title": "TalentIT", "state": "idea", "requested": None,
    "lines": [{"code": "talent", "name": "Arbeidsmarkt & talent"}],
}  # fmt: skip


def test_a_result_of_the_declared_shape_has_no_problems():
    assert problems(GOOD, Shown) == []
    assert problems({**GOOD, "note": "late"}, Shown) == []
    assert problems(Verdict(intact=True, events=3), Verdict) == []
    assert problems(Pair(dt.date(2019, 1, 1), 2), Pair) == []  # a float takes an int
    assert problems({"a": [1, 2]}, dict[str, list[int]]) == []
    assert problems((1, "x"), tuple[int, str]) == []
    assert problems(("a", "b"), tuple[str, ...]) == []
    assert problems(None, Shown | None) == []
    assert problems({"anything": object()}, dict[str, Any]) == []


@pytest.mark.parametrize(
    ("value", "annotation", "problem"),
    [
        ({k: v for k, v in GOOD.items() if k != "title"}, Shown, "result: Shown lacks title"),
        ({**GOOD, "secret": 1}, Shown, "result: Shown has no key secret"),
        ({**GOOD, "id": "7"}, Shown, "result['id']: str '7', not int"),
        ({**GOOD, "id": True}, Shown, "result['id']: bool True, not int"),
        ({**GOOD, "state": "approved"}, Shown,
         "result['state']: 'approved', not one of ['idea', 'withdrawn']"),
        ({**GOOD, "requested": 1.5}, Shown, "result['requested']: float 1.5, not int | NoneType"),
        ({**GOOD, "lines": [{"code": "talent"}]}, Shown, "result['lines'][0]: Line lacks name"),
        ({**GOOD, "lines": "talent"}, Shown, "result['lines']: str 'talent', not list"),
        ({**GOOD, "note": None}, Shown, "result['note']: NoneType None, not str"),
        ([GOOD, 3], list[Shown], "result[1]: int 3, not Shown"),
        (Verdict(intact=1, events=3), Verdict, "result.intact: int 1, not bool"),  # type: ignore[arg-type]
        ({"intact": True}, Verdict, "result: dict {'intact': True}, not Verdict"),
        (Pair("2019-01-01", 2), Pair, "result.day: str '2019-01-01', not date"),  # type: ignore[arg-type]
        ((1,), tuple[int, str], "result: a tuple of 1, not of 2"),
        ({1: "a"}, dict[str, str], "result key 1: int 1, not str"),
        (3, None, "result: int 3, not None"),
    ],
)  # fmt: skip
def test_a_result_of_another_shape_is_named_where_it_differs(value, annotation, problem):
    assert problems(value, annotation) == [problem]


def test_an_annotation_the_check_cannot_read_is_an_error_not_a_pass():
    with pytest.raises(TypeError, match="cannot check"):
        problems(3, "Shown")  # a forward reference nobody resolved


def test_the_suite_checks_what_services_return_against_their_annotations(world):
    """The conftest hook runs every service through the check: a service whose result is not
    what it declares fails the test that ran it."""

    @reads
    def wrong(unit: Unit) -> list[Line]:
        return [{"code": "talent"}]  # type: ignore[typeddict-item]

    @reads
    def right(unit: Unit) -> list[Line]:
        return [{"code": "talent", "name": "Arbeidsmarkt & talent"}]

    with pytest.raises(AssertionError, match=r"wrong: result\[0\]: Line lacks name"):
        run(world.url, f.LEADER, wrong)
    assert run(world.url, f.LEADER, right) == [{"code": "talent", "name": "Arbeidsmarkt & talent"}]
    assert shape_problems(wrong, [{"code": "talent"}]) == ["result[0]: Line lacks name"]
    assert run(world.url, f.LEADER, directory.list_orgs)  # the real services pass it


def _services() -> list[Any]:
    """Every public service: the functions of workflow/services/ and of the engine whose first
    parameter is the unit."""
    import importlib
    import inspect
    import pkgutil

    from kracht.workflow import engine, services

    modules = [
        importlib.import_module(f"{services.__name__}.{m.name}")
        for m in pkgutil.iter_modules(services.__path__)
    ]
    return [
        fn
        for module in (*modules, engine)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__ and not name.startswith("_")
        and list(inspect.signature(fn).parameters)[:1] == ["unit"]
    ]  # fmt: skip


def test_every_service_declares_an_exact_result():
    """No public service returns Any, a bare dict or list, or dicts of anything: its result has
    a declared shape, which the suite then checks on every call."""
    import typing

    loose = (Any, dict, list, dict[str, Any], list[dict[str, Any]])
    found = _services()
    names = {f"{fn.__module__.rsplit('.', 1)[1]}.{fn.__name__}" for fn in found}
    assert {"engine.fire", "applications.show", "score_sheets.view", "accounts.sign_in"} <= names
    assert len(found) > 70
    untyped = [
        f"{fn.__module__}.{fn.__name__}"
        for fn in found
        if typing.get_type_hints(fn).get("return", Any) in loose
    ]
    assert untyped == []
