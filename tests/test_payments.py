"""Payments: a grant paid in parts, never beyond the grant or its budget year's part, approved
twice above the programme's amount, cancelled with a withdrawal, and counted as paid out in the
budgets, the annual report and the exports."""

import datetime as dt

import pytest

from kracht.basics.errors import InvalidInput, NotAllowed, NotFound
from kracht.basics.euros import parse_euros
from kracht.cli import main
from kracht.storage import clock
from kracht.workflow.config import default_document
from kracht.workflow.reports import documents as programme_reports
from kracht.workflow.services import (
    applications,
    budgets,
    decisions,
    directory,
    exports,
    notices,
    payments,
)
from tests import factories as f
from tests.factories import THIS_YEAR, make_application, run
from tests.test_reports import md_table

TODAY = clock.today().isoformat()


def _request(world, app_id, amount, kind="tranche", who=f.LEADER, **kw):
    return run(world.url, who, payments.request, app_id, amount, kind=kind, **kw)["payment"]


def _pay(world, app_id, amount, kind="tranche", **kw):
    """Request, approve and pay a payment below the second-approval amount."""
    made = _request(world, app_id, amount, kind, **kw)
    run(world.url, f.LEADER, payments.approve, made["id"])
    return run(world.url, f.LEADER, payments.mark_paid, made["id"], TODAY)["payment"]


def _paid_out(world, line="(all lines)", year=THIS_YEAR):
    rows = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018, year)["budgets"]
    return next(r for r in rows if r["line"] == line)


def _actions(world, app_id):
    events = run(world.url, f.LEADER, applications.history, app_id)
    return [(e["action"], e["outcome"]) for e in events if e["action"].startswith("payment.")]


def _configure(world, above):
    document = {**default_document(), "money": {"second_approval_above": above}}
    run(world.url, f.LEADER, directory.configure_programme, f.AVT_2018, document=document)


def test_partial_payments_add_up_to_the_grant_and_not_a_cent_more(any_world):
    world = any_world
    app_id = make_application(world, "monitoring")  # granted EUR 64,389

    advance = _pay(world, app_id, "20000", "advance")
    tranche = _pay(world, app_id, "30000.50")
    last = _request(world, app_id, "14388.50")  # requested, not paid: still holds its part

    with pytest.raises(NotAllowed) as refused:
        _request(world, app_id, "0.01")
    assert str(refused.value) == (
        f"EUR 0.01 is beyond what remains of the grant of application {app_id}: of its "
        "EUR 64,389.00, EUR 64,389.00 is requested or paid already, so at most EUR 0.00 may "
        "still be requested"
    )
    assert (advance["number"], tranche["number"], last["number"]) == (1, 2, 3)
    assert (advance["status"], advance["paid_on"], advance["year"]) == ("paid", TODAY, THIS_YEAR)
    pool = _paid_out(world)
    assert pool["paid_out_cents"] == 2000000 + 3000050
    assert [d["paid_out_cents"] for d in pool["lines"] if d["line"] == "talent"] == [5000050]
    assert pool["available_cents"] == parse_euros(f.POOL) - 6438900  # paying moves no budget
    [year] = run(world.url, f.LEADER, payments.grant_paid, app_id)
    assert year == {"year": THIS_YEAR, "granted_cents": 6438900, "paid_cents": 5000050,
                    "open_cents": 1438850, "left_cents": 0}  # fmt: skip
    assert _actions(world, app_id) == [
        ("payment.request", "ok"), ("payment.approve", "ok"), ("payment.paid", "ok"),
        ("payment.request", "ok"), ("payment.approve", "ok"), ("payment.paid", "ok"),
        ("payment.request", "ok"), ("payment.request", "refused"),
    ]  # fmt: skip

    run(world.url, f.LEADER, payments.cancel, last["id"], "the report came in late")
    assert _request(world, app_id, "14388.50")["number"] == 4  # cancelled: its part is free


def test_a_payment_is_paid_from_one_budget_year_and_never_beyond_its_part(any_world):
    world = any_world
    run(world.url, f.LEADER, budgets.set_budget, programme=f.AVT_2018, year=THIS_YEAR + 1,
        amount=f.POOL)  # fmt: skip
    app_id = make_application(world, "steering_decision", requested="100000")
    run(world.url, f.STEERING, decisions.decide, app_id, "approve", reason="sound",
        amount="100000", spread_until=THIS_YEAR + 1)  # fmt: skip

    first = _request(world, app_id, "30000", year=THIS_YEAR)
    with pytest.raises(NotAllowed) as refused:
        _request(world, app_id, "20000.01", year=THIS_YEAR)
    default = _request(world, app_id, "40000")  # the earliest year with room: the next
    with pytest.raises(NotAllowed) as too_big:
        _request(world, app_id, "20000.01")  # 30,000 left, but no year holds it whole
    with pytest.raises(InvalidInput) as no_part:
        _request(world, app_id, "1", year=THIS_YEAR + 2)

    assert (first["year"], default["year"]) == (THIS_YEAR, THIS_YEAR + 1)
    assert str(refused.value) == (
        f"EUR 20,000.01 is beyond the grant's part for {THIS_YEAR}: of its EUR 50,000.00 for "
        f"that year, at most EUR 20,000.00 may still be requested (left per year {THIS_YEAR} "
        f"EUR 20,000.00, {THIS_YEAR + 1} EUR 50,000.00)"
    )
    assert str(too_big.value).startswith(
        f"no budget year of the grant of application {app_id} holds EUR 20,000.01: left per "
        f"year {THIS_YEAR} EUR 20,000.00, {THIS_YEAR + 1} EUR 10,000.00"
    )
    assert no_part.value.field == "year"
    run(world.url, f.LEADER, payments.approve, default["id"])
    run(world.url, f.LEADER, payments.mark_paid, default["id"], TODAY)
    assert _paid_out(world, year=THIS_YEAR + 1)["paid_out_cents"] == 4000000
    assert _paid_out(world)["paid_out_cents"] == 0  # the first is requested, not paid


def test_above_the_programmes_amount_a_second_person_approves(any_world):
    world = any_world
    _configure(world, 30000)
    app_id = make_application(world, "monitoring")
    run(world.url, f.LEADER, directory.add_person, name="Second Leader",
        email="second.leader@example.org", roles=["programme_leader"])  # fmt: skip
    big = _request(world, app_id, "30000.01")
    at_the_amount = _request(world, app_id, "30000")

    first = run(world.url, f.LEADER, payments.approve, big["id"])["payment"]
    with pytest.raises(NotAllowed) as twice:
        run(world.url, f.LEADER, payments.approve, big["id"])
    with pytest.raises(NotAllowed):  # paid before it has every approval
        run(world.url, f.LEADER, payments.mark_paid, big["id"], TODAY)
    second = run(world.url, f.STEERING, payments.approve, big["id"])["payment"]
    one = run(world.url, f.LEADER, payments.approve, at_the_amount["id"])["payment"]

    assert (first["status"], first["waits_for"]) == ("requested", "second approval")
    assert str(twice.value) == (
        f"payment {big['id']} of EUR 30,000.01 needs a second approval by another person than "
        f"{f.LEADER}, who approved it first"
    )
    assert (second["status"], second["second_by"], second["waits_for"]) == (
        "approved", f.STEERING, "payment")  # fmt: skip
    assert (one["status"], one["second_by"]) == ("approved", None)  # not above: one approval
    with pytest.raises(NotAllowed):  # a steering member gives no first approval
        run(world.url, f.STEERING, payments.approve, _request(world, app_id, "1")["id"])
    fourth = _request(world, app_id, "4000")
    run(world.url, "second.leader@example.org", payments.approve, fourth["id"])
    assert _actions(world, app_id).count(("payment.approve", "refused")) == 2


def test_the_second_approval_amount_is_checked_when_configured(world):
    document = {**default_document(), "money": {"second_approval_above": "lots"}}
    with pytest.raises(InvalidInput) as refused:
        run(world.url, f.LEADER, directory.configure_programme, f.AVT_2018, document=document)
    assert "money.second_approval_above must be an amount in euros (e.g. 100000), not 'lots'" in (
        str(refused.value)
    )


def test_withdrawing_a_project_cancels_its_open_payments_and_keeps_what_was_paid(any_world):
    world = any_world
    app_id = make_application(world, "monitoring")
    paid = _pay(world, app_id, "10000", "advance")
    approved = _request(world, app_id, "5000")
    run(world.url, f.LEADER, payments.approve, approved["id"])
    planned = (clock.today() + dt.timedelta(days=40)).isoformat()
    requested = _request(world, app_id, "6000", planned_on=planned)

    moved = world.fire(app_id, "withdraw", reason="the partners stopped")

    rows = {r["id"]: r for r in run(world.url, f.LEADER, payments.list_payments, app_id)}
    assert moved["effects"]["payments_cancelled"] == [approved["id"], requested["id"]]
    assert rows[paid["id"]]["status"] == "paid"
    assert [(rows[p["id"]]["status"], rows[p["id"]]["reason"]) for p in (approved, requested)] == [
        ("cancelled", "the project was withdrawn")] * 2  # fmt: skip
    reminders = run(world.url, f.LEADER, notices.reminders_list, None, None, True)
    assert [r["status"] for r in reminders if r["kind"] == "payment_due"] == ["cancelled"]
    assert _paid_out(world)["paid_out_cents"] == 1000000
    with pytest.raises(NotAllowed):
        _request(world, app_id, "1")


def test_which_payments_a_state_allows(any_world):
    world = any_world
    conditional = make_application(world, "approved_with_conditions")
    with pytest.raises(NotAllowed) as tranche:
        _request(world, conditional, "1000")
    advance = _request(world, conditional, "1000", "advance")
    closed = make_application(world, "closed", title="Closed project")
    with pytest.raises(NotAllowed):
        _request(world, closed, "1000")
    final = _request(world, closed, "64389", "final")
    monitoring = make_application(world, "monitoring", title="Running project")
    with pytest.raises(NotAllowed) as early:
        _request(world, monitoring, "1000", "final")

    assert str(tranche.value) == (
        f"application {conditional} is approved_with_conditions; a tranche is paid once the "
        "project is in monitoring, its conditions met"
    )
    assert (advance["kind"], final["kind"]) == ("advance", "final")
    assert str(early.value).endswith("the final settlement is paid after close-out")
    with pytest.raises(NotAllowed):  # no grant at all
        _request(world, make_application(world, "rejected", title="Rejected"), "1", "final")


def test_a_planned_payment_is_chased_until_it_is_paid(world):
    planned = (clock.today() + dt.timedelta(days=20)).isoformat()
    app_id = make_application(world, "monitoring")
    made = _request(world, app_id, "1000", planned_on=planned, reference="report 2019-Q1")

    before = run(world.url, f.LEADER, notices.reminders_list, None, None, True)
    run(world.url, f.LEADER, payments.approve, made["id"])
    run(world.url, f.LEADER, payments.mark_paid, made["id"], TODAY)
    after = run(world.url, f.LEADER, notices.reminders_list, None, None, True)

    [chased] = [r for r in before if r["kind"] == "payment_due"]
    assert (chased["recipient"], chased["due"], chased["status"]) == (f.LEADER, planned,
                                                                      "pending")  # fmt: skip
    assert [r["status"] for r in after if r["kind"] == "payment_due"] == ["done"]
    assert made["planned_on"] == planned
    assert made["reference"] == "report 2019-Q1"


def test_paid_out_shows_in_the_annual_report_and_the_exports(any_world, tmp_path):
    world = any_world
    app_id = make_application(world, "monitoring")
    _pay(world, app_id, "20000", "advance")
    _request(world, app_id, "1000")  # not paid: not paid out

    run(world.url, f.AUDITOR, programme_reports.write, "annual", THIS_YEAR, tmp_path)
    md = (tmp_path / f"annual-report-{THIS_YEAR}.md").read_text()
    total = next(r for r in md_table(md, "Money per line and year") if r[0] == f"Total {THIS_YEAR}")
    summary = {r[0]: r[1] for r in md_table(md, "Summary")}
    decided = run(world.url, f.LEADER, exports.rows, "decisions")
    apps = run(world.url, f.LEADER, exports.rows, "applications")
    paid_rows = run(world.url, f.LEADER, exports.rows, "payments")
    text, count = run(world.url, f.LEADER, exports.export, "payments", "csv")

    assert parse_euros(total[7]) == 2000000  # budget, committed, reserved, paid out, available
    assert parse_euros(summary[f"Paid out from the {THIS_YEAR} budgets"]) == 2000000
    assert [d["paid_cents"] for d in decided if d["application_id"] == app_id] == [2000000]
    assert [a["paid_cents"] for a in apps if a["id"] == app_id] == [2000000]
    assert [(p["status"], p["amount_cents"]) for p in paid_rows] == [
        ("paid", 2000000),
        ("requested", 100000),
    ]
    assert count == 2
    assert text.splitlines()[0].startswith("id,application_id,title,programme,")


def test_an_applicant_sees_only_their_own_payments(world):
    app_id = make_application(world, "monitoring")
    _request(world, app_id, "1000")
    other = make_application(world, "monitoring", title="Other", applicant=f.OTHER_APPLICANT)
    _request(world, other, "1000")

    mine = run(world.url, f.APPLICANT, payments.list_payments)
    assert [r["application_id"] for r in mine] == [app_id]
    with pytest.raises(NotAllowed):
        _request(world, app_id, "1", who=f.APPLICANT)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["request", "{app}", "€ -5", "--kind", "tranche"],
         "the amount (AMOUNT) must not be negative (got '€ -5')"),
        (["request", "{app}", "0,001", "--kind", "tranche"], "the amount (AMOUNT)"),
        (["request", "{app}", "0", "--kind", "tranche"], "the amount (AMOUNT) must be above zero"),
        (["request", "{app}", "100", "--kind", "gift"],
         "payment kind (--kind) 'gift' is not one of advance, tranche, final"),
        (["request", "{app}", "100", "--kind", "tranche", "--planned", "soon"],
         "planned on (--planned DATE): 'soon' is not a date (use YYYY-MM-DD)"),
        (["paid", "{payment}", "--on", "{tomorrow}"], "paid on (--on DATE): {tomorrow} lies in "
         "the future (today is {today}); give the day the payment was paid"),
        (["paid", "{payment}", "--on", "2001-01-01"], "paid on (--on DATE): 2001-01-01 lies "
         "before the decision that granted the money, on {today}"),
        (["approve", "99999"], "no payment 99999; `kracht payment list` shows every payment"),
        (["cancel", "{payment}", "--reason", " "], "give a reason (--reason)"),
        (["list", "--status", "lost"],
         "payment status (--status) 'lost' is not one of requested, approved, paid, cancelled, "
         "refused"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_what_to_fix(world, capsys, args, line):
    app_id = make_application(world, "monitoring")
    made = _request(world, app_id, "100")
    run(world.url, f.LEADER, payments.approve, made["id"])
    today = clock.today()
    facts = {"app": app_id, "payment": made["id"], "today": today.isoformat(),
             "tomorrow": (today + dt.timedelta(days=1)).isoformat()}  # fmt: skip
    capsys.readouterr()

    code = main(["--db", world.url, "--as", f.LEADER, "payment",
                 *(a.format(**facts) for a in args)])  # fmt: skip

    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert line.format(**facts) in err


def test_the_cli_takes_a_payment_through_its_steps(world, capsys):
    app_id = make_application(world, "monitoring")

    def kracht(*args):
        assert main(["--db", world.url, "--as", f.LEADER, "payment", *args]) == 0
        return capsys.readouterr().out

    capsys.readouterr()
    requested = kracht("request", str(app_id), "20.000,50", "--kind", "advance")
    payment_id = requested.split()[1]
    approved = kracht("approve", payment_id)
    paid = kracht("paid", payment_id, "--on", TODAY)
    listed = kracht("list", "--application", str(app_id))

    assert requested == (
        f"payment {payment_id} (advance 1 of application {app_id}, EUR 20,000.50 from "
        f"{THIS_YEAR}) requested; waits for first approval\n"
    )
    assert approved.endswith("approved; waits for payment\n")
    assert paid.endswith(f"paid on {TODAY}\n")
    assert (
        f"{THIS_YEAR}: granted EUR 64,389.00, paid EUR 20,000.50, open EUR 0.00, left to "
        "request EUR 44,388.50"
    ) in listed
    with pytest.raises(NotFound):
        run(world.url, f.LEADER, payments.cancel, 10**6, "no such payment")
