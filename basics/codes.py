"""Programme codes: strict slugs, because a code also names a folder of templates on disk.

A code is 1 to 32 characters: lowercase ASCII letters, digits and hyphens, starting with a
letter or digit (`avt-2018`). Nothing in it can climb out of a folder or name an absolute path.
"""

from __future__ import annotations

import re

from kracht.basics.errors import InvalidInput

PROGRAMME_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
RULE = (
    "1 to 32 lowercase letters a-z, digits and hyphens, starting with a letter or digit "
    "(e.g. avt-2018)"
)


def is_programme_code(code: object) -> bool:
    """Whether `code` is a valid programme code."""
    return isinstance(code, str) and PROGRAMME_CODE.fullmatch(code) is not None


def shown(code: object) -> str:
    """The code as a message quotes it: repr, cut short when long."""
    text = repr(code)
    return text if len(text) <= 40 else f"{text[:30]}... ({len(str(code))} characters)"


def check_programme_code(code: str) -> str:
    """`code` when it is a valid programme code; otherwise one line naming the rule."""
    if not is_programme_code(code):
        raise InvalidInput(f"programme code {shown(code)} is not allowed: use {RULE}")
    return code


KVK_NUMBER = re.compile(r"[0-9]{8}")  # ASCII digits only: "１２３４５６７８" is not a KvK number


def check_kvk(number: str) -> str:
    """A Chamber of Commerce (KvK) number: exactly 8 ASCII digits, spaces around it taken off
    (KvK writes none inside); otherwise one line naming the field."""
    text = number.strip() if isinstance(number, str) else str(number)
    if not KVK_NUMBER.fullmatch(text):
        raise InvalidInput(
            f"KvK number {shown(text)} is not a Chamber of Commerce number: give exactly 8 digits "
            "(0-9), such as 12345678",
            field="kvk",
            label="KvK number",
        )
    return text
