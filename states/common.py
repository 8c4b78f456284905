"""Needs shared by several transitions."""

from kracht.states.base import Guard, Need

REASON = Need("a reason (--reason)", lambda ctx: bool(ctx.reason and ctx.reason.strip()))
REASON_GIVEN = Guard(None, (REASON,))
