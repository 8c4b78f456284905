"""Who hears of what: one row per (event, recipients), each naming its template.

Templates are notifications/templates/<language>/<template>.txt.j2 (first line `Subject: ...`)
and .html.j2; the recipient's language preference picks the folder.
"""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    event: str
    # applicant | programme_leader | table_chair | committee | chair | steering, or
    # reminded: the one person a reminder chases (see notifications/reminders.py)
    recipients: str
    template: str


RULES: tuple[Rule, ...] = (
    Rule("application_submitted", "applicant", "application_submitted"),
    Rule("application_submitted", "programme_leader", "application_submitted"),
    Rule("moved_to_innovation_table", "applicant", "moved_to_innovation_table"),
    Rule("moved_to_innovation_table", "table_chair", "moved_to_innovation_table"),
    Rule("referred_to_committee", "applicant", "referred_to_committee"),
    Rule("referred_to_committee", "chair", "referred_to_committee"),
    Rule("scoring_opened", "committee", "scoring_opened"),
    Rule("advice_ready", "steering", "advice_ready"),
    Rule("advice_ready", "programme_leader", "advice_ready"),
    Rule("decision_made", "applicant", "decision_made"),
    Rule("decision_made", "programme_leader", "decision_made"),
    # Reminders: before a deadline, once it passed, and the escalation after a delay.
    Rule("scoring_reminder", "reminded", "scoring_reminder"),
    Rule("scoring_overdue", "reminded", "scoring_overdue"),
    Rule("condition_due", "reminded", "condition_due"),
    Rule("condition_overdue", "reminded", "condition_overdue"),
    Rule("report_due", "reminded", "report_due"),
    Rule("report_overdue", "reminded", "report_overdue"),
    Rule("payment_due", "reminded", "payment_due"),
    Rule("payment_overdue", "reminded", "payment_overdue"),
    Rule("overdue_escalation", "programme_leader", "overdue_escalation"),
)

# Which move emits which event is declared on the road (workflow/definition.py, `events=`).
EVENTS = tuple(dict.fromkeys(rule.event for rule in RULES))


def rules_for(event: str) -> list[Rule]:
    return [rule for rule in RULES if rule.event == event]
