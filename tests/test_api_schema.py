"""The JSON API keeps to its OpenAPI document (issue 14): schemathesis takes the document the
server serves at /api/openapi.json and sends every operation generated requests, valid and not,
to a real server (uvicorn) on a demo database, with a programme leader's personal access token.
Every check of schemathesis runs: no 5xx, each status and content type documented, each answer
of its documented schema, invalid input refused, valid input accepted, the token enforced, an
undocumented method refused with Allow... A 500 is a bug in kracht.

Where schemathesis is not installed the tests skip with the reason; under CI=true they fail."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kracht.notifications.settings import Settings
from kracht.workflow.demo.build import run as build_demo
from kracht.workflow.demo.data import LEADER
from kracht.workflow.services import accounts
from kracht.workflow.unit import Units
from tests.web_server import running

EXAMPLES = 25  # generated requests per operation and phase: the whole run stays within a minute
# A guard's refusal (422: something the step needs is missing) answers a well-formed request: the
# trigger exists, but the application is not ready for it. Not a rejection of valid data.
ACCEPTED = ["2xx", "401", "403", "404", "409", "422"]


def missing() -> str | None:
    """Why schemathesis cannot run here, or None."""
    if importlib.util.find_spec("schemathesis") is None:
        return "schemathesis is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = build_demo(str(tmp_path_factory.mktemp("api") / "demo.db"), echo=lambda _: None)
    assert isinstance(path, Path)
    return f"sqlite:///{path}"


TOKEN: dict[str, str] = {}  # the leader's personal access token, once the `api` fixture made it


@pytest.fixture(scope="module")
def api(demo_url: str) -> Iterator[str]:
    """A real server on the demo database (its address), and the leader's token in TOKEN."""
    made = Units(demo_url, Settings()).run(LEADER, accounts.create_token, "schemathesis", None, 1)
    TOKEN["token"] = made["token"]
    with running(demo_url) as base:
        yield base


def document() -> dict[str, Any]:
    """The API's OpenAPI document, as the server makes it (the test below checks that it
    serves this one): schemathesis reads it when the tests are collected, before any server
    runs. (Its loader from a fixture, which would read it from the server, fails on pytest 9.2,
    which no longer has the `_nodeid` it sets.)"""
    from kracht.web.server import create_app

    return create_app(Units("sqlite://", Settings())).openapi()


def test_the_server_serves_the_document_the_schema_tests_read(api):
    served = httpx.get(f"{api}/api/openapi.json", timeout=60)
    assert served.status_code == 200
    assert served.json() == document()
    assert served.json()["components"]["securitySchemes"]["personalToken"]["scheme"] == "bearer"


def test_every_operation_documents_its_answer_its_problems_and_the_token():
    described = document()
    operations = [
        (path, method, operation)
        for path, item in described["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    ]
    assert len(operations) == 6
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        answers = operation["responses"]
        assert "$ref" in str(answers["200"]["content"]["application/json"]["schema"]), where
        for status in ("400", "401", "403", "404", "409", "422"):
            assert answers[status]["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, where
        assert operation["security"] == [{"personalToken": []}], where
    assert described["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
    fire = described["paths"]["/api/v1/applications/{application_id}/fire"]["post"]
    body = fire["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Fire"}
    assert "withdraw" in described["components"]["schemas"]["Fire"]["properties"]["trigger"]["enum"]


if missing() is None:
    import schemathesis
    from hypothesis import HealthCheck, settings

    schema = schemathesis.openapi.from_dict(document())
    schema.config.generation.update(max_examples=EXAMPLES)
    schema.config.checks.positive_data_acceptance.expected_statuses = ACCEPTED

    @schema.parametrize()
    @settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def test_the_api_keeps_to_its_openapi_document(case: Any, api) -> None:
        # The token goes with every request but those that leave it out on purpose (they must
        # be refused). It is made after collection, where schemathesis makes its first cases,
        # so it is added here rather than by an auth provider of schemathesis.
        left_out = case.operation.schema.is_security_param_negated(case)
        headers = {} if left_out else {"Authorization": f"Bearer {TOKEN['token']}"}
        case.call_and_validate(base_url=api, headers=headers, timeout=60)

else:

    def test_the_api_keeps_to_its_openapi_document() -> None:
        reason = missing()
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI the API's schema tests must run, not skip")
        pytest.skip(str(reason))
