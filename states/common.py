"""Needs shared by several transitions."""

from kracht.states.base import Guard, Need

REASON = Need("a reason", lambda ctx: bool(ctx.reason and ctx.reason.strip()), key="reason")
REASON_GIVEN = Guard(None, (REASON,))
