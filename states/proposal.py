"""The full proposal (volledige aanvraag) that must exist before the assessment committee.

Not a stage of its own: its needs hold in every programme, so no programme can waive them.
Partners are added with `kracht app partner add`, indicators with `kracht app indicator add`.
`requested` is the application's own requested amount (set at `kracht app create`, recorded here
when it changes), not stage data: the guards and the steering decision read it from the record.
"""

from kracht.basics.roles import Role
from kracht.states.base import Context, Field, Guard, Need, recorded

STAGE = "proposal"
RECORDERS = (Role.PROGRAMME_LEADER, Role.APPLICANT)
FIELDS = (
    Field("proposal_summary", "text", "summary of the full proposal"),
    Field("budget_total", "money", "total project budget in euros (all sources)"),
    Field(
        "requested",
        "money",
        "amount requested from the programme in euros (the application's requested amount; "
        "fixed once the steering committee has decided)",
        column="requested_cents",
    ),
)


def _co_financing_business(ctx: Context) -> bool:
    return any(p.o_type == "business" and p.co_financing and p.commits() for p in ctx.partners)


CO_FINANCING = "at least one co-financing business committing money, knowledge or time"


def _co_financing_refusal(ctx: Context) -> str:
    """Name the co-financing businesses that commit nothing yet, if there are any."""
    empty = [
        f"{p.organisation} co-finances but commits "
        + ("time without hours" if p.commitment == "time" else p.commitment)
        for p in ctx.partners
        if p.o_type == "business" and p.co_financing and not p.commits()
    ]
    return f"{CO_FINANCING} ({'; '.join(empty)})" if empty else CO_FINANCING


def _smart_indicators(ctx: Context) -> bool:
    return bool(ctx.indicators) and all(
        i.unit and i.baseline and i.target and i.target_date for i in ctx.indicators
    )


def _within_budget(ctx: Context) -> bool:
    budget = ctx.data.get("budget_total")
    return budget is None or ctx.requested_cents <= budget


LEAVE = Guard(
    None,
    (
        recorded("proposal_summary", "a full proposal (proposal_summary)"),
        recorded("budget_total", "a project budget (budget_total)"),
        Need("a requested amount above zero (requested)", lambda ctx: ctx.requested_cents > 0),
        Need("a requested amount no higher than the project budget", _within_budget),
        Need(
            CO_FINANCING,
            _co_financing_business,
            _co_financing_refusal,
            rule="co_financing_business",
        ),  # from the 2020 strategy (seed 001 L261)
        Need(
            "SMART indicators (unit, baseline, target and target date)",
            _smart_indicators,
            rule="smart_indicators",
        ),  # AvT 2023-2027 (seed 000 L3373-3377)
    ),
)
