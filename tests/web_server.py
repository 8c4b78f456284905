"""A real kracht web server for the tests: uvicorn on a free loopback port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from kracht.notifications.settings import Audit, Settings, Web
from kracht.storage.clock import Clock
from kracht.web.server import create_app
from kracht.workflow.unit import Units


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    url: str, web: Web | None = None, clock: Clock | None = None, audit: Audit | None = None
) -> Iterator[str]:
    """A server for the database at `url`; yields its base address (http, loopback)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(web=web or Web(base_url=base), audit=audit or Audit())
    units = Units(url, settings, clock=clock) if clock else Units(url, settings)
    config = uvicorn.Config(
        create_app(units, secure=False), host="127.0.0.1", port=port, log_level="warning",
        lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the kracht web server did not start")
        time.sleep(0.02)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


PASSWORD = "paars paard batterij niet"  # four unrelated words: what every test person chooses


def signed_in(base: str, url: str, email: str) -> httpx.Client:
    """A browser signed in as `email`, who chose PASSWORD through an invitation (made by the
    test factories' programme leader)."""
    from kracht.workflow.services import accounts
    from tests.factories import LEADER

    made = Units(url, Settings()).run(LEADER, accounts.invite, email, show_link=True, mail=False)
    path = made["link"].removeprefix("http://127.0.0.1:8000")
    client = browser(base)
    page = client.get(path)
    assert page.status_code == 200, page.text
    chosen = client.post(path, data={"csrf": csrf_of(page.text), "password": PASSWORD})
    assert chosen.status_code == 303, chosen.text
    return client


def csrf_of(page: str) -> str:
    """The form token a page carries."""
    marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def browser(base: str) -> httpx.Client:
    """A client that keeps cookies and does not follow redirects (tests look at them)."""
    return httpx.Client(base_url=base, follow_redirects=False, timeout=60)


def get(url: str, **options: object) -> httpx.Response:
    """One request with no cookies kept, patient with a loaded machine."""
    return httpx.get(url, timeout=60, **options)  # type: ignore[arg-type]


def post(url: str, **options: object) -> httpx.Response:
    """One request with no cookies kept, patient with a loaded machine."""
    return httpx.post(url, timeout=60, **options)  # type: ignore[arg-type]
