"""From individual scores to the committee's picture: per criterion and weighted, with flags."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from kracht.workflow.config import Scoring


@dataclass(frozen=True)
class CriterionResult:
    key: str
    name: str
    weight: int
    scores: tuple[int, ...]
    mean: float | None
    median: float | None
    spread: int | None  # highest minus lowest score
    knocked_out: bool  # mean below the criterion's minimum
    disagreement: bool  # spread at or above the configured threshold


@dataclass(frozen=True)
class Aggregate:
    sheets: int
    criteria: tuple[CriterionResult, ...]
    weighted_total: float | None  # on the scoring scale, weights as configured
    knock_outs: tuple[str, ...]
    disagreements: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-shaped: lists, not tuples."""
        return json.loads(json.dumps(asdict(self)))


def aggregate(scoring: Scoring, matrix: dict[str, dict[str, int]]) -> Aggregate:
    """`matrix` maps each member to their submitted score per criterion."""
    results = []
    for criterion in scoring.criteria:
        values = tuple(row[criterion.key] for row in matrix.values() if criterion.key in row)
        mean = round(statistics.fmean(values), 2) if values else None
        spread = max(values) - min(values) if values else None
        results.append(
            CriterionResult(
                key=criterion.key,
                name=criterion.name,
                weight=criterion.weight,
                scores=values,
                mean=mean,
                median=float(statistics.median(values)) if values else None,
                spread=spread,
                knocked_out=bool(
                    criterion.minimum is not None and mean is not None and mean < criterion.minimum
                ),
                disagreement=spread is not None and spread >= scoring.disagreement_spread,
            )
        )
    scored = [r for r in results if r.mean is not None]
    total = None
    if scored and len(scored) == len(results):
        weights = sum(r.weight for r in scored)
        total = round(sum(r.weight * (r.mean or 0) for r in scored) / weights, 2)
    return Aggregate(
        sheets=len(matrix),
        criteria=tuple(results),
        weighted_total=total,
        knock_outs=tuple(r.key for r in results if r.knocked_out),
        disagreements=tuple(r.key for r in results if r.disagreement),
    )
