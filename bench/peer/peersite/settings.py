"""Settings of the Django peer of kracht's lifecycle step (bench/peer.py runs it).

Fair to Django: no debug (no query log), one persistent connection, the cached template
loader, and the SQLite file opened as kracht opens its own (storage/database.py): WAL,
synchronous=NORMAL, foreign keys on, 30 s busy timeout, and writes starting with BEGIN
IMMEDIATE. The database file is named by KRACHT_PEER_DB.
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

SECRET_KEY = "bench-peer-only"  # noqa: S105 - nothing is signed; Django refuses to start without
DEBUG = False
ALLOWED_HOSTS: list[str] = []
INSTALLED_APPS = ["road"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("KRACHT_PEER_DB", str(HERE / "peer.db")),
        "CONN_MAX_AGE": None,  # one connection for the whole run
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",  # as kracht's writes: BEGIN IMMEDIATE
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;"
                " PRAGMA synchronous=NORMAL;"
            ),
        },
    }
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "road" / "templates"],
        "OPTIONS": {
            "debug": False,
            "loaders": [  # parsed once, then served from memory
                (
                    "django.template.loaders.cached.Loader",
                    ["django.template.loaders.filesystem.Loader"],
                )
            ],
        },
    }
]
