"""Signed checkpoints of the audit trail's Merkle tree: C2SP tlog-checkpoint on C2SP signed-note.

A checkpoint is the note text `<origin>\\n<size>\\n<base64 root>\\n`, then a blank line and its
signature lines `— <name> <base64(key ID || signature)>`. kracht signs it twice with one Ed25519
key: as the log (key ID type 0x01, over the text) and with a tlog-cosignature/v1 (type 0x04, over
`cosignature/v1\\ntime <seconds>\\n` and the text), which says *when* it signed. The key's name is
the origin. Keys are kept as text: the private key in the form of Go's note package
(`PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || seed)>`), the verifier key an auditor holds as a
signed-note vkey (`<name>+<key ID>+<base64(0x01 || public key)>`). docs/audit-format.md
specifies every byte.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kracht.basics.errors import InvalidInput

ED25519, COSIGNATURE = 0x01, 0x04  # the signature types of a key ID
DASH = "\u2014 "  # a signature line begins with an em dash and a space
NAME = re.compile(r"[^\s+]+")  # a key name: no spaces, no plus signs (signed-note)
MAX_NOTE = 16 * 1024  # a checkpoint is a few hundred bytes


class BadCheckpoint(Exception):
    """A checkpoint that does not verify: the message says why, in one line."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: int | None  # POSIX seconds of kracht's cosignature, when it has a valid one
    text: str  # the signed note as written


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class SigningKey:
    name: str
    key: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> SigningKey:
        check_name(name)
        return cls(name, Ed25519PrivateKey.generate())

    def private_text(self) -> str:
        seed = self.key.private_bytes_raw()
        ident = key_id(self.name, ED25519, public_bytes(self.key)).hex()
        return f"PRIVATE+KEY+{self.name}+{ident}+{_b64(bytes([ED25519]) + seed)}\n"

    def verifier(self) -> Verifier:
        return Verifier(self.name, public_bytes(self.key))

    def sign(self, size: int, root: bytes, now: int) -> str:
        """The signed checkpoint of a tree of `size` leaves with `root`, cosigned at `now`."""
        body = note_body(self.name, size, root)
        public = public_bytes(self.key)
        log = key_id(self.name, ED25519, public) + self.key.sign(body.encode())
        stamp = now.to_bytes(8, "big")
        cosigned = self.key.sign(_cosigned(now, body))
        cosignature = key_id(self.name, COSIGNATURE, public) + stamp + cosigned
        return f"{body}\n{DASH}{self.name} {_b64(log)}\n{DASH}{self.name} {_b64(cosignature)}\n"


@dataclass(frozen=True)
class Verifier:
    name: str
    public: bytes

    def text(self) -> str:
        ident = key_id(self.name, ED25519, self.public).hex()
        return f"{self.name}+{ident}+{_b64(bytes([ED25519]) + self.public)}\n"

    def open(self, text: str) -> Checkpoint:
        """The checkpoint `text` holds, once its log signature verifies with this key."""
        body, signatures = _split(text)
        origin, size, root = parse_body(body)
        if origin != self.name:
            raise BadCheckpoint(f"the checkpoint is of {origin!r}, the key of {self.name!r}")
        key = Ed25519PublicKey.from_public_bytes(self.public)
        log_id = key_id(self.name, ED25519, self.public)
        co_id = key_id(self.name, COSIGNATURE, self.public)
        signed, time = False, None
        for name, raw in signatures:
            if name != self.name:
                continue  # another signer's line (a witness): not ours to check
            if raw[:4] == log_id and len(raw) == 68 and _valid(key, raw[4:], body.encode()):
                signed = True
            elif raw[:4] == co_id and len(raw) == 76:
                stamp = int.from_bytes(raw[4:12], "big")
                if not _valid(key, raw[12:], _cosigned(stamp, body)):
                    raise BadCheckpoint("its timestamped signature does not verify (altered)")
                time = stamp
            else:  # under the log's own name, every line must be the log's and hold
                raise BadCheckpoint(f"its signature does not verify with the key of {self.name}")
        if not signed:
            raise BadCheckpoint(f"its signature does not verify with the key of {self.name}")
        return Checkpoint(origin, size, root, time, text)


def check_name(name: str) -> str:
    if not NAME.fullmatch(name) or len(name) > 200:
        raise InvalidInput(
            f"key name {name!r} must be one word of at most 200 characters, without spaces or '+'"
            " (a schema-less URL such as agendavoortwente.nl/kracht)",
            field="name",
        )
    return name


def read_signing_key(text: str, where: str) -> SigningKey:
    parts = text.strip().split("+", 4)  # base64 may hold a '+'
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise InvalidInput(f"{where} is not an audit signing key (such a file begins PRIVATE+KEY+)")
    name, ident, encoded = parts[2:]
    raw = _unb64(encoded, where)
    if len(raw) != 33 or raw[0] != ED25519:
        raise InvalidInput(f"{where} does not hold an Ed25519 key")
    key = Ed25519PrivateKey.from_private_bytes(raw[1:])
    if key_id(name, ED25519, public_bytes(key)).hex() != ident:
        raise InvalidInput(f"{where}: its key ID does not match its key (the file was altered)")
    return SigningKey(name, key)


def read_verifier(text: str, where: str) -> Verifier:
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise InvalidInput(f"{where} is not a verifier key (<name>+<key ID>+<key>)")
    name, ident, encoded = parts
    raw = _unb64(encoded, where)
    if len(raw) != 33 or raw[0] != ED25519:
        raise InvalidInput(f"{where} does not hold an Ed25519 verifier key")
    if key_id(name, ED25519, raw[1:]).hex() != ident:
        raise InvalidInput(f"{where}: its key ID does not match its key (the file was altered)")
    return Verifier(name, raw[1:])


def note_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{_b64(root)}\n"


def parse_body(body: str) -> tuple[str, int, bytes]:
    lines = body.split("\n")
    if len(lines) != 4 or lines[-1] != "" or not all(lines[:-1]):
        raise BadCheckpoint("the checkpoint's text is not origin, size and root on their own lines")
    origin, size, root = lines[:3]
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size):
        raise BadCheckpoint(f"the checkpoint's size {size!r} is not a whole number")
    try:
        digest = base64.b64decode(root, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        digest = b""
    if len(digest) != 32 or _b64(digest) != root:
        raise BadCheckpoint("the checkpoint's root is not 32 bytes in base64")
    return origin, int(size), digest


def _split(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    if len(text) > MAX_NOTE:
        raise BadCheckpoint("this is larger than any checkpoint (16 KiB)")
    text = text.replace("\r\n", "\n")  # a copy saved with Windows line ends is the same note
    if not text.endswith("\n"):
        text += "\n"  # nor does a copy lose its signature by losing the final line end
    if "\n\n" not in text:
        raise BadCheckpoint(
            "this is not a signed checkpoint: its three lines (origin, size, root), a blank "
            "line, then its signature lines beginning with \u2014"
        )
    body, _, rest = text.partition("\n\n")
    signatures = []
    for line in rest[:-1].split("\n"):
        name, _, encoded = line.removeprefix(DASH).rpartition(" ")
        if not line.startswith(DASH) or not name:
            raise BadCheckpoint(f"the checkpoint's signature line {line[:60]!r} is malformed")
        try:
            signatures.append((name, base64.b64decode(encoded, validate=True)))
        except ValueError:  # binascii.Error, or text that is not ASCII
            raise BadCheckpoint("a signature of the checkpoint is not base64") from None
    return body + "\n", signatures


def _cosigned(stamp: int, body: str) -> bytes:
    return f"cosignature/v1\ntime {stamp}\n{body}".encode()


def _valid(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        raise InvalidInput(f"{where}: its key is not base64 (the file was altered)") from None
