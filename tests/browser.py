"""A real browser for the tests: Debian's Chromium driven by Playwright (its sync API).

Playwright's own browser download is not used: the fixture launches /usr/bin/chromium
(`apt-get install chromium`; .ci/run installs it). Where Chromium or the playwright package is
missing, the browser tests skip with the reason; under CI=true they fail instead.
tests/conftest.py offers its fixtures, `chromium` and `page`, to every test.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Response

CHROMIUM = Path(os.environ.get("KRACHT_TEST_CHROMIUM", "/usr/bin/chromium"))
VIEWPORT = {"width": 1280, "height": 800}
AXE = Path(__file__).resolve().parent / "assets" / "axe.min.js"


def missing() -> str | None:
    """Why no browser can run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the session (each xdist worker has its own)."""
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI the browser tests must run, not skip")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser window (its own cookies) at 1280x800, in Dutch. The page's console
    errors (a script that fails, something the CSP blocks, a file that does not load) are kept
    in `page.errors`."""
    context = chromium.new_context(viewport=VIEWPORT, locale="nl-NL")  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if _a_problem(m) else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.on("response", lambda r: errors.append(f"{r.status} {r.url}") if _failed(r) else None)
    opened.errors = errors  # type: ignore[attr-defined]
    yield opened
    context.close()


def _a_problem(message: ConsoleMessage) -> bool:
    """A console error, but for the browser's note on a failed load (`_failed` names those)."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")


def _failed(response: Response) -> bool:
    """A script, style sheet or image that failed to load (a page's own status is the test's
    to check; the browser's own guess at /favicon.ico is not kracht's)."""
    request = response.request
    return (
        response.status >= 400
        and request.resource_type != "document"
        and not request.url.endswith("/favicon.ico")
    )


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[Any]:
    """What axe-core (its default rules) finds on the page as it is now, of those impacts.

    The script is evaluated through the browser's debugging protocol, which the page's CSP
    does not govern, so the page stays exactly as served."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await axe.run(document)")
    assert results["passes"], "axe checked nothing on the page"
    return [v for v in results["violations"] if v["impact"] in impacts]


def described(violations: list[Any]) -> str:
    """The violations, one line each with the elements concerned, for an assertion message."""
    return "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in violations
    )
