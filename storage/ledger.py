"""The tables the audit trail can be held against (workflow/agreement.py): each application's
own columns, stage data, grant allocations, conditions and submitted reports, one query each."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kracht.storage.tables import (
    Application,
    GrantAllocation,
    GrantCondition,
    ProgressReport,
    StageValue,
)


def tables(db: Session) -> dict[str, list[dict[str, Any]]]:
    """{table name: its rows, as dicts of the columns compared}, rows in id order."""

    def rows(*columns: Any) -> list[dict[str, Any]]:
        query = sa.select(*columns).order_by(*columns[:2])
        return [dict(r._mapping) for r in db.exec(query).all()]  # type: ignore[call-overload]

    return {
        "application": rows(
            Application.id, Application.title, Application.state,
            Application.previous_state, Application.requested_cents,
        ),
        "stage_value": rows(StageValue.application_id, StageValue.field, StageValue.value),
        "grant_allocation": rows(
            GrantAllocation.id, GrantAllocation.application_id, GrantAllocation.year,
            GrantAllocation.amount_cents,
        ),
        "grant_condition": rows(
            GrantCondition.id, GrantCondition.application_id, GrantCondition.number,
            GrantCondition.text, GrantCondition.due_on, GrantCondition.met_at,
            GrantCondition.evidence,
        ),
        "progress_report": rows(
            ProgressReport.id, ProgressReport.application_id, ProgressReport.label,
            ProgressReport.status, ProgressReport.spent_cents, ProgressReport.traffic_light,
            ProgressReport.received_on,
        ),
    }  # fmt: skip
