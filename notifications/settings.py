"""Deployment settings for mail, reminders, templates and the web: a TOML file, overridden by the
environment.

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

    [web]
    base_url = "https://kracht.example.org"   # where messages link to (KRACHT_BASE_URL)
    session_hours = 12            # a signed-in browser stays signed in at most this long
    idle_minutes = 120            # ... and this long without a request
    lockout_attempts = 5          # failed sign-ins in a row that lock an account ...
    lockout_minutes = 15          # ... for this long
    link_hours = 72               # an e-mailed invitation or sign-in link works this long
    second_factor_roles = "programme_leader,steering_member"   # who must use a second factor

    [audit]
    key = "/etc/kracht/audit.key" # the key that signs checkpoints, kept outside the database
                                  # (`kracht audit keygen` makes it; KRACHT_AUDIT_KEY)
    checkpoint_days = 7           # the scheduler mails every auditor a signed checkpoint this
                                  # often (0, the default: never)

    [open_data]                   # the 360Giving export (`kracht export 360giving`)
    prefix = "360G-kracht"        # the grant-id prefix 360Giving gave the publisher; every grant
                                  # id is <prefix>-<application id> (KRACHT_360G_PREFIX)
    publisher_id = "NL-KVK-12345678"   # the publisher's organisation identifier (org-id.guide);
                                  # "" (the default): the prefix (KRACHT_360G_PUBLISHER_ID)
    publisher_name = "Twente Board"    # the funder named in every grant (KRACHT_360G_PUBLISHER;
                                  # default: "Agenda voor Twente", the fund's name)

    [attachments]                 # documents attached to applications, decisions and reports
    folder = "/srv/kracht/files"  # where their bytes are kept (KRACHT_ATTACHMENTS_FOLDER); ""
                                  # (the default): on SQLite a folder beside the database file
                                  # (<database>-attachments), on PostgreSQL in the database
    max_mb = 20                   # the largest file taken, in MB of 1,048,576 bytes
                                  # (KRACHT_ATTACHMENTS_MAX_MB)
    types = "pdf,xlsx,docx"       # the file types taken, a choice of pdf, xlsx, xls, docx, doc,
                                  # odt, ods, csv, txt, png, jpeg; "" (the default): all of them
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
import unicodedata
from dataclasses import dataclass, fields, replace
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from kracht.basics.errors import InvalidInput

TRANSPORTS = ("smtp", "file", "console")
SECURITY = ("starttls", "ssl", "none")
SECTIONS = ("mail", "reminders", "templates", "web", "audit", "open_data", "attachments")
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
WEB_ENVIRONMENT = {"KRACHT_BASE_URL": "base_url"}  # variable -> key in [web]
AUDIT_ENVIRONMENT = {"KRACHT_AUDIT_KEY": "key"}  # variable -> key in [audit]
OPEN_DATA_ENVIRONMENT = {  # variable -> key in [open_data]
    "KRACHT_360G_PREFIX": "prefix",
    "KRACHT_360G_PUBLISHER_ID": "publisher_id",
    "KRACHT_360G_PUBLISHER": "publisher_name",
}
ATTACHMENTS_ENVIRONMENT = {  # variable -> key in [attachments]
    "KRACHT_ATTACHMENTS_FOLDER": "folder",
    "KRACHT_ATTACHMENTS_MAX_MB": "max_mb",
}
GRANT_PREFIX = re.compile(r"360G-[A-Za-z0-9][A-Za-z0-9_-]{0,58}")  # 360Giving's "360G-" + a name
ORG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # an org-id.guide identifier: no spaces
MAX_FILE = 64 * 1024 * 1024  # 64 MiB, as for every file kracht reads (workflow.files.MAX_READ)
MAX_TEXT = 4096  # characters in a text setting (a path may be long; a host or sender is not)
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
RANGES: dict[str, tuple[float, float, str]] = {  # key -> (lowest, highest, unit) it may be
    "port": (1, 65535, ""),
    "timeout": (0.1, 600, " seconds"),
    "max_attempts": (1, 1000, ""),
    "backoff_seconds": (0, 2_592_000, " seconds"),  # 30 days
    "backoff_max_seconds": (0, 2_592_000, " seconds"),
    "lease_seconds": (1, 86_400, " seconds"),
    "lead_days": (0, 365, " days"),
    "escalate_after_days": (0, 365, " days"),
    "session_hours": (1, 24 * 30, " hours"),
    "idle_minutes": (5, 24 * 60, " minutes"),
    "lockout_attempts": (1, 100, ""),
    "lockout_minutes": (1, 24 * 60, " minutes"),
    "link_hours": (1, 24 * 14, " hours"),
    "checkpoint_days": (0, 366, " days"),
    "max_mb": (1, 1024, " MB"),
}
RAW_TEXT = {"password"}  # taken as given: a password may hold any character


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
class Web:
    base_url: str = ""  # "" until the web interface has an address: messages then say so
    session_hours: int = 12
    idle_minutes: int = 120
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    link_hours: int = 72
    second_factor_roles: str = ""  # comma-separated roles that must sign in with a code

    @property
    def needs_second_factor(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.second_factor_roles.split(",") if r.strip())


@dataclass(frozen=True)
class Audit:
    key: str = ""  # the checkpoint signing key's file; "" until `kracht audit keygen` made one
    checkpoint_days: int = 0  # the scheduler mails the auditors a checkpoint this often; 0: never


@dataclass(frozen=True)
class OpenData:
    """Who publishes the 360Giving export, and the prefix 360Giving gave them for grant ids.
    The defaults are placeholders a programme replaces once it registers as a publisher."""

    prefix: str = "360G-kracht"
    publisher_id: str = ""  # "" : the prefix stands for the publisher (360Giving's guidance)
    publisher_name: str = "Agenda voor Twente"

    @property
    def funder_id(self) -> str:
        return self.publisher_id or self.prefix


@dataclass(frozen=True)
class Attachments:
    """Where attached documents' bytes are kept, and which files are taken (see
    workflow/services/attachments.py)."""

    folder: str = ""  # "" : beside an SQLite database file, in a PostgreSQL database
    max_mb: int = 20
    types: str = ""  # comma-separated file types (basics/file_types.py); "" : every known type

    @property
    def max_bytes(self) -> int:
        return self.max_mb * 1024 * 1024

    @property
    def chosen_types(self) -> tuple[str, ...]:
        return tuple(t.strip().lower() for t in self.types.split(",") if t.strip())


@dataclass(frozen=True)
class Settings:
    mail: Mail = Mail()
    reminders: Reminders = Reminders()
    templates: Templates = Templates()
    web: Web = Web()
    audit: Audit = Audit()
    open_data: OpenData = OpenData()
    attachments: Attachments = Attachments()
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
    """Read the settings file (if any) and the environment; refuse unknown or invalid values.

    The file is read every time; what is built from its bytes and the environment's values is
    kept, so a lookup per lifecycle step (the templates folder) costs one read, not a parse."""
    path = config_path(explicit)
    raw = _read(path) if path is not None else None
    data = _parse(path, raw) if path is not None and raw is not None else {}
    mail = data.get("mail")
    password = mail.get("password_env") if isinstance(mail, dict) else None
    variables = (
        *ENVIRONMENT, *WEB_ENVIRONMENT, *AUDIT_ENVIRONMENT, *OPEN_DATA_ENVIRONMENT,
        *ATTACHMENTS_ENVIRONMENT, "HOME",
        *([password] if isinstance(password, str) else []),
    )  # fmt: skip
    environment = tuple(os.environ.get(name) for name in variables)
    where = os.getcwd() if path is not None else ""  # relative folders resolve from here
    return _settings(str(path) if path is not None else None, raw, where, variables, environment)


@lru_cache(maxsize=16)  # Settings are frozen; a refusal raises and is not kept
def _settings(
    name: str | None,
    raw: bytes | None,
    where: str,
    variables: tuple[str, ...],
    values: tuple[str | None, ...],
) -> Settings:
    """The settings built from the file's bytes, in working directory `where`, with these
    environment values (see `load`): all but `name` and `raw` only key the cache."""
    del where, variables, values  # `_beside` and `_mail_values` read them themselves
    path = Path(name) if name is not None else None
    data = _parse(path, raw) if path is not None and raw is not None else {}
    sections = _sections(data, path)
    mail, labels = _mail_values(sections["mail"])
    settings = Settings(
        mail=_build(Mail, mail, "mail", labels),
        reminders=_build(Reminders, sections["reminders"], "reminders"),
        templates=_build(Templates, sections["templates"], "templates"),
        web=_build(Web, *_web_values(sections["web"])),
        audit=_build(Audit, *_audit_values(sections["audit"])),
        open_data=_build(
            OpenData, *_with_environment(sections["open_data"], "open_data", OPEN_DATA_ENVIRONMENT)
        ),
        attachments=_build(
            Attachments,
            *_with_environment(sections["attachments"], "attachments", ATTACHMENTS_ENVIRONMENT),
        ),
        source=str(path) if path else "built-in defaults",
    )
    _check(settings)
    if path is not None:  # relative folders are relative to the settings file
        mail = replace(settings.mail, directory=_beside(path, settings.mail.directory))
        folder = _beside(path, settings.templates.folder) if settings.templates.folder else ""
        key = _beside(path, settings.audit.key) if settings.audit.key else ""
        audit = replace(settings.audit, key=key)
        files = settings.attachments
        kept = replace(files, folder=_beside(path, files.folder) if files.folder else "")
        settings = replace(
            settings, mail=mail, templates=Templates(folder), audit=audit, attachments=kept
        )
    return settings


def _read(path: Path) -> bytes:
    """The file's bytes: a regular file of at most MAX_FILE, checked before anything is read
    (opened non-blocking, so a FIFO swapped in after `config_path` looked cannot hang us)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise InvalidInput(f"settings file {path}: cannot read it: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise InvalidInput(f"settings file {path} is not a regular file; give a file")
        if status.st_size > MAX_FILE:
            raise InvalidInput(f"settings file {path} is larger than 64 MiB; give a smaller file")
        data = file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise InvalidInput(f"settings file {path} is larger than 64 MiB; give a smaller file")
    return data


@lru_cache(maxsize=16)
def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    """The file's TOML, parsed once per content (callers copy the sections they change)."""
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(f"settings file {path} is not valid TOML: {error}") from None
    except (RecursionError, MemoryError):
        raise InvalidInput(
            f"settings file {path} is not valid TOML: it is nested too deeply"
        ) from None


def _sections(data: dict[str, Any], path: Path | None) -> dict[str, dict[str, Any]]:
    """Each known section as a fresh dict; anything else at the top is refused by name."""
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise InvalidInput(f"settings file {path}: unknown section [{sorted(unknown)[0]}]")
    for name in SECTIONS:
        if not isinstance(data.get(name, {}), dict):
            raise InvalidInput(
                f"settings: {name} must be a table (a [{name}] section), not {_shown(data[name])}"
            )
    return {name: dict(data.get(name, {})) for name in SECTIONS}


def _mail_values(mail: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """[mail] with the password read and the environment on top, and where each value came
    from (`[mail] port` or `KRACHT_SMTP_PORT`), so a refusal names the right place."""
    labels = {key: f"[mail] {key}" for key in mail}
    if "password_env" in mail:
        variable = mail.pop("password_env")
        if not isinstance(variable, str) or not VARIABLE_NAME.fullmatch(variable):
            raise InvalidInput(
                "settings: [mail] password_env must be a text naming an environment variable "
                f"(letters, digits and _), not {_shown(variable)}"
            )
        mail["password"] = os.environ.get(variable, "")
        labels["password"] = variable
    for variable, key in ENVIRONMENT.items():
        if os.environ.get(variable):
            mail[key] = os.environ[variable]
            labels[key] = variable
    return mail, labels


def _web_values(web: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, str]]:
    """[web] with the environment on top, and where each value came from."""
    return _with_environment(web, "web", WEB_ENVIRONMENT)


def _audit_values(audit: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, str]]:
    """[audit] with the environment on top, and where each value came from."""
    return _with_environment(audit, "audit", AUDIT_ENVIRONMENT)


def _with_environment(
    values: dict[str, Any], section: str, variables: dict[str, str]
) -> tuple[dict[str, Any], str, dict[str, str]]:
    """A section's values with `variables` (variable -> key) on top, and each value's source."""
    labels = {key: f"[{section}] {key}" for key in values}
    for variable, key in variables.items():
        if os.environ.get(variable):
            values[key], labels[key] = os.environ[variable], variable
    return values, section, labels


def _beside(path: Path, folder: str) -> str:
    return str((path.parent / Path(folder).expanduser()).resolve())


KINDS = {int: "a whole number", float: "a number", str: "a text"}  # what a setting of a type takes


def _build(
    kind: type, values: dict[str, Any], section: str, labels: dict[str, str] | None = None
) -> Any:
    known = {f.name for f in fields(kind)}
    for key, value in values.items():
        if key not in known:
            raise InvalidInput(f"settings: unknown key {key!r} in [{section}]")
        label = (labels or {}).get(key, f"[{section}] {key}")
        values[key] = _value(type(getattr(kind(), key)), value, label)
        if key in RANGES:
            _in_range(values[key], label, *RANGES[key])
        elif key not in RAW_TEXT:
            _clean(values[key], label)
    return kind(**values)


def _value(wanted: type, value: Any, label: str) -> Any:
    """`value` as the setting's type, or a refusal naming `label`."""
    try:
        if wanted is str:
            if not isinstance(value, str):  # str() takes anything
                raise TypeError(value)
            return value
        return _number(wanted, value)
    except (TypeError, ValueError, OverflowError):
        what = KINDS.get(wanted, f"a {wanted.__name__}")
        raise InvalidInput(f"settings: {label} must be {what}, not {_shown(value)}") from None


def _number(wanted: type, value: Any) -> int | float:
    """A whole number or a finite number; text (from the environment) in ASCII digits only."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):  # int(True) is 1
        raise TypeError(value)
    if isinstance(value, str):
        text = value.strip()
        if not (WHOLE_NUMBER if wanted is int else DECIMAL).fullmatch(text):
            raise ValueError(value)  # "１" (a full-width one) or "1_0" is not a number here
        value = int(text) if wanted is int else float(text)
    if wanted is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)  # int(25.9) would quietly be port 25; nan and inf too
        return int(value)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _in_range(number: float, label: str, low: float, high: float, unit: str) -> None:
    if not low <= number <= high:
        raise InvalidInput(
            f"settings: {label} must be at least {low:g} and at most {high:,.0f}{unit}, "
            f"not {number:g}"
        )


def _clean(text: str, label: str) -> None:
    """A text setting holds no control characters (a line break in a header value would end
    the header) and stays within MAX_TEXT."""
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"settings: {label} is {len(text):,} characters long; the limit is {MAX_TEXT:,}"
        )
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) in {"Cc", "Cs"}:
            raise InvalidInput(
                f"settings: {label} holds the control character U+{ord(char):04X} at "
                f"character {position}; remove it"
            )


def _shown(value: Any) -> str:
    """A bad value as it appears in a refusal: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@lru_cache(maxsize=64)  # settings are frozen: a combination found valid once stays valid
def _check(settings: Settings) -> None:
    _check_mail(settings.mail)
    _check_web(settings.web)
    _check_open_data(settings.open_data)
    _check_attachments(settings.attachments)


def _check_attachments(attachments: Attachments) -> None:
    """File types kracht knows, and a folder (not a file) where the bytes go."""
    from kracht.basics.file_types import TYPES

    unknown = [t for t in attachments.chosen_types if t not in TYPES]
    if unknown:
        raise InvalidInput(
            f"settings: [attachments] types names no file type {unknown[0][:20]!r}; the types "
            "are " + ", ".join(TYPES)
        )
    folder = Path(attachments.folder).expanduser() if attachments.folder else None
    if folder is not None and folder.exists() and not folder.is_dir():
        raise InvalidInput(f"settings: [attachments] folder {folder} is not a folder; name one")


def _check_open_data(open_data: OpenData) -> None:
    """A grant-id prefix as 360Giving gives them (360G-name) and an organisation identifier
    without spaces (NL-KVK-12345678); the publisher has a name."""
    if not GRANT_PREFIX.fullmatch(open_data.prefix):
        raise InvalidInput(
            f"settings: [open_data] prefix {_shown(open_data.prefix)} must be a 360Giving prefix: "
            "360G- and up to 59 letters, digits, - or _, such as 360G-twenteboard"
        )
    if open_data.publisher_id and not ORG_ID.fullmatch(open_data.publisher_id):
        raise InvalidInput(
            f"settings: [open_data] publisher_id {_shown(open_data.publisher_id)} must be an "
            "organisation identifier (letters, digits, . - _), such as NL-KVK-12345678"
        )
    if not open_data.publisher_name.strip():
        raise InvalidInput("settings: [open_data] publisher_name must name the publisher")


def _check_web(web: Web) -> None:
    """An address messages can link to (http or https, a host, no query or fragment) and roles
    that exist."""
    from urllib.parse import urlsplit

    from kracht.basics.roles import ALL_ROLES

    if web.base_url:
        parts = urlsplit(web.base_url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.query
            or (parts.fragment or web.base_url.endswith("#"))
        ):
            raise InvalidInput(
                f"settings: [web] base_url {_shown(web.base_url)} must be an http or https "
                "address with a host and no query, such as https://kracht.example.org"
            )
    unknown = sorted(web.needs_second_factor - {str(r) for r in ALL_ROLES})
    if unknown:
        raise InvalidInput(
            f"settings: [web] second_factor_roles names no role {unknown[0]!r}; roles are "
            + ", ".join(str(r) for r in ALL_ROLES)
        )


def _check_mail(mail: Mail) -> None:
    if mail.transport not in TRANSPORTS:
        raise InvalidInput(f"settings: mail transport must be one of {', '.join(TRANSPORTS)}")
    if mail.security not in SECURITY:
        raise InvalidInput(f"settings: mail security must be one of {', '.join(SECURITY)}")
    if mail.backoff_max_seconds < mail.backoff_seconds:
        raise InvalidInput(
            f"settings: [mail] backoff_max_seconds ({mail.backoff_max_seconds}) must be at least "
            f"backoff_seconds ({mail.backoff_seconds})"
        )
    _, address = parseaddr(mail.sender)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"settings: mail sender {mail.sender!r}: {error}") from None
    folder = Path(mail.directory).expanduser()
    if mail.transport == "file" and folder.exists() and not folder.is_dir():
        raise InvalidInput(f"settings: mail directory {folder} is not a folder; name a folder")
