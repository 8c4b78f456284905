"""The scheduler process: fire the reminders that are due into the outbox, then send the outbox.

Everything it needs to remember lives in the database (reminder and outbox rows), so it can be
stopped and started at will, and several can run at once: each reminder step and each message is
taken by exactly one of them. APScheduler runs the tick at a fixed interval, starting at once, so
what fell due while nothing was running goes out on the next start.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kracht.notifications import reminders, sender
from kracht.notifications.settings import Settings
from kracht.storage import clock

if TYPE_CHECKING:
    from kracht.basics.actors import Actor
    from kracht.storage.database import Database


Checkpointing = Callable[[], "dict[str, Any] | None"]  # signs and mails one when it is due


def tick(
    database: Database,
    settings: Settings,
    actor: Actor,
    now: dt.datetime | None = None,
    checkpoint: Checkpointing | None = None,
) -> dict[str, Any]:
    """One round: reminders first (their messages go out in the same round), then, with
    `checkpoint` (the layer above builds it: workflow.services.auditing.checkpointing), a signed
    checkpoint to the auditors when one is due, then the outbox.

    A round that did anything leaves one audit event, `scheduler.tick` by the person who runs
    the scheduler, with what it did: the reminder steps taken and the messages sent, backed off
    and dead-lettered. A round with nothing due leaves none."""
    fired = reminders.fire_due(
        database, now, templates=settings.templates.folder, base_url=settings.web.base_url
    )
    signed = _checkpointed(checkpoint)  # its messages go out below
    sent = sender.send_due(database, settings.mail, now=now)
    result: dict[str, Any] = {"reminders": fired, "checkpoint": signed, **sent.as_dict()}
    if fired or sent.changed():
        steps = [
            {"reminder": f["reminder"], "step": f["step"], "messages": len(f["messages"])}
            for f in fired
        ]
        payload = {"reminder_steps": len(fired), "steps": steps, **sent.audit_payload()}
        result["event"] = sender.audit_run(database, actor, "scheduler.tick", payload)
    return result


def _checkpointed(checkpoint: Checkpointing | None) -> dict[str, Any] | None:
    """The checkpoint sent this round, if one was due; a refusal or a broken key is reported
    in the round's result and does not stop the reminders and the mail."""
    if checkpoint is None:
        return None
    from kracht.basics.errors import KrachtError

    try:
        return checkpoint()
    except KrachtError as error:
        return {"refused": str(error)}


def summary(result: dict[str, Any]) -> str:
    checkpoint = result.get("checkpoint")
    signed = ""
    if checkpoint and "refused" in checkpoint:
        signed = f"; no checkpoint: {checkpoint['refused']}"
    elif checkpoint:
        signed = (
            f"; a checkpoint of {checkpoint['size']} events to {checkpoint['auditors']} auditor(s)"
        )
    return (
        f"{len(result['reminders'])} reminder step(s) fired; {len(result['sent'])} sent, "
        f"{len(result['retrying'])} to retry, {len(result['dead'])} dead" + signed
    )


def run(
    database: Database,
    settings: Settings,
    actor: Actor,
    *,
    interval: float,
    stop_after: float | None,
    report: Callable[[str], None],
    checkpoint: Checkpointing | None = None,
) -> int:
    """Tick every `interval` seconds until interrupted (or `stop_after` seconds); ticks run."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # a skipped overlapping run is fine
    ticks = 0

    def job() -> None:
        nonlocal ticks
        ticks += 1
        try:
            result = tick(database, settings, actor, checkpoint=checkpoint)
        except Exception as error:  # noqa: BLE001 - a bad tick must not stop the scheduler
            report(f"tick failed, will try again: {type(error).__name__}: {error}")
            return
        if result["reminders"] or result["sent"] or result["retrying"] or result["dead"]:
            report(summary(result))

    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)}, timezone=dt.UTC)
    scheduler.add_job(
        job,
        "interval",
        seconds=interval,
        next_run_time=clock.wall(),  # at once: APScheduler times its runs by the system clock
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        id="kracht-tick",
    )
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    scheduler.start()
    started = time.monotonic()
    try:
        while not stopping and (stop_after is None or time.monotonic() - started < stop_after):
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.stdout.flush()
    return ticks
