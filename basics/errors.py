"""The errors kracht reports to its users. Each message says what to do next."""

from __future__ import annotations


class KrachtError(Exception):
    """A mistake or refusal the user can act on; the CLI prints it as one line."""

    exit_code = 1


class InvalidInput(KrachtError):
    """A value the user gave is malformed or out of range."""


class NotFound(KrachtError):
    """The record the user named does not exist."""

    def __init__(self, kind: str, key: object, hint: str = "") -> None:
        self.kind, self.key = kind, key
        message = f"no {kind} {key!r}"
        super().__init__(f"{message}; {hint}" if hint else message)


class NotAllowed(KrachtError):
    """The actor lacks a role the action needs, or the action is not possible from this state."""

    exit_code = 4

    def __init__(self, message: str, facts: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.facts = dict(facts or {})  # what the refused action asked for: in its audit event


class GuardFailed(KrachtError):
    """The application may not leave its stage yet: something it needs is missing."""

    exit_code = 5

    def __init__(self, trigger: str, application_id: int, missing: list[str]) -> None:
        self.trigger, self.application_id, self.missing = trigger, application_id, missing
        super().__init__(
            f"cannot {trigger} application {application_id}: needs " + "; ".join(missing)
        )


class ConcurrentChange(KrachtError):
    """Someone else changed the record between reading and writing it."""

    exit_code = 6

    def __init__(self, application_id: int) -> None:
        self.application_id = application_id
        super().__init__(
            f"application {application_id} was changed by someone else; "
            f"run `kracht app show {application_id}` to reload it and try again"
        )
