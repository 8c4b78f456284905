"""A limit on sign-in attempts from one address: beside the lockout of an account after failed
sign-ins in a row, so that one client cannot try many accounts quickly either. Kept in the
server's memory (one count per process: behind several server processes, each counts its own)."""

from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import Request

from kracht.basics.errors import KrachtError

ATTEMPTS, WINDOW = 20, 60.0  # sign-in attempts an address may make in WINDOW seconds


class TooManyAttempts(KrachtError):
    """Too many sign-in attempts from one address in a short while."""

    exit_code = 4
    http_status = 429
    kind = "too-many-attempts"
    title = "too many attempts"


class Throttle:
    """At most `attempts` in any `window` seconds for each key (a client's address)."""

    def __init__(self, attempts: int = ATTEMPTS, window: float = WINDOW) -> None:
        self.attempts, self.window = attempts, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: float | None = None) -> float:
        """Count an attempt by `key`: 0 when it may go ahead, else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.attempts:
                return seen[0] + self.window - now
            seen.append(now)
            if len(self._seen) > 10_000:  # forget the quiet ones, so memory stays bounded
                for quiet in [k for k, v in self._seen.items() if not v]:
                    del self._seen[quiet]
            return 0.0


def limited(request: Request) -> None:
    """Refuse a sign-in attempt from an address that made too many just now (429)."""
    throttle: Throttle = request.app.state.throttle
    address = request.client.host if request.client else ""
    waited = throttle.wait(address)
    if waited > 0:
        raise TooManyAttempts(
            f"too many sign-in attempts from your address; try again in {int(waited) + 1} seconds",
            retry_after=int(waited) + 1,
        )
