"""The tables against the trail: every application rebuilt from its events alone agrees with its
rows after real work, and a value changed behind kracht's back is named by table, row and
column, with what each side holds."""

import datetime as dt

import sqlalchemy as sa

from kracht.storage.database import engine_for
from kracht.storage.tables import (
    Application,
    GrantAllocation,
    GrantCondition,
    ProgressReport,
    StageValue,
)
from kracht.workflow.services import auditing, progress_reports
from tests import factories as f
from tests.factories import make_application, run


def _checked(url):
    return run(url, f.AUDITOR, auditing.verify_against, [])


def _change(url, statement):
    with engine_for(url).begin() as connection:
        connection.execute(statement)


def test_the_tables_agree_with_the_trail_after_whole_lifecycles(any_world):
    make_application(any_world, stage="closed")
    make_application(any_world, stage="monitoring", title="Twents Huis van de Logistiek")
    make_application(any_world, stage="kracht_scoring", title="Mineral Valley Twente")

    checked = _checked(any_world.url)

    assert checked.disagreements == []
    assert checked.holds


def test_a_grant_amount_changed_in_its_table_is_named_with_table_and_row(any_world):
    app_id = make_application(any_world, stage="monitoring")
    with engine_for(any_world.url).connect() as connection:
        row_id, amount = connection.execute(
            sa.select(GrantAllocation.id, GrantAllocation.amount_cents).where(
                GrantAllocation.application_id == app_id
            )
        ).one()
    _change(
        any_world.url,
        sa.update(GrantAllocation)
        .where(GrantAllocation.id == row_id)
        .values(amount_cents=amount * 10),
    )

    checked = _checked(any_world.url)

    assert checked.verdict.intact  # the chain itself holds: only the table was changed
    assert not checked.holds
    assert [d.line() for d in checked.disagreements] == [
        f"grant_allocation row {row_id} (application {app_id}): amount_cents is "
        f"{amount * 10}, the trail says {amount}"
    ]


def test_a_state_a_stage_value_a_condition_and_a_report_changed_are_each_named(any_world):
    app_id = make_application(any_world, stage="monitoring")
    _change(any_world.url, sa.update(Application).where(Application.id == app_id).values(
        state="closed"))  # fmt: skip
    with engine_for(any_world.url).connect() as connection:
        field, value = connection.execute(
            sa.select(StageValue.field, StageValue.value)
            .where(StageValue.application_id == app_id)
            .order_by(StageValue.field)
        ).first()
    row = (StageValue.application_id == app_id) & (StageValue.field == field)
    _change(any_world.url, sa.update(StageValue).where(row).values(value="changed"))
    _change(any_world.url, sa.insert(GrantCondition).values(
        application_id=app_id, number=9, text="added afterwards", due_on=dt.date(2030, 1, 1),
        owner_id=1))  # fmt: skip

    lines = [d.line() for d in _checked(any_world.url).disagreements]

    assert f"application row {app_id}: state is 'closed', the trail says 'monitoring'" in lines
    assert (
        f"stage_value row (application {app_id}, field {field}): value is 'changed', the trail "
        f"says {value!r}"
    ) in lines
    assert any(
        line.startswith("grant_condition row ") and line.endswith(
            "not in the trail (written behind kracht's back)")
        for line in lines
    )  # fmt: skip
    assert len(lines) == 3


def test_a_submitted_report_changed_or_deleted_is_named(any_world):
    app_id = make_application(any_world, stage="monitoring")
    with engine_for(any_world.url).connect() as connection:
        report_id, label = connection.execute(
            sa.select(ProgressReport.id, ProgressReport.label)
            .where(ProgressReport.application_id == app_id)
            .order_by(ProgressReport.due_on)
        ).first()
    run(any_world.url, f.LEADER, progress_reports.submit, app_id, label, light="red",
        narrative="behind plan", spent="5000", measures="a second coach")  # fmt: skip
    _change(any_world.url, sa.update(ProgressReport).where(ProgressReport.id == report_id).values(
        traffic_light="green", spent_cents=1))  # fmt: skip

    lines = [d.line() for d in _checked(any_world.url).disagreements]

    where = f"progress_report row {report_id} (application {app_id}, {label})"
    assert lines == [
        f"{where}: spent_cents is 1, the trail says 500000",
        f"{where}: traffic_light is 'green', the trail says 'red'",
    ]
