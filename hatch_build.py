"""Gives the wheel's `kracht` package its `__init__.py` and `py.typed` from distribution/.

A hook rather than `force-include`, because hatchling copies forced files into site-packages for
an editable install too, where they would hide the checkout; ./dev links those files instead.
"""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class KrachtPackage(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        build_data["force_include"]["distribution/__init__.py"] = "__init__.py"
        build_data["force_include"]["distribution/py.typed"] = "py.typed"
