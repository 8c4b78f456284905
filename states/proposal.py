"""The full proposal (volledige aanvraag) that must exist before the assessment committee.

Not a stage of its own: its needs hold in every programme, so no programme can waive them.
Partners are added with `kracht app partner add`, indicators with `kracht app indicator add`.
"""

from states.base import Context, Field, Guard, Need, recorded
from workflow.roles import Role

STAGE = "proposal"
RECORDERS = (Role.PROGRAMME_LEADER, Role.APPLICANT)
FIELDS = (
    Field("proposal_summary", "text", "summary of the full proposal"),
    Field("budget_total", "money", "total project budget in euros (all sources)"),
)


def _co_financing_business(ctx: Context) -> bool:
    return any(p.o_type == "business" and p.co_financing for p in ctx.partners)


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
        Need("a requested amount above zero", lambda ctx: ctx.requested_cents > 0),
        Need("a requested amount no higher than the project budget", _within_budget),
        Need("at least one co-financing business", _co_financing_business),
        Need("SMART indicators (unit, baseline, target and target date)", _smart_indicators),
    ),
)
