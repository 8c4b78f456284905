"""Human-readable text for the terminal, and reading stage data from TOML or JSON files."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from kracht.basics.errors import InvalidInput
from kracht.basics.euros import format_euros
from kracht.commands.hints import need_line


def load_values(path: Path) -> dict[str, object]:
    """Read NAME = VALUE stage data from a .toml or .json file (a flat table or object)."""
    from kracht.basics.files import read_text

    raw = read_text(path)
    # a name without a suffix (/dev/stdin, a shell's <(...)) is read as TOML
    kind = {".toml": "TOML", ".json": "JSON", "": "TOML"}.get(path.suffix.lower())
    if kind is None:
        raise InvalidInput(f"reading {path}: kracht reads .toml or .json files")
    try:
        data = json.loads(raw) if kind == "JSON" else tomllib.loads(raw)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise InvalidInput(f"{path.name} is not valid {kind}: {error}") from None
    except RecursionError:
        raise InvalidInput(f"{path.name}: its arrays or objects are nested too deeply") from None
    if not isinstance(data, dict) or any(isinstance(v, dict | list) for v in data.values()):
        raise InvalidInput(f"{path.name} must hold flat NAME = VALUE pairs")
    return data


def show_roads(roads: dict[str, Any]) -> str:
    """A programme's routes (its own, then each track's) and its rules by period."""
    version = roads["version"] or "kracht's default"
    lines = [f"Routes of programme {roads['programme']} (configuration {version}):"]
    for route in roads["routes"]:
        who = [*(f"line {x}" for x in route["lines"]), *(f"round {x}" for x in route["rounds"])]
        if route["key"]:
            lines.append(f"  track {route['key']} ({route['name']}): {', '.join(who)}")
        else:
            lines.append("  every line and round without a track of its own")
        lines.append("    " + " -> ".join(route["stages"]))
        lines += [f"    passes {stage}: {why}" for stage, why in route["passes"].items()]
    if not roads["periods"]:
        lines.append("Rules: every rule of the road applies (no periods declared).")
    for period in roads["periods"]:
        waived = ", ".join(f"{rule} ({needs})" for rule, needs in period["waive"].items())
        lines.append(f"From {period['starts_on']} ({period['name']}): "
                     + (f"not yet {waived}" if waived else "every rule applies"))  # fmt: skip
        lines.append(f"    {period['reason']}")
    return "\n".join(lines)


def show_application(record: dict[str, Any]) -> str:
    lines = [
        f"Application {record['id']}: {record['title']}",
        f"  state        {record['state']}"
        + (f" (was {record['previous_state']})" if record["previous_state"] else ""),
        f"  programme    {record['programme']}  line {record['line'] or '-'}",
        f"  applicant    {record['applicant']}",
        f"  requested    {format_euros(record['requested_cents'])}",
        f"  version      {record['version']} (workflow version {record['workflow_version']})",
    ]
    lines += [f"  n/a          {stage}: {why}" for stage, why in record["not_applicable"].items()]
    lines += [
        f"  rule n/a     {rule}: {why}" for rule, why in record["rules_not_applicable"].items()
    ]
    for stage, values in record["stage_data"].items():
        lines.append(f"  [{stage}]")
        for name, value in values.items():
            shown = format_euros(value) if name in ("granted", "budget_total") else value
            lines.append(f"    {name}: {shown}")
    if record["partners"]:
        lines.append("  partners")
        for p in record["partners"]:
            money = f" {format_euros(p['amount_cents'])}" if p["amount_cents"] else ""
            if p["commitment"] == "money":
                money += f", {p['source'] or 'source unknown'}"
            cofi = ", co-financing" if p["co_financing"] else ""
            lines.append(f"    {p['organisation']} ({p['type']}{cofi}; {p['commitment']}{money})")
    if record["indicators"]:
        lines.append("  indicators")
        for i in record["indicators"]:
            lines.append(
                f"    {i['name']}: {i['baseline']} -> {i['target']} {i['unit']} "
                f"by {i['target_date']}"
            )
    lines += _monitoring_line(record)
    if record["next"]:
        lines.append("  next")
        for option in record["next"]:
            missing = [need_line(m) for m in option["missing"]]
            needs = "ready" if not missing else "needs " + "; ".join(missing)
            lines.append(
                f"    {option['trigger']} -> {option['to']} [{', '.join(option['roles'])}]: {needs}"
            )
    return "\n".join(lines)


def _monitoring_line(record: dict[str, Any]) -> list[str]:
    monitoring = record.get("monitoring") or {}
    if not monitoring.get("schedule"):
        return []
    late = monitoring["late"]
    return [
        f"  monitoring   {len(monitoring['reports'])} reports, {len(late)} late"
        + (f" ({', '.join(late[:4])}{', ...' if len(late) > 4 else ''})" if late else "")
        + f"; latest light {monitoring['latest_light'] or '-'}"
        + f"; `kracht monitor schedule {record['id']}`"
    ]


SCORE_KEYS = ("score", "motivation")  # what a score file's [criterion] table holds


def load_scores(path: Path) -> dict[str, tuple[str, str]]:
    """Read scores from TOML: one [criterion] table with `score` and `motivation` each."""
    from kracht.basics.files import read_text

    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path.name} is not valid TOML: {error}") from None
    except RecursionError:
        raise InvalidInput(f"{path.name}: its arrays or tables are nested too deeply") from None
    result = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or "score" not in entry:
            raise InvalidInput(f'{path.name}: [{key}] needs score = N and motivation = "..."')
        score, motivation = entry["score"], entry.get("motivation", "")
        where = f"{path.name}: [{key}]"
        unknown = [name for name in entry if name not in SCORE_KEYS]
        if unknown:
            raise InvalidInput(
                f"{where} has an unknown key {unknown[0]!r}; a criterion's table holds only "
                + " and ".join(SCORE_KEYS)
            )
        if isinstance(score, bool) or not isinstance(score, int | float | str):
            raise InvalidInput(f"{where} score must be a number, not {score!r}")
        if not isinstance(motivation, str):
            raise InvalidInput(f"{where} motivation must be a text, not {motivation!r}")
        result[key] = (str(score), motivation)
    return result


def show_scores(view: dict[str, Any]) -> str:
    """The committee's scores of one application, round by round."""
    lines = [f"Application {view['application_id']}: committee"]
    for m in view["members"]:
        status = (
            f"recused ({m['recusal_reason']})"
            if m["recused"]
            else (f"declared {m['declaration']}" if m["declaration"] else "not yet declared")
        )
        lines.append(f"  {m['member']:<34} {status}")
    for r in view["rounds"]:
        lines.append(
            f"Round {r['number']}: deadline {r['deadline']}, criteria "
            f"{r['criteria_version']}, submitted: {len(r['submitted'])}"
        )
        if not r["visible"]:
            lines.append("  scores are blind until you have submitted your own sheet")
            if "own_sheet" in r:
                for key, s in r["own_sheet"]["scores"].items():
                    lines.append(f"  your {key}: {s['score']} ({s['motivation']})")
            continue
        members = [sheet["member"].split("@")[0] for sheet in r["sheets"]]
        lines.append(
            "  "
            + "criterion".ljust(22)
            + "".join(m[:14].ljust(15) for m in members)
            + "mean  median spread"
        )
        agg = {c["key"]: c for c in r["aggregate"]["criteria"]}
        for c in r["criteria"]:
            row = [
                str(sheet["scores"].get(c["key"], {}).get("score", "-")) for sheet in r["sheets"]
            ]
            a = agg[c["key"]]
            flags = (" KNOCK-OUT" if a["knocked_out"] else "") + (
                " DISAGREE" if a["disagreement"] else ""
            )
            lines.append(
                "  "
                + c["key"][:21].ljust(22)
                + "".join(v.ljust(15) for v in row)
                + f"{_num(a['mean']):<6}{_num(a['median']):<7}{_spread(a['spread'])}"
                + flags
            )
        lines.append(f"  weighted total: {_num(r['aggregate']['weighted_total'])}")
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _spread(value: int | None) -> str:
    return "-" if value is None else str(value)


def show_monitoring(view: dict[str, Any]) -> str:
    """A project's report schedule, its reports and its indicators against their targets."""
    lines = [f"Application {view['application_id']}: {view['title']} ({view['state']})"]
    plan = view["schedule"]
    if plan is None:
        lines.append("  no report schedule: one is planned when the project enters monitoring")
    else:
        lines.append(
            f"  reports every {plan['every_months']} months, {plan['starts_on']} to "
            f"{plan['ends_on']}; each due at the end of the month {plan['due_months_after']} "
            "month(s) after its period"
        )
    for r in view["reports"]:
        late = f" {r['days_late']} days late" if r["days_late"] else ""
        light = f" {r['traffic_light']}" if r["traffic_light"] else ""
        spent = f" spent {format_euros(r['spent_cents'])}" if r["spent_cents"] is not None else ""
        lines.append(
            f"  {r['label']:<8} {r['period_start']} - {r['period_end']}  due {r['due_on']}  "
            f"{r['status']}{late}{light}{spent}"
        )
        if r["measures"]:
            lines.append(f"           measures: {r['measures']}")
    for i in view["indicators"]:
        latest = i["values"][-1] if i["values"] else None
        now = f"{latest['value']} on {latest['measured_on']}" if latest else "not measured yet"
        done = f", {i['progress_percent']}% of the way" if i["progress_percent"] is not None else ""
        lines.append(
            f"  indicator {i['name']} ({i['unit']}): baseline {i['baseline']}, now {now}, "
            f"target {i['target']} by {i['target_date']}{done}"
        )
    return "\n".join(lines)
