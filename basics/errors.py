"""The errors kracht reports to its users: one class per kind, each carrying its facts.

Every kind maps to an exit code (the CLI's, as README documents them) and an HTTP status, and
turns into an RFC 9457 problem (`as_problem()`). Messages speak plain words and name fields, not
options: the command line (`commands/hints.py`) turns a field into its option and adds the
`kracht ...` command to run from the error's kind and facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

PROBLEM_BASE = "urn:kracht:problem:"  # + the kind, as the problem's `type`


class KrachtError(Exception):
    """A mistake or refusal the user can act on; the CLI prints it as one line."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400
    kind: ClassVar[str] = "mistake"
    title: ClassVar[str] = "a mistake in what was asked"

    def __init__(self, message: str, **facts: Any) -> None:
        super().__init__(message)
        self.facts: dict[str, Any] = {k: v for k, v in facts.items() if v is not None}

    @property
    def detail(self) -> str:
        return str(self)

    def as_problem(self) -> dict[str, Any]:
        """The error as an RFC 9457 problem: type, title, status, detail and its facts."""
        return {
            "type": PROBLEM_BASE + self.kind,
            "title": self.title,
            "status": self.http_status,
            "detail": self.detail,
            **{k: v for k, v in self.facts.items() if k not in _PROBLEM_FIELDS},
        }


_PROBLEM_FIELDS = frozenset({"type", "title", "status", "detail", "instance"})


class InvalidInput(KrachtError):
    """A value the user gave is malformed or out of range; `field` names it (`reason`), and
    `label` is the words the message uses for it ("a reason"), where an interface may say how
    that field is given (the CLI adds its option)."""

    http_status = 400
    kind = "invalid-input"
    title = "a value breaks an input rule"

    def __init__(
        self, message: str, field: str | None = None, label: str | None = None, **facts: Any
    ) -> None:
        self.field, self.label = field, label
        super().__init__(message, field=field, label=label, **facts)


class Field(str):
    """The words a message names an input field with ("a reason"), knowing the field (`reason`).

    `bare`: an interface may say the field its own way in place of the words (the CLI's
    `--until 2030-01-01 lies before ...`), not only beside them ("a reason (--reason)")."""

    field: str
    bare: bool

    def __new__(cls, words: str, field: str | None = None, *, bare: bool = False) -> Field:
        made = super().__new__(cls, words)
        made.field, made.bare = field or words, bare
        return made


def invalid(what: object, message: str, **facts: Any) -> InvalidInput:
    """The refusal of a value given for `what` (a Field, or plain words naming no field)."""
    if isinstance(what, Field):
        return InvalidInput(
            message, field=what.field, label=str(what), bare=what.bare or None, **facts
        )
    return InvalidInput(message, **facts)


class NotFound(KrachtError):
    """The record the user named does not exist: `what` (application, person, ...) and `key`;
    `within` says where it was looked for, `then` what followed (both plain words);
    `listing` marks a name given to narrow a list (a filter), not one to act on."""

    http_status = 404
    kind = "not-found"
    title = "no such record"

    def __init__(
        self,
        what: str,
        key: object,
        within: str = "",
        *,
        then: str = "",
        listing: bool = False,
        **facts: Any,
    ) -> None:
        self.what, self.key, self.within, self.then = what, key, within, then
        self.listing = listing
        message = "; ".join(part for part in (f"no {what} {key!r}", within, then) if part)
        super().__init__(
            message,
            what=what,
            key=key,
            within=within or None,
            then=then or None,
            listing=listing or None,
            **facts,
        )


class NotAllowed(KrachtError):
    """A refusal: the actor may not do this, or it is not possible now. The common base of
    NotPermitted, NotIdentified, WrongState and WorkflowVersionMismatch; raised as is for the
    other refusals (a record that is final, a budget below what it holds), with its facts."""

    exit_code = 4
    http_status = 409
    kind = "not-allowed"
    title = "not allowed"

    def __init__(self, message: str, asked: dict[str, Any] | None = None, **facts: Any) -> None:
        super().__init__(message, **facts)
        self.asked = dict(asked or {})  # what the refused action asked for: in its audit event


class NotIdentified(NotAllowed):
    """Nobody said who they are, or no person has the e-mail given (`email`)."""

    http_status = 401
    kind = "not-identified"
    title = "who is acting is not known"

    def __init__(self, email: str | None = None) -> None:
        self.email = email
        message = (
            "say who you are"
            if not email
            else f"no person with e-mail {email!r}; a programme leader adds people to the directory"
        )
        super().__init__(message, email=email)


class NotPermitted(NotAllowed):
    """The actor lacks a role the action needs (`roles_needed`), or acts on an application
    that is not theirs to act on (`because`)."""

    http_status = 403
    kind = "not-permitted"
    title = "not permitted"

    def __init__(
        self,
        actor: str,
        action: str,
        *,
        roles_held: Sequence[str] = (),
        roles_needed: Sequence[str] = (),
        because: str = "",
    ) -> None:
        self.actor, self.action, self.because = actor, action, because
        self.roles_held, self.roles_needed = list(roles_held), list(roles_needed)
        if because:
            message = f"{actor} may not {action}: {because}"
        else:
            held = ", ".join(self.roles_held) or "no roles"
            needed = " or ".join(self.roles_needed)
            message = f"{actor} ({held}) may not {action}: needs the role {needed}"
        super().__init__(
            message,
            actor=actor,
            action=action,
            roles_held=self.roles_held,
            roles_needed=self.roles_needed or None,
            because=because or None,
        )


class WrongState(NotAllowed):
    """The trigger is not possible from the application's state; `possible` lists what is."""

    http_status = 409
    kind = "wrong-state"
    title = "not possible from this state"

    def __init__(
        self,
        application: int,
        state: str,
        trigger: str,
        possible: Sequence[str] = (),
        *,
        final: bool = False,
    ) -> None:
        self.application, self.state, self.trigger = application, state, trigger
        self.possible, self.final = list(possible), final
        if final:
            message = f"cannot {trigger} application {application}: it is {state}, a final state"
        else:
            message = (
                f"cannot {trigger} application {application} from {state}; from {state} you "
                "can: " + ", ".join(self.possible)
            )
        super().__init__(
            message,
            application=application,
            state=state,
            trigger=trigger,
            possible=self.possible,
            final=final or None,
        )


class WorkflowVersionMismatch(NotAllowed):
    """The application runs under another version of the road than this kracht declares."""

    http_status = 409
    kind = "workflow-version-mismatch"
    title = "the application runs under another workflow version"

    def __init__(self, application: int, version: int, declared: int) -> None:
        self.application, self.version, self.declared = application, version, declared
        super().__init__(
            f"application {application} runs under workflow version {version}, but this "
            f"kracht declares version {declared}; move it to that version explicitly",
            application=application,
            version=version,
            declared=declared,
        )


class Missing(str):
    """One thing a guard found missing, in plain words, with the key of its need (`reason`,
    `budget`, a field name) that an interface attaches its hint to, and the need's own label
    (the words without the application's figures, which an interface may name in its language)."""

    need: str | None
    label: str

    def __new__(cls, text: str, need: str | None = None, label: str | None = None) -> Missing:
        made = super().__new__(cls, text)
        made.need, made.label = need, text if label is None else label
        return made


class GuardRefused(KrachtError):
    """The application may not leave its stage yet: something it needs is missing (`missing`,
    in plain words; `needs`, the keys of those needs, where they have one)."""

    exit_code = 5
    http_status = 422
    kind = "guard-refused"
    title = "something the step needs is missing"

    def __init__(
        self,
        trigger: str,
        application_id: int,
        missing: list[str],
        *,
        to: str | None = None,
        passing: Sequence[str] = (),
    ) -> None:
        self.trigger, self.application_id, self.missing = trigger, application_id, missing
        self.needs = [getattr(m, "need", None) for m in missing]
        self.to, self.passing = to, list(passing)
        where = ""
        if to is not None and passing:  # a move that passes stages that do not apply
            where = f" (to {to}: {' and '.join(passing)} do{'es' * (len(passing) == 1)} not apply)"
        super().__init__(
            f"cannot {trigger} application {application_id}{where}: needs " + "; ".join(missing),
            application=application_id,
            trigger=trigger,
            missing=[str(m) for m in missing],
            needs=self.needs if any(self.needs) else None,
            to=to if passing else None,
            passing=self.passing or None,
        )

    @property
    def application(self) -> int:
        return self.application_id


GuardFailed = GuardRefused  # its name before the error kinds were typed


class ConcurrentChange(KrachtError):
    """Someone else changed the record between reading and writing it: the version the writer
    expected (`expected`) is not the one it has now (`actual`)."""

    exit_code = 6
    http_status = 409
    kind = "stale-version"
    title = "changed by someone else"

    def __init__(
        self, application_id: int, expected: int | None = None, actual: int | None = None
    ) -> None:
        self.application_id, self.expected, self.actual = application_id, expected, actual
        versions = f" (expected version {expected}, now {actual})" if expected is not None else ""
        super().__init__(
            f"application {application_id} was changed by someone else{versions}; reload it "
            "and try again",
            application=application_id,
            expected=expected,
            actual=actual,
        )

    @property
    def application(self) -> int:
        return self.application_id


StaleVersion = ConcurrentChange


class Damaged(KrachtError):
    """Something kracht stored no longer holds what it recorded: an attached document's bytes
    whose SHA-256 is not the one recorded (`expected`, `found`; None when the bytes are gone).
    Never the user's mistake: the administrator restores the file from a backup."""

    exit_code = 7
    http_status = 500
    kind = "damaged"
    title = "a stored record is damaged"

    def __init__(
        self, message: str, *, what: str, key: object, expected: str, found: str | None
    ) -> None:
        self.expected, self.found = expected, found
        super().__init__(message, what=what, key=key, expected=expected, found=found)


KINDS: tuple[type[KrachtError], ...] = (
    KrachtError,
    InvalidInput,
    NotFound,
    NotAllowed,
    NotIdentified,
    NotPermitted,
    WrongState,
    WorkflowVersionMismatch,
    GuardRefused,
    ConcurrentChange,
    Damaged,
)


class SignInRefused(KrachtError):
    """Signing in failed: the address, the password, the link or the code is not right. Which
    one is not said, so that nobody learns whether an address has an account."""

    exit_code = 4
    http_status = 401
    kind = "sign-in-refused"
    title = "signing in failed"


class LockedOut(SignInRefused):
    """Too many failed sign-ins in a row: the account takes none until `until` (a moment)."""

    http_status = 429
    kind = "locked-out"
    title = "too many failed sign-ins"

    def __init__(self, message: str, until: str) -> None:
        super().__init__(message, until=until)
