"""Where partners' money comes from, and the multiplier on regional public money.

The 2023-2027 Agenda aims at "een multiplier van minimaal 8,5 op de regionale publieke middelen",
which "komt uit een combinatie van private investeringen en andere publieke geldstromen"
(seed 000 L3150-3156); the regional public money is what the 14 Twente municipalities make
available per inhabitant (L3172-3176) and, project by project, what a municipality such as Almelo
or Rijssen-Holten adds (seed 002 L411, L205-207). So here:

- regional public money = the Agenda's committed grants + partners' municipal money;
- leveraged money = partners' private, provincial, national (the Rijk, as in the Regio Deal),
  EU and other money;
- the multiplier on regional public money = leveraged money / regional public money.

Reading the multiplier as money drawn per euro of regional money (not total investment per euro)
is an interpretation: the documents give no formula. A partner's money of unknown source (NULL:
recorded before sources were, by an organisation that is not a business) is in neither figure and
shown apart, so that the multiplier is never raised by a guess.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from typing_extensions import TypedDict

from kracht.basics.errors import InvalidInput

SOURCES = ("private", "municipal", "provincial", "national", "eu", "other")
REGIONAL_PUBLIC = ("municipal",)  # besides the grants themselves
LEVERAGED = ("private", "provincial", "national", "eu", "other")
UNKNOWN = "unknown"  # how money without a recorded source is shown

DEFAULT_BY_TYPE = {"business": "private"}  # the only organisation type whose money is one source

TARGET = Decimal("8.5")

MEASURE = (
    "leveraged money per euro of regional public money: partners' private, provincial, national, "
    "EU and other money, divided by the committed grants plus partners' municipal money; money "
    "of unknown source counts in neither"
)


class BySource(TypedDict):
    """Partner money in cents per source, with `unknown` for money of no recorded source."""

    private: int
    municipal: int
    provincial: int
    national: int
    eu: int
    other: int
    unknown: int


class Regional(TypedDict):
    """The multiplier on regional public money, with what it is made of."""

    by_source: BySource
    regional_public_cents: int  # the grants plus municipal money
    leveraged_cents: int
    unknown_cents: int
    multiplier: Decimal | None  # None without regional public money


def check_source(source: str | None, commitment: str) -> str | None:
    """A partner's source as given: one of SOURCES, only with a money commitment."""
    if source in (None, ""):
        return None
    if source not in SOURCES:
        raise InvalidInput(
            f"source {source!r} is not one of " + ", ".join(SOURCES),
            field="source",
            label="source",
            bare=True,
        )
    if commitment != "money":
        raise InvalidInput(
            f"a source is for a money commitment, not {commitment}: leave it out", field="source"
        )
    return source


def default_source(o_type: str, commitment: str) -> str | None:
    """The source of money given without one: private for a business, else unknown (None: a
    government may be a municipality, the province or the Rijk; an education or research
    institution's money may be public or private)."""
    return DEFAULT_BY_TYPE.get(o_type) if commitment == "money" else None


def by_source(cents: dict[str | None, int]) -> BySource:
    """Every source with its cents (0 where there is none); None counts as unknown."""
    shown = dict.fromkeys((*SOURCES, UNKNOWN), 0)
    for source, amount in cents.items():
        shown[source if source in SOURCES else UNKNOWN] += amount
    return BySource(**shown)  # type: ignore[typeddict-item]


def regional(granted_cents: int, cents: dict[str | None, int]) -> Regional:
    """The multiplier on regional public money of grants and their partners' money by source,
    exact in cents and rounded half up to two decimals."""
    shown = by_source(cents)
    public = granted_cents + sum(shown[s] for s in REGIONAL_PUBLIC)  # type: ignore[literal-required]
    leveraged = sum(shown[s] for s in LEVERAGED)  # type: ignore[literal-required]
    return {
        "by_source": shown,
        "regional_public_cents": public,
        "leveraged_cents": leveraged,
        "unknown_cents": shown["unknown"],
        "multiplier": ratio(leveraged, public),
    }


def ratio(cents: int, per_cents: int) -> Decimal | None:
    """`cents` per euro of `per_cents`, exact, rounded half up to two decimals; None on zero."""
    if not per_cents:
        return None
    return (Decimal(cents) / Decimal(per_cents)).quantize(Decimal("0.01"), ROUND_HALF_UP)
