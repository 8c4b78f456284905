"""One unit of work: what every service is given, opened and closed at the edge.

A CLI command, a web request or a scheduler tick opens a unit with `Units.run` (or `Units.open`
to compose several services): one database transaction, the authenticated actor, the clock and
the settings. The edge commits it or rolls it back; a service never opens a database, reads the
environment or the wall clock. A refusal (NotAllowed, GuardFailed) rolls the unit back and is
then audited in a second session from the same engine, with what the refused attempt asked for.

Services say how they are run with two decorators: `@writes("person.add")` (the default: a write
transaction, BEGIN IMMEDIATE on SQLite, a refusal audited under that action) and `@reads` (a
read transaction; nothing to audit).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from kracht.basics.actors import Actor, resolve
from kracht.basics.errors import GuardFailed, NotAllowed
from kracht.notifications.settings import Settings
from kracht.storage import audit
from kracht.storage.clock import PROCESS, Clock
from kracht.storage.database import Database
from kracht.workflow import refusals
from kracht.workflow.refusals import Attempt

if TYPE_CHECKING:
    from sqlmodel import Session

P = ParamSpec("P")
T = TypeVar("T")
Refusal = NotAllowed | GuardFailed
CHANNELS = ("cli", "web", "api", "scheduler")


class Unit:
    """What a service works with: one transaction, who acts, the time, the settings.

    `actor` is resolved when a service first asks for it (an Actor given by the edge is used
    as it is), so the very first person can be added before anyone exists to act."""

    def __init__(
        self,
        db: Session,
        who: str | Actor | None,
        clock: Clock = PROCESS,
        settings: Settings | None = None,
        channel: str = "cli",
        *,
        dry_run: bool = False,
    ) -> None:
        self.db, self.who, self.clock, self.channel = db, who, clock, channel
        self.dry_run = dry_run  # run by `Units.try_out`: everything is rolled back at the end
        # Set by a service that enters what happened before kracht (the running-programme
        # import): the moves write no messages, since what they record was told back then.
        self.quiet = False
        self.settings = settings if settings is not None else Settings()
        self._actor = who if isinstance(who, Actor) else None
        self.standing: list[Callable[[Session, Actor], None]] = []

    @property
    def actor(self) -> Actor:
        """The person acting, with their roles; refused (NotAllowed) when nobody or an unknown
        person is named."""
        if self._actor is None:
            self._actor = resolve(self.db, self.who if isinstance(self.who, str) else None)
        return self._actor

    @property
    def resolved(self) -> Actor | None:
        """The actor, if one was resolved (for auditing a refusal)."""
        return self._actor

    @contextmanager
    def recording_for(self, *roles: str) -> Iterator[None]:
        """Within the block, the actor enters what people in `roles` did before kracht (the
        running-programme import): held for that only, and named so in the trail."""
        actor = self.actor
        self._actor = dataclasses.replace(actor, recording=frozenset(roles))
        try:
            yield
        finally:
            self._actor = actor

    def stand(self, write: Callable[[Session, Actor], None]) -> None:
        """Keep `write` even if this unit is refused: it runs again, on its own, in the
        transaction that audits the refusal (a recusal found on the way, say)."""
        self.standing.append(write)


@contextmanager
def attempting(
    action: str,
    application_id: int | None = None,
    trigger: str | None = None,
    reason: str | None = None,
) -> Iterator[None]:
    """Name what the block attempts, so that a refusal raised inside it is audited as that
    attempt (the innermost name wins)."""
    try:
        yield
    except (NotAllowed, GuardFailed) as refusal:
        if getattr(refusal, "attempt", None) is None:
            refusal.attempt = Attempt(action, application_id, trigger, reason)  # type: ignore[union-attr]
        raise


Service = Callable[Concatenate[Unit, P], T]


def writes(
    action: str, *, of_application: bool = False
) -> Callable[[Service[P, T]], Service[P, T]]:
    """Mark a service as a write whose refusal is audited as `action`; with `of_application`,
    its first argument after the unit is the application's id."""

    def decorate(service: Service[P, T]) -> Service[P, T]:
        @functools.wraps(service)
        def run(unit: Unit, *args: P.args, **kwargs: P.kwargs) -> T:
            app_id = args[0] if of_application and args else None
            with attempting(action, app_id if isinstance(app_id, int) else None):
                return service(unit, *args, **kwargs)

        run.kracht_writes = True  # type: ignore[attr-defined]
        run.kracht_action = action  # type: ignore[attr-defined]
        return run

    return decorate


def reads(service: Service[P, T]) -> Service[P, T]:
    """Mark a service as a read: a read transaction, nothing written, nothing audited."""
    service.kracht_writes = False  # type: ignore[attr-defined]
    return service


class Units:
    """Opens units of work on one database, for one interface (the channel)."""

    def __init__(
        self,
        database: Database | str,
        settings: Settings | None = None,
        *,
        clock: Clock = PROCESS,
        channel: str = "cli",
    ) -> None:
        assert channel in CHANNELS, channel
        self.database = database if isinstance(database, Database) else Database(database)
        self.settings = settings if settings is not None else Settings()
        self.clock, self.channel = clock, channel

    def run(
        self,
        who: str | Actor | None,
        service: Service[P, T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`service(unit, *args, **kwargs)` in one unit, committed; run again whole after a
        deadlock (PostgreSQL); a refusal is audited after the rollback."""
        return self._run(who, service, args, kwargs, dry_run=False)

    def try_out(
        self, who: str | Actor | None, service: Service[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """As `run`, but rolled back at the end: every step runs, nothing at all is written (a
        refusal is not audited either). The result is what the service would have returned."""
        return self._run(who, service, args, kwargs, dry_run=True)

    @contextmanager
    def open(self, who: str | Actor | None, *, write: bool = True) -> Iterator[Unit]:
        """A unit for several services in one transaction: committed when the block ends,
        rolled back whole on any exception (a refusal then audited). Not run again after a
        deadlock: use `run` with a function of the unit for that."""
        unit: Unit | None = None
        try:
            with self.database.session(write=write) as db:
                unit = self._unit(db, who)
                yield unit
        except (NotAllowed, GuardFailed) as refusal:
            if write:
                self._audit_refusal(who, refusal, None, unit)
            raise

    # -- the steps ------------------------------------------------------------------------------

    def _run(
        self,
        who: str | Actor | None,
        service: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        dry_run: bool,
    ) -> T:
        write = getattr(service, "kracht_writes", True)
        units: list[Unit] = []

        def attempt(db: Session) -> T:
            units[:] = []
            unit = self._unit(db, who, dry_run=dry_run)
            units.append(unit)
            result = service(unit, *args, **kwargs)
            if inspect.isgenerator(result):  # it would run after the unit has closed
                raise TypeError(f"{service.__name__} returns a generator; return a list")
            if dry_run:
                raise _RolledBack(result)  # leaving the block by an exception rolls back
            return result

        try:
            return self.database.transaction(attempt, write=write)
        except _RolledBack as rolled_back:
            return rolled_back.result  # type: ignore[no-any-return]
        except (NotAllowed, GuardFailed) as refusal:
            if write and not dry_run:
                action = getattr(service, "kracht_action", None)
                self._audit_refusal(who, refusal, action, units[0] if units else None)
            raise

    def _unit(self, db: Session, who: str | Actor | None, *, dry_run: bool = False) -> Unit:
        audit.through(db, self.channel)
        return Unit(db, who, self.clock, self.settings, self.channel, dry_run=dry_run)

    def _audit_refusal(
        self, who: str | Actor | None, refusal: Refusal, action: str | None, unit: Unit | None
    ) -> None:
        """A refused attempt leaves a trace: its own transaction, after the rollback, with
        whatever the unit asked to keep standing."""
        attempt = getattr(refusal, "attempt", None) or (Attempt(action) if action else None)
        if attempt is None:
            return

        def append(db: Session) -> None:
            audit.through(db, self.channel)
            actor = unit.resolved if unit is not None else None
            if unit is not None and actor is not None:
                for write in unit.standing:
                    write(db, actor)
            refusals.append(db, who, actor, attempt, refusal)

        self.database.transaction(append)


class _RolledBack(Exception):  # noqa: N818 - not an error: carries a dry run's result out
    def __init__(self, result: object) -> None:
        super().__init__("dry run: rolled back")
        self.result = result
