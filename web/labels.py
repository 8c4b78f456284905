"""The names people read for the road's identifiers, in Dutch and English: states and stages,
moves (triggers), roles, task kinds, advice values, decision outcomes, stage-data fields and
their choices. The pages show these instead of the identifiers (`stage`, `move`, `role`, ...
filters in web/views.py); an identifier without a name here is shown with spaces for its
underscores, never refused. tests/test_web_labels.py checks that every state, stage, trigger,
role, task kind, advice, outcome and field of the road has a name in both languages.

Each table maps an identifier to its (Dutch, English) name. The Dutch words are those of the
programme's own documents: innovatietafel, ecosysteemanalyse, beoordelingscommissie,
KRACHT-criteria, sturingscommissie, toekennen (onder voorwaarden), kansenscan.
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

MOVES: Names = {  # the road's triggers, as the step a person takes
    "present_at_table": ("Naar de innovatietafel", "Present at the innovation table"),
    "start_ecosystem_analysis": ("Ecosysteemanalyse starten", "Start the ecosystem analysis"),
    "refer_to_committee": ("Naar de beoordelingscommissie", "Refer to the assessment committee"),
    "open_scoring": ("KRACHT-scoring openen", "Open the KRACHT scoring"),
    "submit_advice": ("Advies uitbrengen", "Give the joint advice"),
    "approve": ("Toekennen", "Approve"),
    "approve_with_conditions": ("Toekennen onder voorwaarden", "Approve with conditions"),
    "reject": ("Afwijzen", "Reject"),
    "defer": ("Uitstellen", "Defer"),
    "resume": ("Hervatten", "Resume"),
    "return_for_rework": ("Terug voor herwerking", "Return for rework"),
    "conditions_met": ("Voorwaarden vervuld", "Conditions met"),
    "withdraw": ("Intrekken", "Withdraw"),
    "close": ("Afsluiten", "Close"),
}

ROLES: Names = {
    "programme_leader": ("programmaleider", "programme leader"),
    "innovation_table_chair": ("voorzitter innovatietafel", "innovation table chair"),
    "committee_member": ("lid beoordelingscommissie", "assessment committee member"),
    "committee_chair": ("voorzitter beoordelingscommissie", "assessment committee chair"),
    "steering_member": ("lid sturingscommissie", "steering committee member"),
    "auditor": ("auditor", "auditor"),
    "applicant": ("aanvrager", "applicant"),
}

TASKS: Names = {  # the kinds of deadline that wait for someone (notifications/reminders.py)
    "scoring_deadline": ("KRACHT-scores inleveren", "submit your KRACHT scores"),
    "condition_due": ("voorwaarde vervullen", "meet a condition"),
    "report_due": ("voortgangsrapportage inleveren", "submit a progress report"),
}

ADVICE: Names = {  # the committee's joint advice (states/kracht_scoring.py)
    "positive": ("positief", "positive"),
    "positive_with_conditions": ("positief onder voorwaarden", "positive with conditions"),
    "negative": ("negatief", "negative"),
}

OUTCOMES: Names = {  # what the steering committee decided (workflow/services/decisions.py)
    "approve": ("toegekend", "approved"),
    "approve_with_conditions": ("toegekend onder voorwaarden", "approved with conditions"),
    "reject": ("afgewezen", "rejected"),
    "defer": ("uitgesteld", "deferred"),
}

FIELDS: Names = {  # stage data (states/*.py FIELDS)
    "quickscan": ("quickscan (kansenscan)", "quick scan (opportunity scan)"),
    "entrepreneur_test": ("toetsing bij ondernemers", "testing with entrepreneurs"),
    "table_date": ("datum innovatietafel", "innovation table date"),
    "table_outcome": ("uitkomst afstemming", "outcome of alignment"),
    "table_remarks": ("opmerkingen van de tafel", "remarks of the table"),
    "ecosystem_summary": ("samenvatting ecosysteemanalyse", "ecosystem analysis summary"),
    "ecosystem_reference": ("gedeelde analyse", "shared analysis"),
    "proposal_summary": ("samenvatting voorstel", "proposal summary"),
    "budget_total": ("totale projectbegroting", "total project budget"),
    "requested": ("gevraagde bijdrage", "requested contribution"),
    "scoring_deadline": ("scoren uiterlijk", "score by"),
    "advice": ("gezamenlijk advies", "joint advice"),
    "advice_rationale": ("onderbouwing advies", "rationale of the advice"),
    "granted": ("toegekend bedrag", "amount granted"),
    "budget_year": ("begrotingsjaar", "budget year"),
    "spread_until": ("gespreid tot en met", "spread until"),
    "budget_kind": ("budget", "budget"),
    "conditions": ("voorwaarden", "conditions"),
    "departure_rationale": ("reden van afwijken van het advies", "why it departs from the advice"),
    "deferred_until": ("uitgesteld tot", "deferred until"),
    "deferred_to_round": ("uitgesteld naar ronde", "deferred to round"),
    "final_report": ("eindrapportage", "final report"),
}

CHOICES: Names = {  # the values of the stage data's choice fields, besides the advice
    "aligned": ("afgestemd", "aligned"),
    "aligned_with_remarks": ("afgestemd met opmerkingen", "aligned with remarks"),
    "not_aligned": ("niet afgestemd", "not aligned"),
    "projects": ("projectenbudget", "projects budget"),
    "development": ("ontwikkelbudget", "development budget"),
    **ADVICE,
}

TABLES: dict[str, Names] = {
    "stage": STAGES,
    "move": MOVES,
    "role": ROLES,
    "task": TASKS,
    "advice": ADVICE,
    "outcome": OUTCOMES,
    "field": FIELDS,
    "choice": CHOICES,
}


def spaced(identifier: object) -> str:
    """An identifier as words: its underscores as spaces (for what has no name here)."""
    return "" if identifier is None else str(identifier).replace("_", " ")


def name(table: str, identifier: object, language: str = "nl") -> str:
    """The name of `identifier` in `table` for a reader of `language` (Dutch unless English);
    the identifier with spaces where the table has no name for it."""
    names = TABLES[table].get(str(identifier)) if identifier is not None else None
    if names is None:
        return spaced(identifier)
    return names[1] if language == "en" else names[0]


def value(shown: object, language: str = "nl") -> object:
    """A stage-data value as shown: a choice (e.g. an advice) by its name, anything else as is."""
    if isinstance(shown, str) and shown in CHOICES:
        return name("choice", shown, language)
    return shown
