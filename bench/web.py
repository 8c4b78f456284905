"""The web interface's main pages and API reads at 20 concurrent clients, beside `/healthz`.

What it measures: `kracht demo` builds the demo database (the first Agenda voor Twente round run
to its outcomes) in a scratch folder; `kracht serve` runs on it in a subprocess (uvicorn, one
process, as a deployment starts it). The programme leader, who sees every application and has
the most tasks, is invited through the services and chooses a password over HTTP; every
client then signs in with it (a session of its own) and an API token is made for the API.
Endpoints, all GET:

    healthz        /healthz                       the floor: a unit of work that pings the database
    tasks          /                              my tasks (the page after signing in)
    applications   /applications                  the applications list
    application    /applications/{id}             one application's page
    api list       /api/v1/applications           the JSON list
    api app        /api/v1/applications/{id}      one application's whole record

`{id}` is the application whose API record is the largest (the most partners, stage data,
letters, reports and events): the heaviest page there is in the demo.

Round after round (5 by default), every endpoint in turn, in an order that rotates each
round, takes one burst: 20 clients (threads, each with its own keep-alive httpx client)
start together and each sends 10 requests one after the other, so 200 requests at
concurrency 20. Each request's latency is perf_counter around `client.get`, body read; the
burst's requests/s is 200 over its wall time. Printed per endpoint: the median and the 99th
percentile latency over every round's requests and the median requests/s over the rounds,
each beside /healthz's and as a ratio (latency: endpoint / healthz; throughput: healthz /
endpoint, so above 1 is slower for both). Every response must be 200.

Target (issue 14): every main page within 3x the trivial endpoint: its median latency at most
3x /healthz's median, and its requests/s at least a third of /healthz's, in the same run (the
verdict takes the worse of the two; the p99 ratio is printed beside them; the API reads are held
to the same mark). The clients share the machine's two cores with the server, which slows every
endpoint alike; the ratios are what compares.

Run from the repository root:
  .venv/bin/python bench/web.py [ROUNDS] [REQUESTS_A_CLIENT] [--clients N] [--json]
                                                                   (default 5 10, 20 clients)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

LEADER = "aleid.diepeveen@example.org"  # the demo's programme leader
PASSWORD = "paars paard batterij niet"
GOAL = 3.0  # x the trivial endpoint's median latency
FLOOR = "healthz"


def kracht(db: Path, *args: str, user: str | None = None) -> list[str]:
    """A `kracht` command line with this interpreter, on the database file `db`."""
    who = ["--as", user] if user else []
    return [sys.executable, "-m", "kracht", "--db", str(db), *who, *args]


def build(folder: Path) -> Path:
    db = folder / "demo.db"
    subprocess.run(kracht(db, "demo"), check=True, stdout=subprocess.DEVNULL)
    return db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(db: Path, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`kracht serve` on the database, in a subprocess; its address once /healthz answers."""
    port = free_port()
    environment = {**os.environ, "KRACHT_CONFIG": str(folder / "kracht.toml")}
    (folder / "kracht.toml").write_text(f'[mail]\ndirectory = "{folder / "mail"}"\n')
    server = subprocess.Popen(
        kracht(db, "serve", "--host", "127.0.0.1", "--port", str(port)),
        env=environment,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("kracht serve stopped before it answered")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise SystemExit("kracht serve did not answer /healthz within 60 s")


def csrf_of(page: str) -> str:
    marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def credentials(db: Path, base: str) -> str:
    """The leader's password set through an invitation (over HTTP); an API token made through
    the services, returned."""
    from kracht.notifications.settings import Settings
    from kracht.workflow.services import accounts
    from kracht.workflow.unit import Units

    units = Units(f"sqlite:///{db}", Settings())
    invited = units.run(LEADER, accounts.invite, LEADER, show_link=True, mail=False)
    path = "/" + invited["link"].split("/", 3)[3]
    with httpx.Client(base_url=base) as browser:
        page = browser.get(path)
        chosen = browser.post(path, data={"csrf": csrf_of(page.text), "password": PASSWORD})
        if chosen.status_code != 303:
            raise SystemExit(f"choosing the password failed: {chosen.status_code}")
    made = units.run(LEADER, accounts.create_token, "bench/web.py", None, 1)
    return made["token"]


def signed_in(base: str, number: int) -> httpx.Client:
    """A client with a session of its own (signed in with the password), from an address of its
    own (127.0.0.`number + 2`): the server limits sign-in attempts per address, as it should."""
    source = httpx.HTTPTransport(local_address=f"127.0.0.{number + 2}")
    client = httpx.Client(base_url=base, timeout=60, transport=source)
    page = client.get("/sign-in")
    done = client.post(
        "/sign-in", data={"csrf": csrf_of(page.text), "email": LEADER, "password": PASSWORD}
    )
    if done.status_code != 303:
        raise SystemExit(f"signing in failed: {done.status_code} {done.text[:200]}")
    return client


def heaviest(base: str, token: str) -> int:
    """The application whose whole API record is the largest."""
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{base}/api/v1/applications", headers=headers, timeout=60).json()
    sizes = {
        app["id"]: len(
            httpx.get(f"{base}/api/v1/applications/{app['id']}", headers=headers).content
        )
        for app in listed
    }
    return max(sizes, key=lambda found: sizes[found])


def burst(clients: list[httpx.Client], path: str, each: int) -> tuple[list[float], float]:
    """Every client sends `each` GETs of `path`, all clients at once; the latencies (s) and
    the burst's wall time."""
    start = threading.Barrier(len(clients) + 1)
    latencies: list[list[float]] = [[] for _ in clients]
    failures: list[str] = []

    def client_loop(index: int) -> None:
        client, mine = clients[index], latencies[index]
        start.wait()
        for _ in range(each):
            began = time.perf_counter()
            response = client.get(path)
            mine.append(time.perf_counter() - began)
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code}")

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, the first {failures[0]}")
    return [latency for mine in latencies for latency in mine], wall


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(
    endpoints: dict[str, tuple[str, list[httpx.Client]]], rounds: int, each: int
) -> dict[str, dict[str, Any]]:
    """Rounds of one burst per endpoint, the order rotating; per endpoint every latency and
    each round's requests/s."""
    names = list(endpoints)
    found: dict[str, dict[str, Any]] = {name: {"latencies": [], "rates": []} for name in names}
    for path, clients in endpoints.values():  # warm up: templates, caches, connections
        burst(clients, path, 2)
    for number in range(rounds):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            path, clients = endpoints[name]
            latencies, wall = burst(clients, path, each)
            found[name]["latencies"] += latencies
            found[name]["rates"].append(len(latencies) / wall)
    return found


def summary(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    figures = {
        name: {
            "median_ms": statistics.median(f["latencies"]) * 1000,
            "p99_ms": percentile(f["latencies"], 0.99) * 1000,
            "per_s": statistics.median(f["rates"]),
            "per_s_min": min(f["rates"]),
            "per_s_max": max(f["rates"]),
            "requests": len(f["latencies"]),
        }
        for name, f in found.items()
    }
    floor = figures[FLOOR]
    for figure in figures.values():
        figure["median_ratio"] = figure["median_ms"] / floor["median_ms"]
        figure["p99_ratio"] = figure["p99_ms"] / floor["p99_ms"]
        figure["per_s_ratio"] = floor["per_s"] / figure["per_s"]
        figure["worse_ratio"] = max(figure["median_ratio"], figure["per_s_ratio"])
    return figures


def report(figures: dict[str, dict[str, float]], clients: int, paths: dict[str, str]) -> None:
    floor = figures[FLOOR]
    print(f"{clients} concurrent clients; /healthz: median {floor['median_ms']:.1f} ms, "
          f"p99 {floor['p99_ms']:.1f} ms, {floor['per_s']:.0f} requests/s "
          f"[{floor['per_s_min']:.0f}-{floor['per_s_max']:.0f}]")  # fmt: skip
    print(f"{'endpoint':<14}{'path':<28}{'median ms':>16}{'p99 ms':>16}{'requests/s':>20}  "
          f"goal: <= {GOAL:g}x /healthz")  # fmt: skip
    for name, f in figures.items():
        if name == FLOOR:
            continue
        verdict = "PASS" if f["worse_ratio"] <= GOAL else "MISS"
        print(
            f"{name:<14}{paths[name]:<28}"
            f"{f['median_ms']:>7.1f} ({f['median_ratio']:4.2f}x)"
            f"{f['p99_ms']:>9.1f} ({f['p99_ratio']:4.2f}x)"
            f"{f['per_s']:>9.0f} [{f['per_s_min']:.0f}-{f['per_s_max']:.0f}] "
            f"({f['per_s_ratio']:4.2f}x)  {verdict}"
        )


def run(rounds: int, each: int, clients: int, as_json: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="kracht-bench-web-") as scratch:
        folder = Path(scratch)
        db = build(folder)
        server, base = serve(db, folder)
        opened: list[httpx.Client] = []
        try:
            token = credentials(db, base)
            app_id = heaviest(base, token)

            def pool(make: Callable[[int], httpx.Client]) -> list[httpx.Client]:
                made = [make(number) for number in range(clients)]
                opened.extend(made)
                return made

            browsers = pool(lambda number: signed_in(base, number))
            bearer = {"Authorization": f"Bearer {token}"}
            api = pool(lambda _: httpx.Client(base_url=base, timeout=60, headers=bearer))
            plain = pool(lambda _: httpx.Client(base_url=base, timeout=60))
            paths = {
                FLOOR: "/healthz",
                "tasks": "/",
                "applications": "/applications",
                "application": f"/applications/{app_id}",
                "api list": "/api/v1/applications",
                "api app": f"/api/v1/applications/{app_id}",
            }
            users = {FLOOR: plain, "api list": api, "api app": api}
            endpoints = {name: (path, users.get(name, browsers)) for name, path in paths.items()}
            figures = summary(measure(endpoints, rounds, each))
        finally:
            for client in opened:
                client.close()
            server.terminate()
            server.wait(timeout=30)
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        report(figures, clients, paths)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=5)
    parser.add_argument("requests", nargs="?", type=int, default=10, help="a client, a burst")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    run(options.rounds, options.requests, options.clients, options.json)
