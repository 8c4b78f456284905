"""kracht: project applications through the Agenda voor Twente process, with an audit trail.

The repository keeps its layers side by side at its root (`cli.py`, `commands/`, `workflow/`,
`states/`, `notifications/`, `storage/`, `basics/`); the wheel installs them as this one package,
`kracht`, with this file as its `__init__.py` (see `[tool.hatch.build]` in pyproject.toml).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kracht")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
