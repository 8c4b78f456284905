"""Whether a value has the shape its type annotation declares: the check that holds every service
to the result it promises (the tests run it on every result, and an API can on what it sends).

Strict where JSON is: a TypedDict has exactly its keys (required ones present, no others), an
int is not a bool, a str is not a list, a float takes an int (as PEP 484's numeric tower does).
Covered: TypedDict, NamedTuple, dataclasses, list, tuple (fixed and `...`), set, frozenset,
dict and Mapping, Sequence, unions and Optional, Literal, Any, None and plain classes.
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

import typing_extensions

LIMIT = 20  # problems reported at most: one wrong field in a list of many says enough


def problems(value: object, annotation: Any, where: str = "result") -> list[str]:
    """What in `value` does not match `annotation`, one line each naming the place (empty when
    it matches)."""
    found: list[str] = []
    _check(value, annotation, where, found)
    return found[:LIMIT]


def _check(value: object, annotation: Any, where: str, found: list[str]) -> None:
    if len(found) >= LIMIT or annotation is Any or annotation is object:
        return
    if isinstance(annotation, typing.TypeVar):
        return  # a generic service's result: whatever its caller's argument makes it
    origin = get_origin(annotation)
    if origin is None:
        _plain(value, annotation, where, found)
        return
    args = get_args(annotation)
    if origin in (Required, NotRequired, typing.Annotated):
        _check(value, args[0], where, found)
    elif origin in (Union, types.UnionType):
        _union(value, args, where, found)
    elif origin is Literal:
        if not any(value == v and type(value) is type(v) for v in args):
            found.append(f"{where}: {value!r}, not one of {list(args)}")
    elif origin in _SHAPED:
        _SHAPED[origin](value, origin, args, where, found)
    elif isinstance(origin, type) and origin is not type:
        _instance(value, origin, where, found)
    else:
        raise TypeError(f"{where}: cannot check against {annotation!r}")


_COLLECTIONS = {
    list: list, set: set, frozenset: frozenset, abc.Set: abc.Set,
    abc.Sequence: abc.Iterable, abc.MutableSequence: abc.Iterable, abc.Iterable: abc.Iterable,
}  # fmt: skip


def _plain(value: object, annotation: Any, where: str, found: list[str]) -> None:
    """A class, not a generic alias: a TypedDict, dataclass, NamedTuple, number or any other."""
    if annotation is None or annotation is type(None):
        if value is not None:
            found.append(f"{where}: {_seen(value)}, not None")
    elif typing_extensions.is_typeddict(annotation):  # typing's own or typing_extensions'
        _typed_dict(value, annotation, where, found)
    elif not isinstance(annotation, type):
        raise TypeError(f"{where}: cannot check against the annotation {annotation!r}")
    elif annotation is float:  # takes an int, as the numeric tower has it, never a bool
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            found.append(f"{where}: {_seen(value)}, not float")
    elif annotation is int and isinstance(value, bool):
        found.append(f"{where}: {_seen(value)}, not int")
    elif _instance(value, annotation, where, found) and _has_fields(annotation):
        _fields(value, annotation, where, found)


def _fields(value: object, cls: type, where: str, found: list[str]) -> None:
    """The fields of a dataclass or NamedTuple, each against its annotation."""
    for name, field_type in _hints(cls).items():
        if name in _field_names(cls):
            _check(getattr(value, name), field_type, f"{where}.{name}", found)


def _instance(value: object, cls: type, where: str, found: list[str]) -> bool:
    if isinstance(value, cls):
        return True
    found.append(f"{where}: {_seen(value)}, not {_name(cls)}")
    return False


def _union(value: object, options: tuple[Any, ...], where: str, found: list[str]) -> None:
    if not any(not problems(value, option, where) for option in options):
        found.append(f"{where}: {_seen(value)}, not {' | '.join(_name(o) for o in options)}")


def _collection(
    value: object, origin: Any, args: tuple[Any, ...], where: str, found: list[str]
) -> None:
    wanted = _COLLECTIONS[origin]
    if not isinstance(value, wanted) or isinstance(value, (str, bytes, dict)):
        found.append(f"{where}: {_seen(value)}, not {origin.__name__}")
        return
    for n, item in enumerate(value):  # type: ignore[arg-type]
        _check(item, args[0] if args else Any, f"{where}[{n}]", found)


def _tuple(value: object, _: Any, args: tuple[Any, ...], where: str, found: list[str]) -> None:
    if not isinstance(value, tuple):
        found.append(f"{where}: {_seen(value)}, not tuple")
    elif len(args) == 2 and args[1] is Ellipsis:
        for n, item in enumerate(value):
            _check(item, args[0], f"{where}[{n}]", found)
    elif len(value) != len(args):
        found.append(f"{where}: a tuple of {len(value)}, not of {len(args)}")
    else:
        for n, (item, item_type) in enumerate(zip(value, args, strict=True)):
            _check(item, item_type, f"{where}[{n}]", found)


def _mapping(value: object, _: Any, args: tuple[Any, ...], where: str, found: list[str]) -> None:
    if not isinstance(value, abc.Mapping):
        found.append(f"{where}: {_seen(value)}, not a mapping")
        return
    key_type, value_type = args or (Any, Any)
    for key, item in value.items():
        _check(key, key_type, f"{where} key {key!r}", found)
        _check(item, value_type, f"{where}[{key!r}]", found)


def _typed_dict(value: object, annotation: Any, where: str, found: list[str]) -> None:
    if not isinstance(value, dict):
        found.append(f"{where}: {_seen(value)}, not {annotation.__name__}")
        return
    hints = _hints(annotation)
    required = _required(annotation)
    missing = sorted(required - value.keys())
    extra = sorted(str(k) for k in value.keys() - hints.keys())
    if missing:
        found.append(f"{where}: {annotation.__name__} lacks {', '.join(missing)}")
    if extra:
        found.append(f"{where}: {annotation.__name__} has no key {', '.join(extra)}")
    for key, field_type in hints.items():
        if key in value:
            _check(value[key], field_type, f"{where}[{key!r}]", found)


@cache
def _hints(annotation: type) -> dict[str, Any]:
    return typing.get_type_hints(annotation)


@cache
def _required(typed_dict: type) -> frozenset[str]:
    """The keys a TypedDict must have. Read from the resolved hints: under postponed
    annotations Python 3.11 cannot see `NotRequired[...]` in `__required_keys__`."""
    required = set(typed_dict.__required_keys__)  # type: ignore[attr-defined]
    for key, hint in typing.get_type_hints(typed_dict, include_extras=True).items():
        if get_origin(hint) is NotRequired:
            required.discard(key)
        elif get_origin(hint) is Required:
            required.add(key)
    return frozenset(required)


_SHAPED: dict[Any, Callable[[object, Any, tuple[Any, ...], str, list[str]], None]] = {
    tuple: _tuple, dict: _mapping, abc.Mapping: _mapping, abc.MutableMapping: _mapping,
    **dict.fromkeys(_COLLECTIONS, _collection),
}  # fmt: skip


def _has_fields(cls: type) -> bool:
    """A dataclass or a NamedTuple: a class whose fields are checked one by one."""
    return dataclasses.is_dataclass(cls) or (issubclass(cls, tuple) and hasattr(cls, "_fields"))


@cache
def _field_names(cls: type) -> frozenset[str]:
    if dataclasses.is_dataclass(cls):
        return frozenset(f.name for f in dataclasses.fields(cls))
    return frozenset(cls._fields)  # type: ignore[attr-defined]


def _seen(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)
