"""The Merkle tree over the audit trail, as RFC 9162 section 2.1 defines it.

Leaves are hashed as SHA-256(0x00 || bytes) and interior nodes as SHA-256(0x01 || left || right),
so no leaf can pass for a node. A tree of n leaves splits at the largest power of two below n.

The tree is kept as its *nodes*: node (level, index) is the root of the perfect subtree over
leaves index * 2**level up to (index + 1) * 2**level. Appending a leaf adds it (level 0) and every
perfect subtree it completes (`Frontier.append`); any subtree hash, and so every proof, is then
composed from at most 2 log2(n) stored nodes (`pieces`, `range_hash`). The proofs are RFC 9162's
PATH (2.1.3.1) and PROOF (2.1.4.1), their checks 2.1.3.2 and 2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Node = tuple[int, int]  # (level, index)
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


@dataclass
class Frontier:
    """The roots of the perfect subtrees a tree of `size` leaves decomposes into, largest first:
    enough to append the next leaf and to compute the root."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add `leaf`; the nodes (level, index, hash) it completes, the leaf itself first."""
        index = self.size
        made = [(0, index, leaf)]
        current, level = leaf, 0
        while (index >> level) & 1:  # a left sibling of equal size waits on the frontier
            current = node_hash(self.hashes.pop(), current)
            level += 1
            made.append((level, index >> level, current))
        self.hashes.append(current)
        self.size += 1
        return made

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root

    def nodes(self) -> list[Node]:
        """Where the frontier's hashes stand as stored nodes."""
        return frontier_nodes(self.size)


def frontier_nodes(size: int) -> list[Node]:
    return pieces(0, size)


def pieces(start: int, end: int) -> list[Node]:
    """The stored nodes that make up the leaves start..end (end exclusive), left to right."""
    out: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:  # a node's leaves start at a multiple of its width
            level = min(level, (start & -start).bit_length() - 1)
        out.append((level, start >> level))
        start += 1 << level
    return out


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH of leaves start..end, composed from stored nodes as RFC 9162 splits the range."""
    n = end - start
    if n == 1 << (n.bit_length() - 1) and start % n == 0:
        return nodes[(n.bit_length() - 1, start // n)]
    k = split(n)
    return node_hash(range_hash(start, start + k, nodes), range_hash(start + k, end, nodes))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """PATH(index, D[0:size]) as the leaf ranges whose hashes it lists, leaf side first."""
    out: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    return out[::-1]


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """PROOF(old, D[0:new]) (0 < old <= new) as the leaf ranges whose hashes it lists."""
    out: list[tuple[int, int]] = []
    start, end, complete = 0, new, True
    m = old
    while m != end - start:
        k = split(end - start)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        out.append((start, end))
    return out[::-1]


def needed(ranges: Iterable[tuple[int, int]]) -> set[Node]:
    return {node for start, end in ranges for node in _needed(start, end)}


def _needed(start: int, end: int) -> list[Node]:
    n = end - start
    if n == 1 << (n.bit_length() - 1) and start % n == 0:
        return [(n.bit_length() - 1, start // n)]
    k = split(n)
    return _needed(start, start + k) + _needed(start + k, end)


def root_of(leaves: Iterable[bytes]) -> bytes:
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    folded = _fold(index, size - 1, leaf, path)
    return folded is not None and folded[1] == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2 (an empty old tree is consistent with every tree)."""
    if old > new:
        return False
    if old == new or old == 0:
        return not path and (old == 0 or old_root == new_root)
    if not path:
        return False
    if old & (old - 1) == 0:  # a power of two: the old root is the proof's implicit first hash
        path = [old_root, *path]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    folded = _fold(fn, sn, path[0], path[1:])
    return folded is not None and folded == (old_root, new_root)


def _fold(fn: int, sn: int, seed: bytes, path: list[bytes]) -> tuple[bytes, bytes] | None:
    """RFC 9162's climb from a node to the root: (the old tree's root, the new tree's), or None
    where the path does not fit the sizes. Inclusion reads only the second."""
    fr = sr = seed
    for c in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return (fr, sr) if sn == 0 else None


class Levels:
    """A whole tree built level by level from its leaves (faster than appending them one by
    one): level 0 the leaves, each level above the hashes of the pairs below it, so
    `levels[k][i]` is node (k, i). Gives the root at any size and the frontier."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.levels = [leaves]
        below = leaves
        while len(below) > 1:
            pairs = iter(below)
            below = [node_hash(left, right) for left, right in zip(pairs, pairs, strict=False)]
            self.levels.append(below)

    def __getitem__(self, node: Node) -> bytes:
        level, index = node
        return self.levels[level][index]

    def root(self, size: int) -> bytes:
        return range_hash(0, size, self) if size else EMPTY_ROOT  # type: ignore[arg-type]

    def frontier(self) -> list[bytes]:
        return [self[node] for node in frontier_nodes(len(self.levels[0]))]
