"""The road checks itself: reachability, exits, terminal paths, roles, and views drawn from it."""

import json

import pytest

from kracht.basics.roles import ALL_ROLES
from kracht.cli import cli
from kracht.workflow import definition, diagram
from kracht.workflow.definition import OPEN, STATES, TERMINAL, TRANSITIONS, WORKFLOW_VERSION


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {s: set() for s in STATES}
    for row in TRANSITIONS:
        for source in row.sources:
            edges[source].add(row.dest)
    return edges


def _reachable(start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in _edges()[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_state_is_reachable_from_idea():
    unreachable = set(STATES) - _reachable("idea")

    assert unreachable == set()


def test_every_open_state_has_an_exit_and_terminal_states_have_none():
    edges = _edges()

    assert [s for s in OPEN if not edges[s]] == []
    assert [s for s in TERMINAL if edges[s]] == []


def test_every_state_has_a_path_to_a_terminal_state():
    stuck = [s for s in STATES if not _reachable(s) & set(TERMINAL)]

    assert stuck == []


def test_withdraw_exists_from_every_open_state():
    sources = {s for row in TRANSITIONS if row.trigger == "withdraw" for s in row.sources}

    assert sources == set(OPEN)


@pytest.mark.parametrize("row", TRANSITIONS, ids=lambda r: f"{r.trigger}-to-{r.dest}")
def test_every_row_names_known_states_and_roles(row):
    assert set(row.sources) <= set(STATES)
    assert row.dest in STATES
    assert row.roles
    assert set(row.roles) <= set(ALL_ROLES)
    assert all(guard.requires for guard in row.guards)


def test_rows_sharing_a_trigger_and_source_are_told_apart_by_when():
    seen: dict[tuple[str, str], int] = {}
    for row in TRANSITIONS:
        for source in row.sources:
            seen[(row.trigger, source)] = seen.get((row.trigger, source), 0) + 1
    shared = {key for key, count in seen.items() if count > 1}

    assert all(
        row.when is not None
        for row in TRANSITIONS
        for s in row.sources
        if (row.trigger, s) in shared
    )


def test_the_main_road_has_one_forward_step_per_state():
    forward: dict[str, int] = {}
    for row in TRANSITIONS:
        if row.forward:
            for source in row.sources:
                forward[source] = forward.get(source, 0) + 1

    assert all(count == 1 for count in forward.values())
    assert set(forward) >= {"idea", "innovation_table", "ecosystem_analysis", "monitoring"}


def test_fingerprint_is_pinned_for_the_declared_version():
    """Changing the road without bumping WORKFLOW_VERSION would silently reinterpret
    applications in flight; this pin makes that change fail here first."""
    pinned = {
        1: "2ef9b16c754fba7d",
        2: "c7edea3c8ba48eae",
        3: "e5616335da9f3733",
        4: "84a2c3868f7f345d",  # with the requested amount and the co-financing commitment
        # a deferral names exactly one date or round, given with it; its needs in plain words
        # (the reason need lost its "(--reason)", which the CLI adds): the same road
        5: "d95be8928ba3b1c7",
    }

    assert definition.fingerprint() == pinned[WORKFLOW_VERSION]


def test_workflow_show_json_lists_every_transition_with_its_requirements():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["workflow", "show", "--json"])
    data = json.loads(result.output)

    assert result.exit_code == 0
    assert len(data["transitions"]) == len(TRANSITIONS)
    refer = next(t for t in data["transitions"] if t["trigger"] == "refer_to_committee")
    assert refer["sources"] == ["ecosystem_analysis"]
    assert refer["dest"] == "assessment_committee"
    assert refer["roles"] == ["programme_leader"]
    co_financing = "at least one co-financing business committing money, knowledge or time"
    assert co_financing in refer["requires"]
    assert refer["waivable_stages"] == ["ecosystem_analysis"]


def test_mermaid_diagram_has_one_edge_per_source_of_every_row():
    text = diagram.mermaid()
    edges = [line for line in text.splitlines() if "-->" in line and "[*]" not in line]

    assert text.startswith("stateDiagram-v2\n")
    assert len(edges) == sum(len(row.sources) for row in TRANSITIONS)
    assert "    steering_decision --> approved_with_conditions: approve_with_conditions" in edges


def test_workflow_show_table_names_every_trigger():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["workflow", "show"])

    assert result.exit_code == 0
    assert all(row.trigger in result.output for row in TRANSITIONS)


def test_workflow_show_says_what_each_move_does_and_sends_from_the_road_itself():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["workflow", "show"])
    shown = CliRunner().invoke(cli, ["workflow", "show", "--json"])
    moves = {t["trigger"]: t for t in json.loads(shown.output)["transitions"]}
    moved = result.output.split("What each move does")[1]

    assert result.exit_code == shown.exit_code == 0
    approve = moves["approve"]
    assert approve["effects"] == [
        "charge the grant to its budget per year, create any conditions, write the letter",
        "plan the progress reports to the project's end",
    ]
    assert approve["events"] == [
        {"event": "decision_made", "recipients": ["applicant", "programme_leader"]}
    ]
    assert moves["submit_advice"]["checks"] == [
        "refuse advice from a chair not on this committee or recused"
    ]
    assert (
        "end the condition_due reminders (leaving approved_with_conditions)"
        in (moves["conditions_met"]["effects"])
    )
    # every effect, check and event a row declares is named, in the table as in the JSON
    for row in TRANSITIONS:
        for effect in (*row.effects, *row.checks):
            assert effect.says in moved
        for event in row.events:
            assert f"sends: {event} to " in moved
    assert "  resume\n" not in moved  # a move that only moves is not listed
