"""Human-readable text for the terminal, and reading stage data from TOML or JSON files."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from workflow.errors import InvalidInput
from workflow.money import format_euros


def load_values(path: Path) -> dict[str, object]:
    """Read NAME = VALUE stage data from a .toml or .json file (a flat table or object)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode())
    except (ValueError, tomllib.TOMLDecodeError) as error:
        kind = path.suffix.lstrip(".") or "TOML"
        raise InvalidInput(f"{path.name} is not valid {kind}: {error}") from None
    if not isinstance(data, dict) or any(isinstance(v, dict | list) for v in data.values()):
        raise InvalidInput(f"{path.name} must hold flat NAME = VALUE pairs")
    return data


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
    for stage, reason in record["not_applicable"].items():
        lines.append(f"  n/a          {stage}: {reason}")
    for stage, values in record["stage_data"].items():
        lines.append(f"  [{stage}]")
        for name, value in values.items():
            shown = format_euros(value) if name in ("granted", "budget_total") else value
            lines.append(f"    {name}: {shown}")
    if record["partners"]:
        lines.append("  partners")
        for p in record["partners"]:
            money = f" {format_euros(p['amount_cents'])}" if p["amount_cents"] else ""
            cofi = ", co-financing" if p["co_financing"] else ""
            lines.append(f"    {p['organisation']} ({p['type']}{cofi}; {p['commitment']}{money})")
    if record["indicators"]:
        lines.append("  indicators")
        for i in record["indicators"]:
            lines.append(
                f"    {i['name']}: {i['baseline']} -> {i['target']} {i['unit']} "
                f"by {i['target_date']}"
            )
    if record["next"]:
        lines.append("  next")
        for option in record["next"]:
            needs = "ready" if not option["missing"] else "needs " + "; ".join(option["missing"])
            lines.append(
                f"    {option['trigger']} -> {option['to']} [{', '.join(option['roles'])}]: {needs}"
            )
    return "\n".join(lines)
