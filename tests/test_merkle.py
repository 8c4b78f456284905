"""storage/merkle against RFC 9162's definitions, written out naively here (MTH, PATH, PROOF)."""

import hashlib

import pytest

from kracht.storage import merkle


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split(len(leaves))
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    if len(leaves) == 1:
        return []
    k = merkle.split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, complete):
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = merkle.split(n)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


LEAVES = [merkle.leaf_hash(f"event {i}".encode()) for i in range(40)]


def stored(size):
    """The nodes a tree of `size` leaves keeps, appended leaf by leaf."""
    frontier, nodes = merkle.Frontier(), {}
    for leaf in LEAVES[:size]:
        nodes.update({(level, index): h for level, index, h in frontier.append(leaf)})
    return frontier, nodes


def test_the_root_grown_leaf_by_leaf_is_rfc_9162s_at_every_size():
    for size in range(41):
        frontier, nodes = stored(size)
        assert frontier.root() == mth(LEAVES[:size])
        assert [nodes[node] for node in frontier.nodes()] == frontier.hashes
        if size:
            assert merkle.range_hash(0, size, nodes) == mth(LEAVES[:size])


def test_every_inclusion_proof_is_rfc_9162s_path_and_verifies_only_where_it_should():
    for size in range(1, 41):
        _, nodes = stored(size)
        root = mth(LEAVES[:size])
        for index in range(size):
            ranges = merkle.inclusion_ranges(index, size)
            proof = [merkle.range_hash(a, b, nodes) for a, b in ranges]
            assert proof == path(index, LEAVES[:size])
            assert merkle.needed(ranges) <= set(nodes)
            assert merkle.verify_inclusion(index, size, LEAVES[index], proof, root)
            other = (index + 1) % size
            if other != index:
                assert not merkle.verify_inclusion(other, size, LEAVES[index], proof, root)
            assert not merkle.verify_inclusion(
                index, size, LEAVES[index], proof, mth(LEAVES[: size - 1])
            )
            for i in range(len(proof)):
                bent = [*proof]
                bent[i] = bytes([bent[i][0] ^ 1]) + bent[i][1:]
                assert not merkle.verify_inclusion(index, size, LEAVES[index], bent, root)


def test_every_consistency_proof_is_rfc_9162s_proof_and_verifies_only_where_it_should():
    for new in range(1, 41):
        _, nodes = stored(new)
        new_root = mth(LEAVES[:new])
        for old in range(1, new + 1):
            ranges = merkle.consistency_ranges(old, new)
            proof = [merkle.range_hash(a, b, nodes) for a, b in ranges]
            assert proof == subproof(old, LEAVES[:new], True)
            old_root = mth(LEAVES[:old])
            assert merkle.verify_consistency(old, new, old_root, new_root, proof)
            assert not merkle.verify_consistency(
                old, new, mth(LEAVES[1 : old + 1]), new_root, proof
            )
            for i in range(len(proof)):
                bent = [*proof]
                bent[i] = bytes([bent[i][0] ^ 1]) + bent[i][1:]
                assert not merkle.verify_consistency(old, new, old_root, new_root, bent)


@pytest.mark.parametrize(("start", "end"), [(0, 1), (0, 7), (3, 9), (8, 40), (5, 6), (12, 31)])
def test_a_range_is_made_of_aligned_perfect_pieces_covering_it_exactly(start, end):
    covered = []
    for level, index in merkle.pieces(start, end):
        covered.extend(range(index << level, (index + 1) << level))
    assert covered == list(range(start, end))


def test_a_tree_built_level_by_level_has_rfc_9162s_root_at_every_size_and_the_frontier():
    for count in range(41):
        tree = merkle.Levels(LEAVES[:count])
        frontier, _ = stored(count)
        assert tree.frontier() == frontier.hashes
        for size in range(count + 1):
            assert tree.root(size) == mth(LEAVES[:size])
