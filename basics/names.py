"""The names people read for the road's states and the kinds of budget, in Dutch and English.

Each table maps an identifier to its (Dutch, English) name. web/labels.py shows them on the
pages; the programme's yearly documents (workflow/reports/) print them, so they live here, below
both. An identifier without a name is shown with spaces for its underscores (`name`).
"""

from __future__ import annotations

Names = dict[str, tuple[str, str]]

STAGES: Names = {  # the road's states, and the stages whose data an application keeps
    "idea": ("idee", "idea"),
    "innovation_table": ("innovatietafel", "innovation table"),
    "ecosystem_analysis": ("ecosysteemanalyse", "ecosystem analysis"),
    "proposal": ("volledig voorstel", "full proposal"),
    "assessment_committee": ("beoordelingscommissie", "assessment committee"),
    "kracht_scoring": ("KRACHT-scoring", "KRACHT scoring"),
    "steering_decision": ("besluit sturingscommissie", "steering committee decision"),
    "approved_with_conditions": ("toegekend onder voorwaarden", "approved with conditions"),
    "monitoring": ("monitoring", "monitoring"),
    "deferred": ("uitgesteld", "deferred"),
    "closed": ("afgesloten", "closed"),
    "rejected": ("afgewezen", "rejected"),
    "withdrawn": ("ingetrokken", "withdrawn"),
}

BUDGET_KINDS: Names = {  # workflow/services/budgets.py KINDS
    "projects": ("projectenbudget", "projects budget"),
    "development": ("ontwikkelbudget", "development budget"),
}


def name(table: Names, identifier: str | None, language: str) -> str:
    """The identifier's name in `language` (nl or en); unnamed: its underscores as spaces."""
    if identifier is None:
        return ""
    names = table.get(identifier)
    if names is None:
        return identifier.replace("_", " ")
    return names[0] if language == "nl" else names[1]
