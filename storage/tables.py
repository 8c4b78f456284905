"""The tables. Money is integer euro cents (64-bit); times are UTC; dates are dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kracht.storage import clock


class Cents(sa.TypeDecorator[int]):
    """Euro cents in a 64-bit integer. Sums come back as int, also where PostgreSQL widens a
    sum of bigints to numeric (which its driver returns as Decimal)."""

    impl = sa.BigInteger
    cache_ok = True

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> int | None:
        return None if value is None else int(value)


class Stored:
    """A table whose rows get their id when written: `pk` is that id, refused on a row not
    written yet (where `id` is still None), so a missing id is never taken for 0."""

    id: int | None

    @property
    def pk(self) -> int:
        if self.id is None:
            raise RuntimeError(f"this {type(self).__name__} has no id yet: it is not written")
        return self.id


def _json(nullable: bool = False) -> Any:
    return Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=nullable))


def _time() -> Any:
    return Field(default_factory=clock.now, sa_column=sa.Column(sa.DateTime(timezone=True)))


class Organisation(Stored, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    o_type: str  # one of the four O's: business, education, research, government
    created_at: dt.datetime = _time()
    email: str | None = None  # its contact address: messages for its applicants reach it
    # when the organisation has nobody with the applicant role (the documents name organisations)
    kvk: str | None = None  # its Chamber of Commerce (KvK) number, 8 digits, where known


class Person(Stored, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    email: str = Field(unique=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    language: str = "nl"
    created_at: dt.datetime = _time()


class PersonRole(SQLModel, table=True):
    __tablename__ = "person_role"
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    role: str = Field(primary_key=True)


class Programme(Stored, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    not_applicable: dict[str, str] = _json()  # stage -> reason it does not apply


class ProgrammeLine(Stored, SQLModel, table=True):
    __tablename__ = "programme_line"
    __table_args__ = (sa.UniqueConstraint("programme_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    code: str
    name: str


class Application(Stored, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    description: str = ""
    programme_id: int = Field(foreign_key="programme.id")
    line_id: int | None = Field(default=None, foreign_key="programme_line.id")
    applicant_org_id: int = Field(foreign_key="organisation.id")
    requested_cents: int = Field(default=0, sa_type=Cents)
    round: str | None = None
    submitted_on: dt.date | None = None
    state: str = Field(index=True)
    previous_state: str | None = None
    workflow_version: int
    version: int = 1  # optimistic lock: every write checks and bumps it
    created_at: dt.datetime = _time()
    updated_at: dt.datetime = _time()


class ApplicationPartner(Stored, SQLModel, table=True):
    __tablename__ = "application_partner"
    __table_args__ = (sa.UniqueConstraint("application_id", "organisation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    co_financing: bool = False
    commitment: str = "none"  # money | knowledge | time | none
    amount_cents: int | None = Field(default=None, sa_type=Cents)
    hours: int | None = None
    # where money comes from: private, municipal, provincial, national, eu, other; None: unknown
    source: str | None = None


class Indicator(Stored, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    name: str
    unit: str
    baseline: str  # decimal as text: exact, never float
    target: str
    target_date: dt.date | None = None
    source: str = ""


class StageValue(SQLModel, table=True):
    """One recorded piece of stage data; field names are unique across stages."""

    __tablename__ = "stage_value"
    application_id: int = Field(foreign_key="application.id", primary_key=True)
    field: str = Field(primary_key=True)
    section: str
    value: Any = Field(sa_column=sa.Column(sa.JSON, nullable=True))
    recorded_at: dt.datetime = _time()
    recorded_by: str


class AuditEvent(Stored, SQLModel, table=True):
    """Append-only: the database refuses UPDATE and DELETE (see the migration's triggers)."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    actor: str  # e-mail address of the person who acted (or tried to)
    roles: str  # the roles the actor held, comma-separated
    application_id: int | None = Field(default=None, index=True)
    action: str  # e.g. fire, record, create, person.add
    trigger: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    outcome: str = "ok"  # ok | refused
    reason: str | None = None
    payload: dict[str, Any] = _json()
    prev_hash: str
    hash: str = Field(unique=True)
    format: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # storage.audit_format
    body: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))  # format 2 on


class AuditHead(SQLModel, table=True):
    """One row: the chain's last position, the format it is written in and the Merkle tree's
    frontier (storage.audit_chain). Appenders lock it, so the chain never forks."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str
    format: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    frontier: str = Field(default="", sa_column_kwargs={"server_default": ""})


class AuditNode(SQLModel, table=True):
    """The Merkle tree over the trail (storage.merkle): the root of the perfect subtree over
    leaves idx * 2**level to (idx + 1) * 2**level, level 0 being the events themselves.
    Append-only, as the events are."""

    __tablename__ = "audit_node"
    level: int = Field(primary_key=True)
    idx: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True))
    hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


# -- the assessment committee (issue 4) ---------------------------------------------------------


class ProgrammeConfig(Stored, SQLModel, table=True):
    """A programme's configuration document; the newest row is in force, older rows stay."""

    __tablename__ = "programme_config"
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    version: str
    document: dict[str, Any] = _json()
    created_at: dt.datetime = _time()
    created_by: str


class CommitteeAssignment(Stored, SQLModel, table=True):
    __tablename__ = "committee_assignment"
    __table_args__ = (sa.UniqueConstraint("application_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    assigned_at: dt.datetime = _time()
    assigned_by: str
    declaration: str | None = None  # none | conflict, declared by the member
    declared_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    recused: bool = False
    recusal_reason: str | None = None


class ScoringRound(Stored, SQLModel, table=True):
    """Opened when scoring opens; keeps the criteria it was opened with, whatever changes later."""

    __tablename__ = "scoring_round"
    __table_args__ = (sa.UniqueConstraint("application_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    number: int
    opened_at: dt.datetime = _time()
    opened_by: str
    deadline: dt.date
    config_version: str
    scoring: dict[str, Any] = _json()


class ScoreSheet(Stored, SQLModel, table=True):
    __tablename__ = "score_sheet"
    __table_args__ = (sa.UniqueConstraint("round_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="scoring_round.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    submitted_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )


class Score(Stored, SQLModel, table=True):
    """One member's score on one criterion; a correction adds a revision and keeps the old one."""

    __table_args__ = (sa.UniqueConstraint("sheet_id", "criterion", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(foreign_key="score_sheet.id", index=True)
    criterion: str
    value: int
    motivation: str
    revision: int = 0
    reason: str | None = None  # why a submitted score was corrected
    recorded_at: dt.datetime = _time()


# -- steering decisions and money (issue 5) -----------------------------------------------------


class Budget(Stored, SQLModel, table=True):
    """Money available to a programme in one year: for one line, or (line_id NULL) for every
    line without a budget of its own. Kind: projects, or the development budget."""

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    line_id: int | None = Field(default=None, foreign_key="programme_line.id")
    year: int
    kind: str = "projects"  # projects | development
    amount_cents: int = Field(sa_type=Cents)
    basis: str = ""  # how the amount was set, e.g. "506,667 inhabitants x EUR 7.50"
    set_by: str
    set_at: dt.datetime = _time()


class GrantAllocation(Stored, SQLModel, table=True):
    """The part of a grant charged to one budget in one year. Counted as committed or reserved
    by the application's state, so a withdrawn grant frees its money without rewriting this."""

    __tablename__ = "grant_allocation"
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    budget_id: int = Field(foreign_key="budget.id", index=True)
    year: int
    amount_cents: int = Field(sa_type=Cents)


class Payment(Stored, SQLModel, table=True):
    """A part of a grant paid out: requested by a programme leader against one budget year of
    the grant (`year`, its grant_allocation's), approved (a second time, by someone else, above
    the programme's `money.second_approval_above`), then paid on `paid_on`; or cancelled or
    refused with a reason. `planned_on` is the day it is planned for (the payment schedule).
    Counted in `paid out` only once paid; while requested or approved it holds its part of the
    grant, so requests together can never exceed it."""

    __table_args__ = (sa.UniqueConstraint("application_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    number: int  # 1, 2, ... within the application
    kind: str  # advance | tranche | final
    amount_cents: int = Field(sa_type=Cents)
    year: int  # the budget year it is paid from: the grant's allocation of that year
    planned_on: dt.date | None = None
    status: str = Field(default="requested", index=True)
    # requested | approved | paid | cancelled | refused
    requested_by: str
    requested_at: dt.datetime = _time()
    approved_by: str | None = None  # the first approval
    approved_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    second_by: str | None = None  # the second approval, above the programme's amount
    second_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    paid_on: dt.date | None = None
    reference: str | None = None  # what the request says it pays for (a milestone, a report)
    ended_by: str | None = None  # who cancelled or refused it
    reason: str | None = None  # why it was cancelled or refused


class GrantCondition(Stored, SQLModel, table=True):
    __tablename__ = "grant_condition"
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    number: int  # 1, 2, ... within the application
    text: str
    due_on: dt.date
    owner_id: int = Field(foreign_key="person.id")
    met_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    met_by: str | None = None
    evidence: str | None = None


class DecisionLetter(Stored, SQLModel, table=True):
    """The letter a decision produced, as rendered then, in each language."""

    __tablename__ = "decision_letter"
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    trigger: str
    language: str
    text: str
    created_at: dt.datetime = _time()


# -- notifications (issue 6) --------------------------------------------------------------------


class OutboxMessage(Stored, SQLModel, table=True):
    """A message written in the same transaction as the event that causes it, sent later.

    `key` makes the message idempotent: the same event never enqueues it twice, and every send
    attempt carries the same Message-ID, so a crash between sending and marking it sent cannot
    produce a second distinct message.
    """

    __tablename__ = "outbox_message"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    message_id: str = Field(unique=True)  # RFC 5322 Message-ID, derived from the key
    event: str
    application_id: int | None = Field(default=None, index=True)
    recipient: str
    language: str
    subject: str
    text: str
    html: str
    status: str = Field(default="pending", index=True)  # pending | sending | sent | dead
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(
        default_factory=clock.now, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    claimed_until: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    last_error: str | None = None
    created_at: dt.datetime = _time()
    sent_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )


class Reminder(Stored, SQLModel, table=True):
    """A deadline someone must meet, chased by the scheduler until it is met.

    It moves pending -> reminded (at `remind_at`, a reminder to the recipient) -> overdue (at
    `due_at`, an overdue notice) -> escalated (at `escalate_at`, a notice to the programme
    leader), and ends `done` once its obligation is met or `cancelled` once it no longer applies.
    `next_at` is when the scheduler acts next; each step is a conditional update of `status`, so
    two schedulers can never both take it. `key` names the cause: an event cannot create the
    same reminder twice.
    """

    __tablename__ = "reminder"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str  # scoring_deadline | condition_due | report_due | payment_due
    application_id: int | None = Field(default=None, index=True)
    recipient: str  # e-mail address of who must act
    subject_ref: str  # what it is about, e.g. "condition:7" or "report:3"
    facts: dict[str, Any] = _json()  # what the messages say (titles, texts)
    due_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    remind_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    escalate_at: dt.datetime = Field(
        sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    status: str = Field(default="pending", index=True)
    next_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True, index=True)
    )
    created_at: dt.datetime = _time()
    closed_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )


# -- monitoring (issue 7) -----------------------------------------------------------------------


class ReportSchedule(SQLModel, table=True):
    """How a project in monitoring reports: every `every_months` months from `starts_on` to the
    period containing `ends_on` (workflow/schedule.py). Replanning rewrites it, audited."""

    __tablename__ = "report_schedule"
    application_id: int = Field(foreign_key="application.id", primary_key=True)
    every_months: int
    due_months_after: int
    starts_on: dt.date
    ends_on: dt.date
    planned_at: dt.datetime = _time()
    planned_by: str


class ProgressReport(Stored, SQLModel, table=True):
    """One report of a project in monitoring: planned with its period and due date, then
    submitted with a traffic light, a narrative, spending so far and measured values.
    `kind` is progress (on the schedule) or final (at close-out); `status` is due, submitted or
    cancelled (not yet due when the project closed or was withdrawn)."""

    __tablename__ = "progress_report"
    __table_args__ = (sa.UniqueConstraint("application_id", "label"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    kind: str = "progress"  # progress | final
    label: str  # 2019-Q1, 2019-H2, 2019, 2019-03, or final
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date = Field(index=True)
    status: str = Field(default="due", index=True)  # due | submitted | cancelled
    traffic_light: str | None = None  # green | orange | red
    narrative: str | None = None
    measures: str | None = None  # the measures taken; required with red
    spent_cents: int | None = Field(default=None, sa_type=Cents)  # so far, cumulative
    submitted_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    submitted_by: str | None = None
    received_on: dt.date | None = None  # the day the report came in; lateness counts from it
    cancelled_reason: str | None = None


class IndicatorValue(Stored, SQLModel, table=True):
    """A measured value of an indicator on a date: a decimal as text (exact, never float),
    checked against the indicator's unit. Given with a report (`report_id`) or on its own."""

    __tablename__ = "indicator_value"
    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    measured_on: dt.date
    value: str
    report_id: int | None = Field(default=None, foreign_key="progress_report.id")
    note: str = ""
    recorded_by: str
    recorded_at: dt.datetime = _time()


# -- signing in (the web interface and the API) -------------------------------------------------


class Credential(SQLModel, table=True):
    """A person's password (an argon2id hash, never the password), their second factor's
    secret where they set one up, and the failed sign-ins that lock the account a while."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    password_hash: str | None = None
    totp_secret: str | None = None
    totp_pending: str | None = None  # a secret being set up, until a code from it is given
    totp_step: int | None = None  # the time step of the last code taken: a code works once
    failed: int = 0  # failed sign-ins in a row
    locked_until: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )
    changed_at: dt.datetime = _time()


class SignInLink(Stored, SQLModel, table=True):
    """A single-use, expiring link sent by e-mail: to set a password (`invite`) or to sign in
    without one (`sign_in`). Only the SHA-256 of its token is kept."""

    __tablename__ = "sign_in_link"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    purpose: str  # invite | sign_in
    created_at: dt.datetime = _time()
    expires_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    used_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )


class WebSession(Stored, SQLModel, table=True):
    """A signed-in browser, kept on the server: the cookie holds a token whose SHA-256 is here.
    Ends when it expires, when idle too long, or when revoked."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    csrf: str  # the token every form of this session carries
    method: str  # password | link
    second_factor: bool = False
    address: str = ""
    agent: str = ""
    created_at: dt.datetime = _time()
    seen_at: dt.datetime = _time()
    expires_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    revoked_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )


class ApiToken(Stored, SQLModel, table=True):
    """A personal access token for the JSON API: its SHA-256 and its first characters (to tell
    tokens apart), acting with at most the roles it was given and the person still holds."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    prefix: str
    person_id: int = Field(foreign_key="person.id", index=True)
    name: str
    roles: str  # comma-separated
    created_at: dt.datetime = _time()
    expires_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )
    used_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )
    revoked_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )


# -- attached documents (issue 17) --------------------------------------------------------------


class Attachment(Stored, SQLModel, table=True):
    """A document attached to an application, to one of its steering decisions (`decision_seq`,
    the decision's audit event) or to one of its progress reports (`report_id`): the name it
    came with (shown, never used as a path), its media type, size and SHA-256, and where its
    bytes are (`storage_key`, storage/blobs.py). Never changed or removed once written."""

    __table_args__ = (sa.UniqueConstraint("application_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    number: int  # 1, 2, ... within the application
    belongs_to: str  # application | decision | report
    report_id: int | None = Field(default=None, foreign_key="progress_report.id")
    decision_seq: int | None = None  # the audit event of the steering decision
    kind: str  # proposal | budget | final_report | other
    file_name: str
    media_type: str
    size: int = Field(sa_type=sa.BigInteger)
    sha256: str = Field(index=True)
    storage_key: str  # folder:<sha256> or database:<sha256>
    added_at: dt.datetime = _time()
    added_by: str


class AttachmentBlob(SQLModel, table=True):
    """An attachment's bytes kept in the database (PostgreSQL without an attachments folder),
    one row per content: the same file attached twice is kept once."""

    __tablename__ = "attachment_blob"
    sha256: str = Field(primary_key=True)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
