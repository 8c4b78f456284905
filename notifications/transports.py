"""How messages leave kracht: over SMTP, as .eml files, or printed on the console.

A transport either delivers a message or raises `TemporaryFailure` (try again later: the server
is down, busy, or answered 4xx) or `PermanentFailure` (it will never work: 5xx, a refused
address). Every message carries its stable Message-ID, so a retry of a message that did reach the
server is the same message again, which mail clients show once.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from kracht.notifications.settings import Mail

if TYPE_CHECKING:
    from kracht.storage.tables import OutboxMessage


class TemporaryFailure(Exception):
    """Delivery failed for now; the sender retries with backoff."""


class PermanentFailure(Exception):
    """Delivery can never succeed; the sender dead-letters the message."""


class ConnectionFailure(TemporaryFailure):
    """No session with the server (down, TLS or login refused): no message of the batch can go."""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def compose(row: OutboxMessage, sender: str) -> EmailMessage:
    """The e-mail for an outbox row: plain text with an HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["Content-Language"] = row.language
    message["X-Kracht-Event"] = row.event
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text)
    message.add_alternative(row.html, subtype="html")
    return message


def open_transport(mail: Mail, console: TextIO | None = None) -> Transport:
    if mail.transport == "smtp":
        return SmtpTransport(mail)
    if mail.transport == "file":
        return FileTransport(Path(mail.directory))
    return ConsoleTransport(console or sys.stdout)


class SmtpTransport:
    """One connection per batch, opened on the first message; STARTTLS or SSL as configured."""

    def __init__(self, mail: Mail) -> None:
        self.mail = mail
        self.connection: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        connection = self._connected()
        try:
            connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _by_code(code, reply) from None
        except smtplib.SMTPResponseException as error:
            self.close()
            raise _by_code(error.smtp_code, error.smtp_error) from None
        except (smtplib.SMTPException, OSError) as error:  # refused, reset, timed out
            self.close()
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from None

    def _connected(self) -> smtplib.SMTP:
        if self.connection is None:
            try:
                self.connection = self._connect()
            except smtplib.SMTPAuthenticationError as error:
                raise ConnectionFailure(
                    f"login as {self.mail.username!r} refused: SMTP {error.smtp_code}"
                ) from None
            except (smtplib.SMTPException, OSError) as error:  # refused, TLS, timed out
                where = f"{self.mail.host}:{self.mail.port}"
                raise ConnectionFailure(f"{where}: {type(error).__name__}: {error}") from None
        return self.connection

    def _connect(self) -> smtplib.SMTP:
        mail = self.mail
        context = ssl.create_default_context(cafile=mail.ca_file or None)
        if mail.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                mail.host, mail.port, timeout=mail.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout)
        try:
            if mail.security == "starttls":
                smtp.starttls(context=context)
            if mail.username:
                smtp.login(mail.username, mail.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (TimeoutError, smtplib.SMTPException, OSError):
                pass
            self.connection = None


def _by_code(code: int, reply: bytes | str) -> Exception:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    kind = PermanentFailure if 500 <= code < 600 else TemporaryFailure
    return kind(f"SMTP {code}: {text}")


class FileTransport:
    """Each message as <Message-ID>.eml in a folder; writing it again replaces it (idempotent).

    The folder is created 0700 and each file 0600 (mail holds names and addresses), through a
    temporary file no one can plant a link at (workflow.files.replace_file)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        from kracht.basics.files import replace_file
        from kracht.storage.private import make_folders

        try:
            make_folders(self.directory)
            name = str(message["Message-ID"]).strip("<>").replace("@", "_at_")
            replace_file(self.directory / f"{name}.eml", message.as_bytes())
        except OSError as error:
            raise TemporaryFailure(f"cannot write to {self.directory}: {error}") from None

    def close(self) -> None:
        pass


class ConsoleTransport:
    """Print each message's headers and text part: for trying kracht out."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def send(self, message: EmailMessage) -> None:
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        self.stream.write(
            f"--- {message['Message-ID']}\nTo: {message['To']}\nSubject: {message['Subject']}\n\n"
            f"{text.rstrip()}\n\n"
        )

    def close(self) -> None:
        pass
