"""The files a user names: read or written whole, and any failure is one line naming the file.

Writing never goes through what stands at the name. A folder, a symbolic link, a device, FIFO or
socket, and a file the user may not write (by its permission bits, also for root) are refused. The
content goes to a fresh temporary file in the same folder (tempfile.mkstemp: an unpredictable name
created with O_EXCL, so nobody can plant a link there first) that is then moved over the name
(os.replace), so a reader sees the old file or the new one, never half of it. A new file is
owner-only (0600) and a new folder 0700; a file that is replaced keeps its permission bits.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from kracht.basics.errors import InvalidInput
from kracht.storage.private import make_folders

MAX_READ = 64 * 1024 * 1024  # 64 MiB: far above any spreadsheet, score or settings file


def read_bytes(path: Path, limit: int = MAX_READ) -> bytes:
    """The whole file, if it is a regular file of at most `limit` bytes. A device (/dev/zero),
    FIFO or socket is refused before anything is read, so reading never hangs or fills memory."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as file:
            if stat.S_ISDIR(os.fstat(file.fileno()).st_mode):
                raise IsADirectoryError(path)
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise InvalidInput(f"{path} is not a regular file; give a file")
            data = file.read(limit + 1)
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder, not a file") from None
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > limit:
        raise InvalidInput(f"{path} is larger than {limit // 2**20} MiB; give a smaller file")
    return data


def read_text(path: Path, encoding: str = "utf-8", hint: str = "") -> str:
    """The file's text; a file that is not UTF-8 is refused (`hint` says what to do instead)."""
    raw = read_bytes(path)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text{'; ' + hint if hint else ''}") from None


def write_text(path: Path, text: str) -> None:
    """Write all of `text` (UTF-8) to `path` or nothing; see `write_bytes`."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write all of `data` to `path` or nothing, after refusing what may not be written over."""
    old = writable(path)
    try:
        _replace(_stage(path, data, old), path)
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror or error}") from None


def write_files(folder: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write every file into `folder` (created 0700 when missing): all of them or none."""
    try:
        make_folders(folder)
    except (FileExistsError, NotADirectoryError):
        raise InvalidInput(
            f"cannot write to {folder}: a file stands where the folder should be; name a folder"
        ) from None
    except OSError as error:
        raise InvalidInput(f"cannot write to {folder}: {error.strerror or error}") from None
    targets = {folder / name: content for name, content in files.items()}
    olds = {target: writable(target) for target in targets}
    staged: list[tuple[str, Path]] = []
    try:
        for target, content in targets.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            staged.append((_stage(target, data, olds[target]), target))
        for temporary, target in staged:
            _replace(temporary, target)
    except OSError as error:
        for temporary, _ in staged:
            with suppress(FileNotFoundError):
                os.unlink(temporary)
        raise InvalidInput(f"cannot write to {folder}: {error.strerror or error}") from None
    return list(targets)


def writable(path: Path) -> os.stat_result | None:
    """What stands at `path` when kracht may replace it, None when nothing does; else refused."""
    if str(path) == "-":
        raise InvalidInput("cannot write -: leave out the file option to print to the terminal")
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise InvalidInput(
                f"cannot write {path}: the folder {path.parent} does not exist"
            ) from None
        return None
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror or error}") from None
    refusal = _refusal(path, found)
    if refusal:
        raise InvalidInput(f"cannot write {path}: {refusal}")
    return found


def _refusal(path: Path, found: os.stat_result) -> str | None:
    mode = found.st_mode
    if stat.S_ISLNK(mode):
        return f"it is a symbolic link{_to(path)}; name the file itself or another file"
    if stat.S_ISDIR(mode):
        return "it is a folder; name a file to write"
    if not stat.S_ISREG(mode):
        return f"it is a {_kind(mode)}, not a regular file; name a regular file to write"
    if not _may_write(path, found):
        return (
            f"it is read-only for you ({stat.filemode(mode)}); "
            "make it writable first or name another file"
        )
    return None


def _to(link: Path) -> str:
    try:
        return f" to {os.readlink(link)}"
    except OSError:
        return ""


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _may_write(path: Path, found: os.stat_result) -> bool:
    """The system lets us write it, and so do its write bits for who we are: root passes every
    permission check, but a file its owner made read-only stays read-only for kracht."""
    if not os.access(path, os.W_OK):
        return False
    if found.st_uid == os.geteuid():
        bit = stat.S_IWUSR
    elif found.st_gid == os.getegid() or found.st_gid in os.getgroups():
        bit = stat.S_IWGRP
    else:
        bit = stat.S_IWOTH
    return bool(found.st_mode & bit)


def _stage(path: Path, data: bytes, old: os.stat_result | None) -> str:
    """`data` in a new 0600 temporary file beside `path` (with `old`'s permission bits when it
    replaces a file); returns the temporary file's name."""
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name[:64]}.", suffix=".kracht-tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            if old is not None:
                os.fchmod(file.fileno(), stat.S_IMODE(old.st_mode) & 0o777)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary


def _replace(temporary: str, path: Path) -> None:
    try:
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def replace_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file, for files kracht names itself (mail);
    raises OSError. A link or file at `path` is replaced, never written through."""
    _replace(_stage(path, data, None), path)


def write_secret(path: Path, text: str) -> None:
    """Write `text` to a new file `path` that only its owner may read (a key); an existing
    file is never replaced."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(f"{path} exists already; name a new file") from None
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror or error}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
