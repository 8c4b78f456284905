"""Files and folders kracht creates are its user's alone: files 0600, folders 0700.

The database, its WAL and shared-memory files, mail files, exports and reports hold personal data
(names, e-mail addresses, scores, decisions), so nobody else on the machine reads them by default.
Only the standard library is used here, so every package may import it.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_folders(folder: Path) -> None:
    """Create `folder` and each missing folder above it 0700; existing folders stay as they are.

    Raises FileExistsError (or NotADirectoryError) when a file stands where a folder should be.
    """
    missing = []
    here = folder
    while not here.is_dir() and here.parent != here:
        missing.append(here)
        here = here.parent
    for path in reversed(missing):
        path.mkdir(mode=FOLDER_MODE, exist_ok=True)


def create_file(path: Path) -> bool:
    """Create `path` as an empty 0600 file; False when something already stands there.

    Never follows a symbolic link (O_EXCL): a link at `path`, even a dangling one, counts as there.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        return False
    return True
