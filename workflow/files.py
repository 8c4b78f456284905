"""The files a user names: read or written whole, and any failure is one line naming the file."""

from __future__ import annotations

import os
from pathlib import Path

from workflow.errors import InvalidInput


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder, not a file") from None
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from None


def read_text(path: Path, encoding: str = "utf-8", hint: str = "") -> str:
    """The file's text; a file that is not UTF-8 is refused (`hint` says what to do instead)."""
    raw = read_bytes(path)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text{'; ' + hint if hint else ''}") from None


def write_text(path: Path, text: str) -> None:
    """Write all of `text` or nothing: through a temporary file moved into place."""
    if path.is_dir():
        raise InvalidInput(f"cannot write {path}: it is a folder")
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {path.parent} does not exist")
    temporary = path.with_name(f".{path.name}.kracht-tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise InvalidInput(f"cannot write {path}: {error.strerror or error}") from None
