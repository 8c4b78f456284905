"""Deployment settings for mail and reminders: a TOML file, overridden by the environment.

The file is `--config PATH`, else `KRACHT_CONFIG`, else `kracht.toml` in the working directory
when one exists; without any, kracht writes mail as files (see `Mail.directory`). Every key is
optional:

    [mail]
    transport = "smtp"            # smtp | file | console
    host = "smtp.example.org"     # KRACHT_SMTP_HOST
    port = 587                    # KRACHT_SMTP_PORT
    security = "starttls"         # starttls | ssl | none   (KRACHT_SMTP_SECURITY)
    username = "kracht"           # KRACHT_SMTP_USER
    password_env = "SMTP_PASS"    # the variable holding the password (or KRACHT_SMTP_PASSWORD)
    ca_file = ""                  # trust this CA bundle instead of the system's (internal CAs)
    sender = "Agenda voor Twente <noreply@example.org>"   # KRACHT_MAIL_FROM
    directory = "mail"            # file transport: where .eml files go (KRACHT_MAIL_DIR)
    max_attempts = 8              # tries before a message is dead-lettered
    backoff_seconds = 60          # first retry delay; doubles each try, up to backoff_max_seconds
    backoff_max_seconds = 3600
    lease_seconds = 300           # a claimed message not marked within this is retried

    [reminders]
    lead_days = 3                 # remind this many days before a deadline
    escalate_after_days = 7       # tell the programme leader this many days after it passed

    [templates]
    folder = "templates"          # overrides: <folder>/<programme code>/<language>/<template>
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from workflow.errors import InvalidInput

TRANSPORTS = ("smtp", "file", "console")
SECURITY = ("starttls", "ssl", "none")
ENVIRONMENT = {  # variable -> key in [mail]; the environment wins over the file
    "KRACHT_MAIL_TRANSPORT": "transport",
    "KRACHT_SMTP_HOST": "host",
    "KRACHT_SMTP_PORT": "port",
    "KRACHT_SMTP_SECURITY": "security",
    "KRACHT_SMTP_USER": "username",
    "KRACHT_SMTP_PASSWORD": "password",
    "KRACHT_MAIL_FROM": "sender",
    "KRACHT_MAIL_DIR": "directory",
}


@dataclass(frozen=True)
class Mail:
    transport: str = "file"
    host: str = "localhost"
    port: int = 25
    security: str = "none"
    username: str = ""
    password: str = ""
    ca_file: str = ""
    sender: str = "kracht <kracht@example.org>"
    directory: str = "kracht-mail"
    timeout: float = 30.0
    max_attempts: int = 8
    backoff_seconds: int = 60
    backoff_max_seconds: int = 3600
    lease_seconds: int = 300


@dataclass(frozen=True)
class Reminders:
    lead_days: int = 3
    escalate_after_days: int = 7


@dataclass(frozen=True)
class Templates:
    folder: str = ""


@dataclass(frozen=True)
class Settings:
    mail: Mail = Mail()
    reminders: Reminders = Reminders()
    templates: Templates = Templates()
    source: str = "built-in defaults"


def config_path(explicit: str | None = None) -> Path | None:
    """The settings file in effect, or None."""
    chosen = explicit or os.environ.get("KRACHT_CONFIG")
    if chosen:
        path = Path(chosen).expanduser()
        if not path.exists():
            raise InvalidInput(f"settings file {path} does not exist")
        if not path.is_file():
            raise InvalidInput(f"settings file {path} is not a file (a folder or a device)")
        return path
    default = Path("kracht.toml")
    return default if default.is_file() else None


def load(explicit: str | None = None) -> Settings:
    """Read the settings file (if any) and the environment; refuse unknown or invalid values."""
    path = config_path(explicit)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise InvalidInput(f"settings file {path} is not valid TOML: {error}") from None
    unknown = set(data) - {"mail", "reminders", "templates"}
    if unknown:
        raise InvalidInput(f"settings file {path}: unknown section [{sorted(unknown)[0]}]")
    mail = dict(data.get("mail", {}))
    if "password_env" in mail:
        mail["password"] = os.environ.get(mail.pop("password_env"), "")
    for variable, key in ENVIRONMENT.items():
        if os.environ.get(variable):
            mail[key] = os.environ[variable]
    settings = Settings(
        mail=_build(Mail, mail, "mail"),
        reminders=_build(Reminders, dict(data.get("reminders", {})), "reminders"),
        templates=_build(Templates, dict(data.get("templates", {})), "templates"),
        source=str(path) if path else "built-in defaults",
    )
    _check(settings)
    if path is not None:  # relative folders are relative to the settings file
        mail = replace(settings.mail, directory=_beside(path, settings.mail.directory))
        folder = _beside(path, settings.templates.folder) if settings.templates.folder else ""
        settings = replace(settings, mail=mail, templates=Templates(folder))
    return settings


def _beside(path: Path, folder: str) -> str:
    return str((path.parent / Path(folder).expanduser()).resolve())


def _build(kind: type, values: dict[str, Any], section: str) -> Any:
    known = {f.name: f for f in fields(kind)}
    for key, value in values.items():
        if key not in known:
            raise InvalidInput(f"settings: unknown key {key!r} in [{section}]")
        wanted = type(getattr(kind(), key))
        try:
            if isinstance(value, bool | dict | list):  # int(True) is 1; str() takes anything
                raise TypeError(value)
            if wanted is int and isinstance(value, float) and not value.is_integer():
                raise ValueError(value)  # int(25.9) would quietly be port 25
            values[key] = wanted(value)
        except (TypeError, ValueError):
            what = KINDS.get(wanted, f"a {wanted.__name__}")
            raise InvalidInput(
                f"settings: [{section}] {key} must be {what}, not {value!r}"
            ) from None
    return kind(**values)


KINDS = {int: "an integer", float: "a number", str: "a text"}  # what a setting of a type takes


def _check(settings: Settings) -> None:
    mail, reminders = settings.mail, settings.reminders
    if mail.transport not in TRANSPORTS:
        raise InvalidInput(f"settings: mail transport must be one of {', '.join(TRANSPORTS)}")
    if mail.security not in SECURITY:
        raise InvalidInput(f"settings: mail security must be one of {', '.join(SECURITY)}")
    if not 0 < mail.port < 65536:
        raise InvalidInput(f"settings: mail port {mail.port} is not a port number")
    if mail.max_attempts < 1 or mail.backoff_seconds < 0 or mail.lease_seconds < 1:
        raise InvalidInput("settings: max_attempts and lease_seconds must be at least 1")
    _, address = parseaddr(mail.sender)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"settings: mail sender {mail.sender!r}: {error}") from None
    folder = Path(mail.directory).expanduser()
    if mail.transport == "file" and folder.exists() and not folder.is_dir():
        raise InvalidInput(f"settings: mail directory {folder} is not a folder; name a folder")
    if reminders.lead_days < 0 or reminders.escalate_after_days < 0:
        raise InvalidInput("settings: reminder days cannot be negative")
