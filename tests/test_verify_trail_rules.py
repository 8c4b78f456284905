"""docs/verify_trail.py against independent vectors: RFC 8785's examples and the `rfc8785`
package, RFC 8032's test vectors and the `cryptography` package, a Merkle tree written here
straight from RFC 9162's definitions, checkpoints signed here by the C2SP specifications, and a
small synthetic export (format 1, the change of format, format 2) run through the command line
with each kind of tampering it must name. Nothing here imports kracht."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
VERIFIER = ROOT / "docs" / "verify_trail.py"


def _verifier() -> Any:
    spec = importlib.util.spec_from_file_location("verify_trail", VERIFIER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_trail"] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


V = _verifier()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- RFC 8785 --------------------------------------------------------------------------------------

# RFC 8785 Appendix B: IEEE 754 doubles (as hex) and how ECMAScript writes them.
NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("ieee", "written"), NUMBERS)
def test_numbers_are_written_as_rfc_8785_appendix_b_says(ieee, written):
    (number,) = struct.unpack(">d", bytes.fromhex(ieee))

    assert V.canonical_json(number) == written.encode()


@pytest.mark.parametrize(
    ("number", "written"),
    [(2.0, "2"), (1e21, "1e+21"), (1e-7, "1e-7"), (0.000001, "0.000001"), (-0.0, "0")],
)
def test_the_numbers_the_document_names(number, written):
    assert V.canonical_json(number) == written.encode()


@pytest.mark.parametrize("ieee", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinity_are_refused(ieee):
    (number,) = struct.unpack(">d", bytes.fromhex(ieee))

    with pytest.raises(V.NotCanonical):
        V.canonical_json(number)


def test_the_rfc_8785_sorting_example():
    """RFC 8785 3.2.3: keys sorted by UTF-16 code units; the emoji (a surrogate pair, D83D)
    comes before U+FB33, though its code point is larger."""
    names = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    written = V.canonical_json(names).decode("utf-8")

    order = [written.index(json.dumps(value)) for value in names.values()]
    assert [list(names)[i] for i in sorted(range(len(order)), key=order.__getitem__)] == [
        "\r",
        "1",
        "\u0080",
        "\u00f6",
        "\u20ac",
        "\U0001f600",
        "\ufb33",
    ]
    assert sorted(names) != [  # Python's own order (code points) is another one
        "\r",
        "1",
        "\u0080",
        "\u00f6",
        "\u20ac",
        "\U0001f600",
        "\ufb33",
    ]


def test_the_rfc_8785_serialisation_example():
    """RFC 8785 3.2.4's sample input and its canonical form."""
    parsed = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )

    assert (
        V.canonical_json(parsed)
        == (
            '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
            '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
        ).encode()
    )


def test_text_is_escaped_as_in_format_1():
    text = '€ 🚲 " \\ / \b\f\n\r\t \x01\x1f \x7f \u2028'

    assert (
        V.canonical_json(text)
        == ('"€ 🚲 \\" \\\\ / \\b\\f\\n\\r\\t \\u0001\\u001f \x7f \u2028"').encode()
    )


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=6), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES)
def test_the_canonical_form_is_the_rfc8785_packages(value):
    assert V.canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(st.characters(min_codepoint=0xE000, codec="utf-8"), max_size=3), st.integers()
    )
)
def test_keys_beyond_the_bmp_sort_as_utf_16(value):
    """Keys from the private use area up to U+10FFFF: where UTF-16 and code points disagree."""
    value = {k: v % 1000 for k, v in value.items()}

    assert V.canonical_json(value) == rfc8785.dumps(value)


def test_an_integer_beyond_2_to_the_53_is_refused():
    assert V.canonical_json(2**53) == b"9007199254740992"
    assert V.canonical_json(-(2**53)) == b"-9007199254740992"
    for number in (2**53 + 1, -(2**53) - 1, 10**30):
        with pytest.raises(V.NotCanonical, match="beyond 2\\*\\*53"):
            V.canonical_json({"amount": [number]})


def test_a_lone_surrogate_is_refused():
    with pytest.raises(V.NotCanonical, match="lone surrogate"):
        V.canonical_json(json.loads('{"reason": "\\ud83d"}'))


# -- Ed25519 (RFC 8032) ----------------------------------------------------------------------------

# RFC 8032 section 7.1, TEST 1 to TEST 3: secret key, public key, message, signature.
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_rfc_8032_vectors_verify(secret, public, message, signature):
    public, message, signature = map(bytes.fromhex, (public, message, signature))
    # the vectors copied right: cryptography derives the same key and signature from the secret
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    assert private.public_key().public_bytes_raw() == public
    assert private.sign(message) == signature

    assert V.ed25519_verify(public, message, signature)


def _flipped(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_a_flipped_bit_fails(secret, public, message, signature):
    public, message, signature = map(bytes.fromhex, (public, message, signature))
    assert not V.ed25519_verify(public, message + b"\x00", signature)  # another message
    for byte in range(64):  # one bit in every byte of the signature, each bit position in turn
        assert not V.ed25519_verify(public, message, _flipped(signature, byte * 8 + byte % 8))
    for byte in range(32):
        assert not V.ed25519_verify(_flipped(public, byte * 8 + byte % 8), message, signature)
    for bit in range(len(message) * 8):
        assert not V.ed25519_verify(public, _flipped(message, bit), signature)


def test_a_signature_with_s_beyond_the_group_order_fails():
    """S + L encodes the same scalar modulo L; RFC 8032 5.1.7 rejects S >= L."""
    _secret, public, message, signature = map(bytes.fromhex, RFC8032[1])
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(signature[32:], "little") + order
    assert s < 2**256

    assert not V.ed25519_verify(public, message, signature[:32] + s.to_bytes(32, "little"))
    assert not V.ed25519_verify(public[:31], message, signature)
    assert not V.ed25519_verify(public, message, signature[:63])


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=300))
def test_signatures_made_with_cryptography_verify(seed, message):
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes_raw()
    signature = private.sign(message)

    assert V.ed25519_verify(public, message, signature)
    assert not V.ed25519_verify(public, message + b"!", signature)


# -- the Merkle tree, from RFC 9162's definitions --------------------------------------------------


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    """MTH(D[n]), RFC 9162 2.1.1."""
    if not d:
        return sha256(b"")
    if len(d) == 1:
        return sha256(b"\x00" + d[0])
    k = _k(len(d))
    return sha256(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), RFC 9162 2.1.3.1."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]), RFC 9162 2.1.4.1."""
    return subproof(m, d, True)


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def root_from_path(m: int, n: int, leaf: bytes, audit_path: list[bytes]) -> bytes | None:
    """The root PATH's recursion leads to from `leaf` (None where the path has another length):
    what an inclusion proof claims, computed from the definition rather than RFC 9162's loop."""
    if n == 1:
        return None if audit_path else leaf
    if not audit_path:
        return None
    k = _k(n)
    if m < k:
        below = root_from_path(m, k, leaf, audit_path[:-1])
        return None if below is None else sha256(b"\x01" + below + audit_path[-1])
    below = root_from_path(m - k, n - k, leaf, audit_path[:-1])
    return None if below is None else sha256(b"\x01" + audit_path[-1] + below)


D = [f"event {i} – € 🚲".encode() for i in range(40)]
LEAVES = [sha256(b"\x00" + d) for d in D]


def _bit_flips(elements: list[bytes], every_bit: bool) -> list[list[bytes]]:
    """The path with one bit flipped: every bit, or one bit in every byte."""
    bits = range(256) if every_bit else [byte * 8 + byte % 8 for byte in range(32)]
    return [
        [*elements[:i], _flipped(element, bit), *elements[i + 1 :]]
        for i, element in enumerate(elements)
        for bit in bits
    ]


def test_the_root_is_mth_for_every_size_up_to_40():
    for n in range(41):
        assert V.tree_root(LEAVES[:n]) == mth(D[:n]), n
    assert V.tree_root([]) == sha256(b"") == V.EMPTY_ROOT


@pytest.mark.parametrize("n", range(1, 41))
def test_inclusion_proofs_for_every_leaf_hold_and_tampered_ones_do_not(n):
    root = mth(D[:n])
    for m in range(n):
        audit_path = path(m, D[:n])
        assert V.inclusion_holds(m, n, LEAVES[m], audit_path, root), (m, n)
        for tampered in _bit_flips(audit_path, every_bit=n <= 12):
            assert not V.inclusion_holds(m, n, LEAVES[m], tampered, root)
        for index in range(-1, n + 2):  # a wrong index, in the tree or beyond it
            if index != m:
                assert not V.inclusion_holds(index, n, LEAVES[m], audit_path, root), (index, m, n)
        assert not V.inclusion_holds(m, n, LEAVES[(m + 1) % 40], audit_path, root)
        assert not V.inclusion_holds(m, n, LEAVES[m], [*audit_path, root], root)
        if audit_path:
            assert not V.inclusion_holds(m, n, LEAVES[m], audit_path[:-1], root)


@pytest.mark.parametrize("n", range(1, 41))
def test_an_inclusion_proof_holds_for_another_size_only_where_the_definition_agrees(n):
    """A wrong size is rejected, except where the tree of that size has the very same shape
    around the leaf (RFC 9162's loop and PATH's recursion agree there, and the size is bound
    by the checkpoint the root comes from: see the proof tests below)."""
    root = mth(D[:n])
    rejected = 0
    for m in range(n):
        audit_path = path(m, D[:n])
        for size in range(1, 45):
            if size == n:
                continue
            claimed = root_from_path(m, size, LEAVES[m], audit_path) == root
            holds = V.inclusion_holds(m, size, LEAVES[m], audit_path, root)
            assert holds == (claimed and m < size), (m, n, size)
            rejected += not holds
    assert rejected > 0


def roots_from_proof(
    m: int, n: int, b: bool, consistency: list[bytes], old_root: bytes
) -> tuple[bytes, bytes] | None:
    """The old and the new root SUBPROOF(m, D[n], b)'s recursion leads to from a consistency
    path (None where the path has another length): what the proof claims, computed from the
    definition rather than RFC 9162's loop. With b, the old tree's root is not in the path."""
    if m == n:
        if b:
            return None if consistency else (old_root, old_root)
        return (consistency[0], consistency[0]) if len(consistency) == 1 else None
    if not consistency:
        return None
    k, last = _k(n), consistency[-1]
    if m <= k:
        below = roots_from_proof(m, k, b, consistency[:-1], old_root)
        return None if below is None else (below[0], sha256(b"\x01" + below[1] + last))
    below = roots_from_proof(m - k, n - k, False, consistency[:-1], old_root)
    if below is None:
        return None
    return sha256(b"\x01" + last + below[0]), sha256(b"\x01" + last + below[1])


@pytest.mark.parametrize("n", range(0, 41))
def test_consistency_proofs_for_every_old_size_hold_and_tampered_ones_do_not(n):
    new_root = mth(D[:n])
    for m in range(n + 1):
        old_root, consistency = mth(D[:m]), (proof(m, D[:n]) if m else [])
        assert V.consistency_holds(m, n, old_root, new_root, consistency), (m, n)
        for tampered in _bit_flips(consistency, every_bit=n <= 12):
            assert not V.consistency_holds(m, n, old_root, new_root, tampered), (m, n)
        assert not V.consistency_holds(m, n, sha256(b"other"), new_root, consistency)
        if m:  # the empty tree is the start of every tree (its size binds nothing)
            assert not V.consistency_holds(m, n, old_root, sha256(b"other"), consistency)
        if 0 < m < n:
            assert not V.consistency_holds(m, n, old_root, new_root, [*consistency, new_root])
            assert not V.consistency_holds(m, n, old_root, new_root, consistency[:-1])


@pytest.mark.parametrize("n", range(2, 41))
def test_a_consistency_proof_holds_for_other_sizes_only_where_the_definition_agrees(n):
    """Other sizes are rejected, except where the trees of those sizes have the very same shape
    (RFC 9162's loop and SUBPROOF's recursion agree there; the sizes are bound by the
    checkpoints the roots come from: see the proof tests below)."""
    new_root, rejected = mth(D[:n]), 0
    for m in range(1, n):
        old_root, consistency = mth(D[:m]), proof(m, D[:n])
        for old in range(1, 44):
            for new in range(old + 1, 45):
                if (old, new) == (m, n):
                    continue
                claimed = roots_from_proof(old, new, True, consistency, old_root)
                holds = V.consistency_holds(old, new, old_root, new_root, consistency)
                assert holds == (claimed == (old_root, new_root)), (m, n, old, new)
                rejected += not holds
        assert not V.consistency_holds(n, m, old_root, new_root, consistency)
    assert rejected > 0


def test_the_consistency_rules_for_equal_sizes_and_the_empty_tree():
    root = mth(D[:5])

    assert V.consistency_holds(5, 5, root, root, [])
    assert not V.consistency_holds(5, 5, root, root, [root])
    assert not V.consistency_holds(5, 5, root, mth(D[:4]), [])
    assert V.consistency_holds(0, 5, sha256(b""), root, [])
    assert not V.consistency_holds(0, 5, sha256(b""), root, [root])
    assert not V.consistency_holds(0, 5, root, root, [])
    assert not V.consistency_holds(6, 5, root, root, [])


# -- checkpoints (C2SP signed-note, tlog-checkpoint, tlog-cosignature) -----------------------------

ORIGIN = "kracht.example.org/agenda-voor-twente"


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return sha256(name.encode() + b"\n" + bytes([kind]) + public)[:4]


def public_of(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes_raw()


def vkey(private: Ed25519PrivateKey, name: str = ORIGIN) -> str:
    public = public_of(private)
    encoded = b64(b"\x01" + public)
    return f"{name}+{key_id(name, 1, public).hex()}+{encoded}\n"


def checkpoint(
    private: Ed25519PrivateKey,
    size: int,
    root: bytes,
    timestamp: int | None = None,
    origin: str = ORIGIN,
    log_signature: bool = True,
    extra: str = "",
    name: str | None = None,
) -> bytes:
    """A checkpoint signed as the C2SP specifications say (by the key named `name`, the origin
    unless given), with its cosignature where `timestamp` is given and `extra` signature lines
    after the log's own."""
    body = f"{origin}\n{size}\n{b64(root)}\n".encode()
    public, name = public_of(private), name or origin
    lines = []
    if log_signature:
        lines.append(f"— {name} {b64(key_id(name, 1, public) + private.sign(body))}\n")
    if timestamp is not None:
        signed = b"cosignature/v1\ntime %d\n" % timestamp + body
        stamp = key_id(name, 4, public) + timestamp.to_bytes(8, "big") + private.sign(signed)
        lines.append(f"— {name} {b64(stamp)}\n")
    return body + b"\n" + "".join([*lines, extra]).encode()


KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
WITNESS = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
SIGNED_AT = int(datetime(2026, 12, 3, 10, 30, tzinfo=UTC).timestamp())


def _read(tmp_path: Path, data: bytes, key: str = vkey(KEY)) -> Any:
    (tmp_path / "cp").write_bytes(data)
    (tmp_path / "vkey").write_text(key, encoding="utf-8")
    return V.read_checkpoint(str(tmp_path / "cp"), V.read_key(str(tmp_path / "vkey")))


def test_a_checkpoint_verifies_and_gives_its_size_root_and_time(tmp_path):
    root = mth(D[:7])

    read = _read(tmp_path, checkpoint(KEY, 7, root, SIGNED_AT))

    assert (read.origin, read.size, read.root, read.time) == (ORIGIN, 7, root, SIGNED_AT)


def test_a_checkpoint_without_its_cosignature_verifies_but_has_no_time(tmp_path):
    read = _read(tmp_path, checkpoint(KEY, 7, mth(D[:7])))

    assert (read.size, read.time) == (7, None)


def test_a_witness_signature_line_is_ignored(tmp_path):
    body = f"{ORIGIN}\n7\n{b64(mth(D[:7]))}\n".encode()
    witness_id = key_id("witness.example", 4, public_of(WITNESS))
    foreign = f"— witness.example {b64(witness_id + bytes(8) + WITNESS.sign(body))}\n"
    garbage = f"— other.example {b64(b'abcd' + bytes(64))}\n"  # no valid signature at all

    read = _read(tmp_path, checkpoint(KEY, 7, mth(D[:7]), SIGNED_AT, extra=foreign + garbage))

    assert (read.size, read.time) == (7, SIGNED_AT)


@pytest.mark.parametrize("size", [0, 40])
def test_a_changed_byte_anywhere_fails(tmp_path, size):
    """Every byte of the checkpoint, one bit changed (and another for the body's bytes): each is
    refused, never a traceback, never silently the time dropped."""
    data = checkpoint(KEY, size, mth(D[:size]), SIGNED_AT)
    for index in range(len(data)):
        for mask in (1, 64) if index < data.index(b"\n\n") else (1,):
            changed = bytearray(data)
            changed[index] ^= mask
            with pytest.raises(V.Failure):
                _read(tmp_path, bytes(changed))
    for cut in (data[:-1], data + b"\n", data[: data.index(b"\n\n") + 2]):
        with pytest.raises(V.Failure):
            _read(tmp_path, cut)


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@pytest.mark.parametrize("line", [0, 1])
def test_a_signature_in_another_spelling_of_its_base64_fails(tmp_path, line):
    """The bits base64's last character holds beyond the data (68 and 76 bytes leave 2 and 4)
    set: the same bytes decoded, but other bytes in the file, so refused."""
    data = checkpoint(KEY, 7, mth(D[:7]), SIGNED_AT).decode()
    lines = data.split("\n")
    signature_line = lines[4 + line]
    last = signature_line.rstrip("=")[-1]
    respelled = signature_line.rstrip("=")[:-1] + B64[B64.index(last) + 1]
    respelled += "=" * (len(signature_line) - len(signature_line.rstrip("=")))
    encoded = respelled.rsplit(" ", 1)[1]
    assert base64.b64decode(encoded) == base64.b64decode(signature_line.rsplit(" ", 1)[1])
    lines[4 + line] = respelled

    with pytest.raises(V.Failure, match="is not a signature line"):
        _read(tmp_path, "\n".join(lines).encode())


def test_a_wrong_key_fails(tmp_path):
    data = checkpoint(KEY, 7, mth(D[:7]), SIGNED_AT)

    with pytest.raises(V.Failure, match="is not by the key given"):  # same name, another key
        _read(tmp_path, data, vkey(OTHER))
    with pytest.raises(V.Failure, match="holds no signature by the key other.example"):
        _read(tmp_path, data, vkey(KEY, "other.example"))


def test_a_checkpoint_without_the_log_signature_fails(tmp_path):
    with pytest.raises(V.Failure, match="holds no signature by the key"):
        _read(tmp_path, checkpoint(KEY, 7, mth(D[:7]), SIGNED_AT, log_signature=False))


def test_a_checkpoint_of_another_origin_fails(tmp_path):
    """Signed by the log's key, but the tree of another log."""
    data = checkpoint(KEY, 7, mth(D[:7]), SIGNED_AT, origin="other.example", name=ORIGIN)

    with pytest.raises(V.Failure, match=f"its origin other.example is not the key's name {ORIGIN}"):
        _read(tmp_path, data)


@pytest.mark.parametrize(
    "change",
    [
        lambda k: k.replace("+", "-", 1),  # no key ID
        lambda k: k[:-2] + "\n",  # the key cut short
        lambda k: k.rstrip("\n") + "\n\n",
        lambda k: " " + k,
        lambda k: k.split("+")[0] + "+00000000+" + k.split("+", 2)[2],  # another key ID
        lambda k: "other" + k,  # another name: the key ID no longer agrees
    ],
)
def test_a_verifier_key_whose_parts_disagree_fails(tmp_path, change):
    data = checkpoint(KEY, 7, mth(D[:7]), SIGNED_AT)

    with pytest.raises(V.Failure, match="^key "):
        _read(tmp_path, data, change(vkey(KEY)))


# -- the command line, end to end, on a synthetic export -------------------------------------------

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat(timespec="microseconds")


def _event(seq: int, at: str, action: str, reason: str | None, payload: dict[str, Any]) -> dict:
    return {
        "seq": seq,
        "at": at,
        "actor": "petra.meijer@example.org",
        "roles": "programme_leader",
        "application_id": 3 if action == "fire" else None,
        "action": action,
        "trigger": "approve" if action == "fire" else None,
        "from_state": "steering_decision" if action == "fire" else None,
        "to_state": "monitoring" if action == "fire" else None,
        "outcome": "ok",
        "reason": reason,
        "payload": {**payload, "salt": hashlib.sha256(b"salt %d" % seq).hexdigest()},
    }


def _format_one_bytes(event: dict[str, Any]) -> bytes:
    """Format 1 as docs/audit-format.md gives it: Python's compact sorted-key JSON, UTF-8."""
    hashed = {k: v for k, v in event.items() if k not in ("hash", "format")}
    return json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _format_two_bytes(event: dict[str, Any]) -> bytes:
    """Format 2 by the rfc8785 package: the 13 fields and "format": 2."""
    return rfc8785.dumps({k: v for k, v in event.items() if k != "hash"})


def chain(events: list[dict[str, Any]], start: str = "0" * 64) -> tuple[list[dict], list[bytes]]:
    """The events linked and hashed (by their `format`), and each one's leaf input: the
    canonical bytes whose SHA-256(0x00 || ...) is the leaf hash."""
    prev, hashed, data = start, [], []
    for event in events:
        event = {**event, "prev_hash": prev}
        if event.get("format", 1) == 2:
            canonical = _format_two_bytes(event)
            event["hash"] = sha256(b"\x00" + canonical).hex()
        else:
            canonical = _format_one_bytes(event)
            event["hash"] = sha256(canonical).hex()
        prev = event["hash"]
        hashed.append(event)
        data.append(canonical)
    return hashed, data


def trail(reason: str = "toegekend: € 64.389 voor fietsen 🚲", minutes: float = 0) -> list[dict]:
    """Three format-1 events, the change of format (#4), four format-2 events."""
    events = [
        _event(1, _at(1), "person.add", None, {"email": "gertjan.brink@example.org"}),
        {**_event(2, _at(2), "create", "café ‘De Zwaan’", {"title": "Tweewielers"}), "format": 1},
        _event(3, _at(3), "record", None, {"values": {"ratio": 0.25, "amount": 6438900}}),
        {**_event(4, _at(4), "audit.format", "format 2", {"format": 2}), "format": 2},
    ]
    for seq in range(5, 9):
        payload = {"values": {"granted": 6438900 + seq, "share": 2.5, "€": "🚲"}}
        events.append({**_event(seq, _at(seq + minutes), "fire", reason, payload), "format": 2})
    return events


def export_lines(events: list[dict]) -> bytes:
    return b"".join(
        json.dumps(e, ensure_ascii=False, sort_keys=True).encode() + b"\n" for e in events
    )


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """The verifier in its own process, isolated, as an auditor runs it."""
    result = subprocess.run(
        [sys.executable, "-I", str(VERIFIER), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
    )
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def kept(tmp_path: Path) -> dict[str, Any]:
    """The synthetic trail, its export, the key, and checkpoints kept at sizes 4 and 8 (signed
    half an hour after the last event: 10:30)."""
    events, data = chain(trail())
    (tmp_path / "vkey").write_text(vkey(KEY), encoding="utf-8")
    (tmp_path / "cp4").write_bytes(checkpoint(KEY, 4, mth(data[:4]), SIGNED_AT - 1500))
    (tmp_path / "cp8").write_bytes(checkpoint(KEY, 8, mth(data), SIGNED_AT))
    (tmp_path / "audit.jsonl").write_bytes(export_lines(events))
    return {"events": events, "data": data}


def checked(tmp_path: Path, events: list[dict], *checkpoints: str) -> tuple[int, str, str]:
    (tmp_path / "given.jsonl").write_bytes(export_lines(events))
    options = [word for cp in checkpoints for word in ("--checkpoint", cp)]
    return run(tmp_path, "given.jsonl", *options, "--key", "vkey")


def test_the_synthetic_export_holds_non_ascii_text_in_both_formats(kept, tmp_path):
    raw = (tmp_path / "audit.jsonl").read_bytes()
    assert "€".encode() in raw
    assert "🚲".encode() in raw
    assert b"\\u20ac" not in raw
    assert [e.get("format", 1) for e in kept["events"]] == [1, 1, 1, 2, 2, 2, 2, 2]
    # format 1's hash is not its leaf hash; format 2's is
    first, fifth = kept["events"][0], kept["events"][4]
    assert first["hash"] != sha256(b"\x00" + kept["data"][0]).hex()
    assert fifth["hash"] == sha256(b"\x00" + kept["data"][4]).hex()


def test_the_export_with_its_checkpoints_holds(kept, tmp_path):
    last = kept["events"][-1]["hash"]

    code, out, err = checked(tmp_path, kept["events"], "cp4", "cp8")

    assert (code, err) == (0, "")
    assert out == (
        f"8 events verified (#1 to #8, format 1, format 2 from #4); the last event's hash is "
        f"{last}: keep it elsewhere, to detect a later cut or rewrite (--anchor 8:{last})\n"
        f"checkpoint {ORIGIN} size 4 holds\n"
        f"checkpoint {ORIGIN} size 8 holds\n"
    )


def test_an_edited_event_is_named(kept, tmp_path):
    events = [dict(e) for e in kept["events"]]
    events[5]["reason"] = "toegekend: € 643.890 voor fietsen 🚲"

    assert checked(tmp_path, events, "cp8") == (
        1,
        "event #6 (line 6) does not hold: its contents do not match its hash (a changed event); "
        "the 5 events before it verify\n",
        "",
    )


def test_a_deleted_event_is_named(kept, tmp_path):
    events = [e for e in kept["events"] if e["seq"] != 6]

    assert checked(tmp_path, events, "cp8") == (
        1,
        "event #7 (line 6) does not hold: expected event #6 here, found #7 (event #6 is "
        "missing); the 5 events before it verify\n",
        "",
    )


@pytest.mark.parametrize("kept_events", [7, 6, 0])
def test_a_cut_tail_is_named(kept, tmp_path, kept_events):
    events = kept["events"][:kept_events]
    code, out, err = checked(tmp_path, events)
    assert (code, err) == (0, "")  # on its own it verifies

    assert checked(tmp_path, events, "cp8") == (
        1,
        f"checkpoint {ORIGIN} size 8 does not hold: cut tail: the export ends at event "
        f"#{kept_events}; events #{kept_events + 1}..#8 are gone\n",
        "",
    )


def test_a_cut_tail_refilled_after_the_checkpoint_is_named(kept, tmp_path):
    """Events #7 and #8 cut and written anew (and a #9), recorded after the checkpoint's
    signing at 10:30: the chain holds, the root of size 8 does not."""
    refill = [e for e in trail("another decision", minutes=40) if e["seq"] >= 7]
    refill.append({**refill[-1], "seq": 9, "at": _at(50)})
    tail, _data = chain(refill, start=kept["events"][5]["hash"])
    events = [*kept["events"][:6], *tail]

    assert checked(tmp_path, events, "cp4", "cp8") == (
        1,
        f"checkpoint {ORIGIN} size 8 does not hold: cut and refilled: events #7..#8 were "
        "recorded after the checkpoint was signed at 2026-12-03T10:30:00+00:00\n",
        "",
    )


def rewritten() -> list[dict]:
    """The whole trail rewritten by someone with the database: another actor on every event, a
    grant ten times larger, the times kept."""
    events = trail("toegekend: € 643.890 voor fietsen 🚲")
    return [{**event, "actor": "mallory@example.org"} for event in events]


def test_a_full_rewrite_with_every_hash_recomputed_is_named(kept, tmp_path):
    """Every event rewritten, every hash recomputed: the chain holds on its own, the first
    checkpoint names the rewrite."""
    events, _data = chain(rewritten())
    assert all(new["hash"] != old["hash"] for new, old in zip(events, kept["events"], strict=True))
    assert [e["at"] for e in events] == [e["at"] for e in kept["events"]]

    code, out, err = checked(tmp_path, events)
    assert (code, err) == (0, "")  # on its own it verifies

    assert checked(tmp_path, events, "cp4", "cp8") == (
        1,
        f"checkpoint {ORIGIN} size 4 does not hold: rewritten: the first 4 events are not the "
        "ones checkpointed (their hashes were recomputed)\n",
        "",
    )


def test_a_rewrite_after_the_first_checkpoint_is_named_by_the_second(kept, tmp_path):
    events, _data = chain(trail("toegekend: € 643.890 voor fietsen 🚲"))

    assert checked(tmp_path, events, "cp4", "cp8") == (
        1,
        f"checkpoint {ORIGIN} size 8 does not hold: rewritten: the first 8 events are not the "
        "ones checkpointed (their hashes were recomputed)\n",
        "",
    )


@pytest.mark.parametrize(("seconds", "named"), [(0.999999, "rewritten"), (1, "cut and refilled")])
def test_a_refill_is_named_from_a_second_after_the_checkpoint(kept, tmp_path, seconds, named):
    """An event recorded within the second the checkpoint was signed may have been written
    before it; from a second after, it was not."""
    refill = [e for e in trail("another decision") if e["seq"] >= 7]
    refill[0]["at"] = (
        datetime.fromtimestamp(SIGNED_AT, UTC) + timedelta(seconds=seconds)
    ).isoformat()
    tail, _data = chain(refill, start=kept["events"][5]["hash"])

    code, out, _err = checked(tmp_path, [*kept["events"][:6], *tail], "cp8")

    assert code == 1
    assert out.startswith(f"checkpoint {ORIGIN} size 8 does not hold: {named}: ")


def test_a_checkpoint_without_a_time_names_a_refill_a_rewrite(kept, tmp_path):
    (tmp_path / "untimed").write_bytes(checkpoint(KEY, 8, mth(kept["data"])))
    refill, _data = chain(trail("later", minutes=40)[6:], start=kept["events"][5]["hash"])

    code, out, _err = checked(tmp_path, [*kept["events"][:6], *refill], "untimed")

    assert code == 1
    assert out.startswith(f"checkpoint {ORIGIN} size 8 does not hold: rewritten: ")


def test_a_tampered_checkpoint_on_the_command_line(kept, tmp_path):
    data = (tmp_path / "cp8").read_bytes()
    (tmp_path / "bad").write_bytes(data.replace(b"\n8\n", b"\n9\n"))

    code, out, err = checked(tmp_path, kept["events"], "bad")

    assert (code, err) == (1, "")
    assert out == (
        f"checkpoint bad does not hold: the log's signature does not verify with the key {ORIGIN}\n"
    )


def test_a_checkpoint_needs_the_key(kept, tmp_path):
    code, out, err = run(tmp_path, "audit.jsonl", "--checkpoint", "cp8")

    assert (code, out) == (2, "")
    assert "a checkpoint needs the log's key" in err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xff\xfe", "checkpoint cp is not usable: it is not UTF-8 text"),
        (b"", "checkpoint cp does not hold: it is not a signed note"),
        (b"a\n8\n\n", "checkpoint cp does not hold: its body is not three lines"),
    ],
)
def test_a_malformed_checkpoint_exits_1(kept, tmp_path, content, says):
    (tmp_path / "cp").write_bytes(content)

    code, out, err = run(tmp_path, "audit.jsonl", "--checkpoint", "cp", "--key", "vkey")

    assert (code, err) == (1, "")
    assert out.startswith(says)


def test_a_missing_checkpoint_file_exits_2(kept, tmp_path):
    code, out, err = run(tmp_path, "audit.jsonl", "--checkpoint", "missing", "--key", "vkey")

    assert (code, out) == (2, "")
    assert err.startswith("verify_trail: cannot read missing: ")


# -- the format rule ------------------------------------------------------------------------------


def _verdict(events: list[dict]) -> Any:
    return V.verify(V.read(io.BytesIO(export_lines(events))))


@pytest.mark.parametrize(
    ("change", "seq", "problem"),
    [
        (
            lambda es: es[2].update(format=2),
            3,
            "it is a format-2 event before the change of format",
        ),
        (lambda es: es[5].update(format=1), 6, "it is a format-1 event after a format-2 one"),
        (lambda es: es[5].update(format=3), 6, "its format 3 is unknown"),
        (lambda es: es[1].update(format="1"), 2, 'its format "1" is unknown'),
        (
            lambda es: es[3].update(format=1),
            4,
            "it changes the format to 2 but is itself a format-1",
        ),
        (lambda es: es[3]["payload"].update(format=3), 4, "it changes the format to 3"),
        (
            lambda es: es[5].update(action="audit.format", payload={"format": 2}),
            6,
            "it changes the format to 2 again",
        ),
    ],
)
def test_a_wrong_change_of_format_names_the_event(change, seq, problem):
    events = [json.loads(json.dumps(e)) for e in trail()]
    change(events)
    hashed = _rehash(events)

    verdict = _verdict(hashed)

    assert not verdict.holds
    assert verdict.message.startswith(f"event #{seq} (line {seq}) does not hold: {problem}")


def _rehash(events: list[dict]) -> list[dict]:
    """Hash the events by the format they say (an unknown one as format 2 would be)."""
    prev, out = "0" * 64, []
    for event in events:
        event = {**event, "prev_hash": prev}
        if event.get("format", 1) == 1:
            event["hash"] = sha256(_format_one_bytes(event)).hex()
        else:
            event["hash"] = sha256(b"\x00" + _format_two_bytes(event)).hex()
        prev = event["hash"]
        out.append(event)
    return out


def test_a_trail_may_start_in_format_2():
    events = [{**e, "format": 2} for e in trail() if e["seq"] != 4]
    events = [{**e, "seq": i} for i, e in enumerate(events, start=1)]
    hashed, data = chain(events)

    verdict = _verdict(hashed)

    assert verdict.holds
    assert "(#1 to #7, format 2)" in verdict.message
    assert V.tree_root(verdict.leaves) == mth(data)


def test_an_event_beyond_2_to_the_53_is_named():
    events = trail()
    events[6]["payload"]["values"]["granted"] = 2**53 + 1
    hashed = [dict(e) for e in chain(events[:6])[0]]
    odd = {**events[6], "prev_hash": hashed[-1]["hash"], "hash": "0" * 64}

    verdict = _verdict([*hashed, odd])

    assert verdict.message.startswith(
        "event #7 (line 7) does not hold: it cannot be hashed under format 2: the whole number "
        "9007199254740993 is beyond 2**53"
    )


# -- proofs on the command line -------------------------------------------------------------------


def _proof(tmp_path: Path, name: str, content: dict[str, Any] | str) -> str:
    text = content if isinstance(content, str) else json.dumps(content)
    (tmp_path / name).write_text(text, encoding="utf-8")
    return name


def inclusion(data: list[bytes], seq: int, size: int) -> dict[str, Any]:
    return {
        "proof": "inclusion",
        "origin": ORIGIN,
        "seq": seq,
        "tree_size": size,
        "leaf_hash": sha256(b"\x00" + data[seq - 1]).hex(),
        "path": [p.hex() for p in path(seq - 1, data[:size])],
        "root": mth(data[:size]).hex(),
    }


def consistency(data: list[bytes], old: int, new: int) -> dict[str, Any]:
    return {
        "proof": "consistency",
        "origin": ORIGIN,
        "old_size": old,
        "new_size": new,
        "old_root": mth(data[:old]).hex(),
        "new_root": mth(data[:new]).hex(),
        "path": [p.hex() for p in proof(old, data[:new])],
    }


@pytest.mark.parametrize("seq", range(1, 9))
def test_an_inclusion_proof_of_each_event_holds(kept, tmp_path, seq):
    name = _proof(tmp_path, "p.json", inclusion(kept["data"], seq, 8))

    code, out, err = run(
        tmp_path, "--proof", name, "--checkpoint", "cp8", "--key", "vkey", "--event", "audit.jsonl"
    )

    assert (code, err) == (0, "")
    assert out == (
        f"inclusion proof holds: event #{seq} is in checkpoint {ORIGIN} size 8, and it is event "
        f"#{seq} of audit.jsonl\n"
    )


def test_an_inclusion_proof_of_another_trail_fails(kept, tmp_path):
    """A rewritten trail's own proof (its own root) against the kept checkpoint; the kept
    trail's proof against an export whose event was rewritten with every hash recomputed."""
    forged, forged_data = chain(rewritten())
    (tmp_path / "forged.jsonl").write_bytes(export_lines(forged))
    theirs = _proof(tmp_path, "theirs.json", inclusion(forged_data, 3, 8))
    ours = _proof(tmp_path, "ours.json", inclusion(kept["data"], 3, 8))
    base = ("--checkpoint", "cp8", "--key", "vkey")

    assert run(tmp_path, "--proof", theirs, *base) == (
        1,
        f"proof theirs.json does not hold: its root is not the root of checkpoint {ORIGIN} size "
        "8\n",
        "",
    )
    assert run(tmp_path, "--proof", ours, *base, "--event", "forged.jsonl") == (
        1,
        "proof ours.json does not hold: event #3 of forged.jsonl is not the event it proves\n",
        "",
    )
    assert run(tmp_path, "--proof", ours, *base, "--event", "missing.jsonl")[0] == 2


def test_an_inclusion_proof_for_another_size_or_event_fails(kept, tmp_path):
    data = kept["data"]
    other_size = _proof(tmp_path, "size.json", inclusion(data, 3, 4))
    wrong_path = inclusion(data, 3, 8)
    wrong_path["path"][0] = "0" * 64
    events = [dict(e) for e in kept["events"]]
    events[2]["reason"] = "edited"
    (tmp_path / "edited.jsonl").write_bytes(export_lines(events))
    base = ("--checkpoint", "cp8", "--key", "vkey")

    assert run(tmp_path, "--proof", other_size, *base) == (
        1,
        f"proof size.json does not hold: it is for {ORIGIN} size 4, not checkpoint {ORIGIN} "
        "size 8\n",
        "",
    )
    assert run(tmp_path, "--proof", _proof(tmp_path, "w.json", wrong_path), *base) == (
        1,
        "proof w.json does not hold: its path does not lead from event #3 to the root of size 8\n",
        "",
    )
    fourth = _proof(tmp_path, "4.json", {**inclusion(data, 3, 8), "seq": 4})
    assert run(tmp_path, "--proof", fourth, *base)[0] == 1
    code, out, _err = run(tmp_path, "--proof", "size.json", "--checkpoint", "cp4", "--key", "vkey",
                          "--event", "edited.jsonl")  # fmt: skip
    assert (code, out) == (
        1,
        "proof size.json does not hold: the export edited.jsonl: event #3 (line 3) does not "
        "match its hash\n",
    )


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        {"proof": "inclusion"},
        {"proof": "inclusion", "origin": ORIGIN, "seq": 1, "tree_size": 8},
        {"proof": "inclusion", "origin": ORIGIN, "seq": True, "tree_size": 8, "leaf_hash": "0"},
        {"proof": "consistency", "origin": ORIGIN, "old_size": 4, "new_size": 8, "path": 3},
        {"proof": "membership", "origin": ORIGIN},
    ],
)
def test_a_malformed_proof_exits_1_naming_it(kept, tmp_path, content):
    name = _proof(tmp_path, "bad.json", content)
    pair = isinstance(content, dict) and content.get("proof") == "consistency"
    checkpoints = (
        ("--checkpoint", "cp4", "--checkpoint", "cp8") if pair else ("--checkpoint", "cp8")
    )

    code, out, err = run(tmp_path, "--proof", name, *checkpoints, "--key", "vkey")

    assert (code, err) == (1, "")
    assert out.startswith("proof bad.json does not hold: ")
    assert out.count("\n") == 1


def test_a_consistency_proof_holds_between_the_checkpoints(kept, tmp_path):
    name = _proof(tmp_path, "c.json", consistency(kept["data"], 4, 8))
    both = ("--checkpoint", "cp4", "--checkpoint", "cp8", "--key", "vkey")

    assert run(tmp_path, "--proof", name, *both) == (
        0,
        f"consistency proof holds: checkpoint {ORIGIN} size 4 is the start of checkpoint "
        f"{ORIGIN} size 8\n",
        "",
    )


def test_a_consistency_proof_that_does_not_hold(kept, tmp_path):
    data = kept["data"]
    _forged, forged_data = chain(rewritten())
    (tmp_path / "forged8").write_bytes(checkpoint(KEY, 8, mth(forged_data), SIGNED_AT))
    swapped = ("--checkpoint", "cp8", "--checkpoint", "cp4", "--key", "vkey")
    good = _proof(tmp_path, "c.json", consistency(data, 4, 8))
    forged_proof = _proof(tmp_path, "f.json", consistency(forged_data, 4, 8))
    forged_pair = ("--checkpoint", "cp4", "--checkpoint", "forged8", "--key", "vkey")

    assert run(tmp_path, "--proof", good, *swapped)[:2] == (
        1,
        f"proof c.json does not hold: it is for {ORIGIN} size 4, not checkpoint {ORIGIN} size 8\n",
    )
    # the forged trail's own proof does not start from the kept size-4 checkpoint's root
    assert run(tmp_path, "--proof", forged_proof, *forged_pair)[:2] == (
        1,
        f"proof f.json does not hold: its root for size 4 is not the root of checkpoint {ORIGIN} "
        "size 4\n",
    )
    mixed = {**consistency(forged_data, 4, 8), "old_root": mth(data[:4]).hex()}
    assert run(tmp_path, "--proof", _proof(tmp_path, "m.json", mixed), *forged_pair)[:2] == (
        1,
        "proof m.json does not hold: its path does not show size 4 to be the start of size 8\n",
    )


def test_a_proof_with_a_wrong_key_or_a_tampered_checkpoint_fails(kept, tmp_path):
    name = _proof(tmp_path, "p.json", inclusion(kept["data"], 2, 8))
    (tmp_path / "other").write_text(vkey(OTHER), encoding="utf-8")
    (tmp_path / "bad").write_bytes((tmp_path / "cp8").read_bytes().replace(b"\n8\n", b"\n7\n"))

    code, out, _ = run(tmp_path, "--proof", name, "--checkpoint", "cp8", "--key", "other")
    assert (code, out) == (
        1,
        f"checkpoint cp8 does not hold: its signature line under {ORIGIN} is not by the key given "
        f"({ORIGIN}+{key_id(ORIGIN, 1, public_of(OTHER)).hex()})\n",
    )
    code, out, _ = run(tmp_path, "--proof", name, "--checkpoint", "bad", "--key", "vkey")
    assert (code, out) == (
        1,
        f"checkpoint bad does not hold: the log's signature does not verify with the key {ORIGIN}"
        "\n",
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--proof", "p.json", "--checkpoint", "cp8"),  # no key
        ("--proof", "p.json", "--key", "vkey"),  # no checkpoint
        ("--proof", "p.json", "audit.jsonl", "--checkpoint", "cp8", "--key", "vkey"),
        ("audit.jsonl", "--event", "audit.jsonl"),
        ("--proof",),
        ("audit.jsonl", "--key"),
        (),
    ],
)
def test_a_command_used_wrongly_exits_2(kept, tmp_path, args):
    _proof(tmp_path, "p.json", inclusion(kept["data"], 2, 8))

    code, out, err = run(tmp_path, *args)

    assert (code, out) == (2, "")
    assert err.startswith("usage: python verify_trail.py")


def test_a_consistency_proof_needs_two_checkpoints(kept, tmp_path):
    name = _proof(tmp_path, "c.json", consistency(kept["data"], 4, 8))

    code, out, err = run(tmp_path, "--proof", name, "--checkpoint", "cp8", "--key", "vkey")

    assert (code, out) == (2, "")
    assert "a consistency proof needs two checkpoints" in err
    both = ("--checkpoint", "cp4", "--checkpoint", "cp8")
    code, out, err = run(
        tmp_path, "--proof", name, *both, "--key", "vkey", "--event", "audit.jsonl"
    )
    assert (code, out) == (2, "")
    assert "--event goes with an inclusion proof" in err
