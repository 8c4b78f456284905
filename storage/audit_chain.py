"""The chain's head as appenders hold it, and the next event made from it.

`Chain` is what the locked `audit_head` row says: the last event's number and hash, the format
the trail is written in, and the Merkle tree's frontier (the roots of its perfect subtrees,
largest first, as one text of hex hashes). `add` numbers, links and hashes the next event under
format 2 and returns its row with the tree nodes it completes; `head` is the row's new values.
A trail still in format 1 first gets its `audit.format` event (`change`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kracht.storage import merkle
from kracht.storage.audit_format import CHANGE, FORMAT, canonical_bytes


@dataclass
class Chain:
    seq: int
    hash: str
    format: int
    frontier: merkle.Frontier

    @classmethod
    def from_head(cls, seq: int, digest: str, fmt: int, frontier: str) -> Chain:
        hashes = [bytes.fromhex(frontier[i : i + 64]) for i in range(0, len(frontier), 64)]
        return cls(seq, digest, fmt, merkle.Frontier(seq, hashes))

    def add(self, fields: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The next event (its columns, `fields` plus seq, prev_hash, format, body, hash) and
        the tree nodes it completes (rows of audit_node)."""
        row = {**fields, "seq": self.seq + 1, "prev_hash": self.hash, "format": FORMAT}
        body = canonical_bytes(row)
        leaf = merkle.leaf_hash(body)
        row["body"], row["hash"] = body, leaf.hex()
        nodes = [
            {"level": level, "idx": index, "hash": digest}
            for level, index, digest in self.frontier.append(leaf)
        ]
        self.seq, self.hash, self.format = row["seq"], row["hash"], FORMAT
        return row, nodes

    def change(self, actor: str, roles: str, at: dt.datetime, salt: str) -> dict[str, Any] | None:
        """The fields of the `audit.format` event a trail in an older format needs first."""
        if self.format >= FORMAT:
            return None
        return dict(
            at=at,
            actor=actor,
            roles=roles,
            application_id=None,
            action=CHANGE,
            trigger=None,
            from_state=None,
            to_state=None,
            outcome="ok",
            reason=f"the audit trail is written in format {FORMAT} from this event on",
            payload={"format": FORMAT, "previous_format": self.format, "salt": salt},
        )

    def head(self) -> dict[str, Any]:
        return {
            "new_seq": self.seq,
            "new_hash": self.hash,
            "new_format": self.format,
            "new_frontier": "".join(h.hex() for h in self.frontier.hashes),
        }
