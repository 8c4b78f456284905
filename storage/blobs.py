"""Where attachments' bytes are kept: content-addressed by their SHA-256, in a folder or in the
database, behind one pair of calls (`keep`, `fetch`) so the services never know which.

In a folder, a file's bytes are at `<folder>/<sha256[:2]>/<sha256>` (0600, in 0700 folders),
written to a temporary file first and linked into place (`os.link`, which never replaces what
is there): a reader sees the whole file or none, and a stored file is never overwritten. In the
database, they are a row of `attachment_blob`. The same content attached twice is kept once.

The bytes are written before the transaction that records the attachment commits: when it rolls
back, a file nobody refers to stays behind (harmless, and reused should the same file come
again); the other order could leave a record without its bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from contextlib import suppress
from pathlib import Path

from sqlmodel import Session

from kracht.storage.private import make_folders
from kracht.storage.tables import AttachmentBlob

SHA256 = re.compile(r"[0-9a-f]{64}")
FOLDER, DATABASE = "folder", "database"


class Clash(Exception):  # noqa: N818 - named for what it is
    """A file stands at a content address with other content: it was changed behind kracht's
    back (it is left as it is, for whoever looks into it)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


def folder_for(db: Session, configured: str) -> Path | None:
    """The folder bytes go to: the configured one, else beside an SQLite database file
    (`<file>-attachments`); None: in the database (PostgreSQL, or SQLite in memory)."""
    if configured:
        return Path(configured).expanduser()
    url = db.get_bind().url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}-attachments")
    return None


def keep(db: Session, folder: Path | None, data: bytes) -> tuple[str, str]:
    """Keep `data`; returns its SHA-256 and the storage key it is fetched by. Raises OSError
    when the folder cannot be written, Clash when a changed file stands at its address."""
    sha256 = hashlib.sha256(data).hexdigest()
    if folder is None:
        _insert(db, sha256, data)
        return sha256, f"{DATABASE}:{sha256}"
    _write(folder, sha256, data)
    return sha256, f"{FOLDER}:{sha256}"


def fetch(db: Session, folder: Path | None, key: str) -> bytes | None:
    """The bytes kept under `key`, None when they are not there (any more); raises OSError
    when the folder cannot be read."""
    where, _, sha256 = key.partition(":")
    if not SHA256.fullmatch(sha256):
        return None
    if where == DATABASE:
        blob = db.get(AttachmentBlob, sha256)
        return bytes(blob.data) if blob is not None else None
    if where != FOLDER or folder is None:
        return None
    try:
        return _path(folder, sha256).read_bytes()
    except FileNotFoundError:
        return None


def _insert(db: Session, sha256: str, data: bytes) -> None:
    """The bytes' row, unless it is there: two writers of the same content (on two applications,
    which do not queue on each other) both succeed, on PostgreSQL by ON CONFLICT DO NOTHING."""
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        table = AttachmentBlob.__table__  # type: ignore[attr-defined]
        db.execute(insert(table).values(sha256=sha256, data=data).on_conflict_do_nothing())
        return
    if db.get(AttachmentBlob, sha256) is None:  # SQLite: writers queue on BEGIN IMMEDIATE
        db.add(AttachmentBlob(sha256=sha256, data=data))
        db.flush()


def _path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def _write(folder: Path, sha256: str, data: bytes) -> None:
    target = _path(folder, sha256)
    make_folders(target.parent)
    descriptor, temporary = tempfile.mkstemp(prefix=".incoming.", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, target)
        except FileExistsError:
            if hashlib.sha256(target.read_bytes()).hexdigest() != sha256:
                raise Clash(target) from None
    finally:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
