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

from markupsafe import Markup, escape

from kracht.basics.names import BUDGET_KINDS, STAGES, Names

# STAGES (the states' names) and BUDGET_KINDS live in basics/names.py: the yearly documents
# (workflow/reports/) print them too, and may not import web/.

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
    "payment_due": ("betaling uitvoeren", "make a planned payment"),
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
    "scoring_opened_on": ("scoren geopend op", "scoring opened on"),
    "advice": ("gezamenlijk advies", "joint advice"),
    "advice_rationale": ("onderbouwing advies", "rationale of the advice"),
    "decided_on": ("besloten op", "decided on"),
    "granted": ("toegekend bedrag", "amount granted"),
    "budget_year": ("begrotingsjaar", "budget year"),
    "spread_until": ("gespreid tot en met", "spread until"),
    "budget_kind": ("budget", "budget"),
    "conditions": ("voorwaarden", "conditions"),
    "departure_rationale": ("reden van afwijken van het advies", "why it departs from the advice"),
    "deferred_on": ("uitgesteld op", "deferred on"),
    "deferred_until": ("uitgesteld tot", "deferred until"),
    "deferred_to_round": ("uitgesteld naar ronde", "deferred to round"),
    "final_report": ("eindrapportage", "final report"),
}

CHOICES: Names = {  # the values of the stage data's choice fields, besides the advice
    "aligned": ("afgestemd", "aligned"),
    "aligned_with_remarks": ("afgestemd met opmerkingen", "aligned with remarks"),
    "not_aligned": ("niet afgestemd", "not aligned"),
    **BUDGET_KINDS,
    **ADVICE,
}

RULES: Names = {  # the rules a programme period may declare not to apply yet (workflow/tracks.py)
    "co_financing_business": (
        "minstens één cofinancierend bedrijf",
        "at least one co-financing business",
    ),
    "smart_indicators": ("SMART-indicatoren", "SMART indicators"),
}

TABLES: dict[str, Names] = {
    "stage": STAGES,
    "rule": RULES,
    "move": MOVES,
    "role": ROLES,
    "task": TASKS,
    "advice": ADVICE,
    "outcome": OUTCOMES,
    "field": FIELDS,
    "choice": CHOICES,
}


NEEDS: Names = {  # what a guard may find missing (states/*.py Need labels), without figures
    "a quickscan of the idea": (
        "een quickscan (kansenscan) van het idee",
        "a quickscan of the idea",
    ),
    "an action line or programme line": (
        "een actielijn of programmalijn",
        "an action line or programme line",
    ),
    "the innovation-table date": ("de datum van de innovatietafel", "the innovation-table date"),
    "the innovation table's outcome": (
        "de uitkomst van de innovatietafel",
        "the innovation table's outcome",
    ),
    "an aligned table outcome (not not_aligned)": (
        "een uitkomst van de innovatietafel die afgestemd is (niet: niet afgestemd)",
        "an aligned table outcome (not not_aligned)",
    ),
    "an ecosystem-analysis summary": (
        "een samenvatting van de ecosysteemanalyse",
        "an ecosystem-analysis summary",
    ),
    "a full proposal (proposal_summary)": (
        "een volledig voorstel (samenvatting)",
        "a full proposal (proposal_summary)",
    ),
    "a project budget (budget_total)": (
        "een projectbegroting (totaal)",
        "a project budget (budget_total)",
    ),
    "a requested amount above zero (requested)": (
        "een gevraagd bedrag boven nul",
        "a requested amount above zero (requested)",
    ),
    "a requested amount no higher than the project budget": (
        "een gevraagd bedrag dat niet hoger is dan de projectbegroting",
        "a requested amount no higher than the project budget",
    ),
    "at least one co-financing business committing money, knowledge or time": (
        "ten minste één cofinancierend bedrijf dat geld, kennis of tijd inbrengt",
        "at least one co-financing business committing money, knowledge or time",
    ),
    "SMART indicators (unit, baseline, target and target date)": (
        "SMART-indicatoren (eenheid, nulmeting, doel en streefdatum)",
        "SMART indicators (unit, baseline, target and target date)",
    ),
    "a scoring deadline": ("een deadline voor de scores", "a scoring deadline"),
    "a scoring deadline that has not passed": (
        "een deadline voor de scores die nog niet verstreken is",
        "a scoring deadline that has not passed",
    ),
    "the minimum number of committee members without a conflict of interest": (
        "het minimumaantal commissieleden zonder belangenconflict",
        "the minimum number of committee members without a conflict of interest",
    ),
    "submitted score sheets from the quorum of members": (
        "ingediende scoreformulieren van het quorum van de leden",
        "submitted score sheets from the quorum of members",
    ),
    "the committee's joint advice": (
        "het gezamenlijke advies van de commissie",
        "the committee's joint advice",
    ),
    "the rationale of the joint advice": (
        "de motivering van het gezamenlijke advies",
        "the rationale of the joint advice",
    ),
    "a granted amount (granted)": ("een toegekend bedrag", "a granted amount (granted)"),
    "a granted amount above zero": (
        "een toegekend bedrag boven nul",
        "a granted amount above zero",
    ),
    "a granted amount no higher than the requested amount": (
        "een toegekend bedrag dat niet hoger is dan het gevraagde bedrag",
        "a granted amount no higher than the requested amount",
    ),
    "a spread_until no earlier than the budget_year": (
        "een laatste begrotingsjaar dat niet vóór het eerste begrotingsjaar ligt",
        "a spread_until no earlier than the budget_year",
    ),
    "a reason": ("een toelichting", "a reason"),
    "a rationale for departing from the committee's advice (departure_rationale)": (
        "een motivering voor het afwijken van het advies van de commissie",
        "a rationale for departing from the committee's advice (departure_rationale)",
    ),
    "the conditions": ("de voorwaarden", "the conditions"),
    "a date or round to defer to, given with this deferral (deferred_until or deferred_to_round, not both)": (
        "een datum of ronde waarnaar wordt uitgesteld, bij dit uitstel gegeven (een datum of een ronde, niet beide)",
        "a date or round to defer to, given with this deferral (deferred_until or deferred_to_round, not both)",
    ),
    "every condition met": ("alle voorwaarden vervuld", "every condition met"),
    "a final report": ("een eindrapportage", "a final report"),
    "every progress report due so far": (
        "alle voortgangsrapportages die tot nu toe verschuldigd zijn",
        "every progress report due so far",
    ),
    "a final value for every indicator": (
        "een eindwaarde voor elke indicator",
        "a final value for every indicator",
    ),
}


REFUSALS: Names = {  # each kind of refusal (basics/errors.py `kind`), as a page heads it
    "invalid-input": ("Deze invoer klopt niet", "A value breaks an input rule"),
    "not-found": ("Niet gevonden", "Not found"),
    "not-allowed": ("Dit kan nu niet", "Not allowed now"),
    "not-identified": ("Niet bekend wie dit doet", "Who is acting is not known"),
    "not-permitted": ("Dit mag u niet", "You may not do this"),
    "wrong-state": ("Dit kan niet in deze fase", "Not possible in this stage"),
    "workflow-version-mismatch": (
        "De aanvraag loopt onder een andere versie van het proces",
        "The application runs under another version of the road",
    ),
    "guard-refused": (
        "Deze stap kan nog niet: er ontbreekt nog iets",
        "This step cannot be taken yet: something is missing",
    ),
    "stale-version": (
        "Iemand anders heeft de aanvraag intussen gewijzigd: bekijk haar opnieuw",
        "Someone else changed the application meanwhile: look at it again",
    ),
    "sign-in-refused": ("Aanmelden is niet gelukt", "Signing in failed"),
    "locked-out": ("Te vaak mislukt aangemeld", "Too many failed sign-ins"),
    "too-many-attempts": ("Te veel pogingen", "Too many attempts"),
}


def refusal(error: object, language: str = "nl") -> str:
    """The heading of a refusal for a reader of `language`, by its kind; "" for an error of no
    known kind (the page then shows only its message)."""
    names = REFUSALS.get(str(getattr(error, "kind", "")))
    return "" if names is None else names[1] if language == "en" else names[0]


def need(missing: object, language: str = "nl") -> str:
    """What a guard found missing, for a reader of `language`: as the guard words it (with the
    application's figures) in English; in Dutch by the need's name, where it has one, followed
    by the guard's own words (marked English) where they carry the application's figures."""
    if language == "en" or missing is None:
        return "" if missing is None else str(missing)
    label = str(getattr(missing, "label", missing))
    names = NEEDS.get(label)
    if names is None:
        return str(missing)
    if str(missing) == label:
        return names[0]
    return (
        escape(names[0]) + Markup(' <span lang="en">(') + escape(str(missing)) + Markup(")</span>")
    )


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
