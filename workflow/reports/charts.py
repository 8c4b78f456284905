"""The programme reports' charts, drawn as SVG with matplotlib (Agg backend, no display).

Text stays text in the SVG (searchable, small), and the output carries no date or random ids,
so the same data always gives the same file. matplotlib is imported inside the functions:
`kracht --help` never pays for it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LIGHT_COLOURS = {"green": "#2e7d32", "orange": "#ef8f00", "red": "#c62828"}
BLUE, GREY, TEAL = "#1f4e79", "#9e9e9e", "#00897b"


def _figure(height: float = 3.2) -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "kracht", "font.size": 9})
    figure = Figure(figsize=(7.5, height))
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _millions(cents: int) -> float:
    return cents / 100 / 1_000_000


def pipeline(rows: list[dict[str, Any]]) -> str:
    """Applications per stage, in the order of the road."""
    figure, axes = _figure(0.6 + 0.32 * max(len(rows), 1))
    names = [r["state"] for r in rows][::-1]
    counts = [r["count"] for r in rows][::-1]
    bars = axes.barh(names, counts, color=BLUE)
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("applications")
    axes.set_title("Pipeline per stage")
    return _svg(figure)


def money(years: list[dict[str, Any]]) -> str:
    """Budget, committed and reserved per budget year, in millions of euros."""
    figure, axes = _figure()
    labels = [str(y["year"]) for y in years]
    width = 0.27
    series = [
        ("budget_cents", "budget", GREY),
        ("committed_cents", "committed", BLUE),
        ("reserved_cents", "reserved", TEAL),
    ]
    for offset, (key, name, colour) in enumerate(series):
        positions = [i + (offset - 1) * width for i in range(len(years))]
        axes.bar(positions, [_millions(y[key]) for y in years], width, label=name, color=colour)
    axes.set_xticks(range(len(years)), labels)
    axes.set_ylabel("EUR million")
    axes.set_title("Money per budget year")
    axes.legend(frameon=False)
    return _svg(figure)


def co_financing(projects: list[dict[str, Any]], target: float) -> str:
    """Per project: the grant and the partners' money beside it, with the multiplier."""
    figure, axes = _figure(0.8 + 0.45 * max(len(projects), 1))
    names = [p["title"][:34] for p in projects][::-1]
    grant = [_millions(p["granted_cents"]) for p in projects][::-1]
    partners = [_millions(p["private_cents"] + p["public_cents"]) for p in projects][::-1]
    rows = range(len(projects))
    axes.barh([r + 0.2 for r in rows], grant, 0.4, label="grant", color=BLUE)
    axes.barh([r - 0.2 for r in rows], partners, 0.4, label="co-financing", color=TEAL)
    axes.set_yticks(list(rows), names)
    axes.set_xlabel("EUR million")
    axes.set_title(f"Grant and co-financing per project (multiplier target {target})")
    axes.legend(frameon=False)
    return _svg(figure)


def lights(periods: list[dict[str, Any]]) -> str:
    """Submitted progress reports per period, stacked by traffic light."""
    figure, axes = _figure()
    labels = [p["label"] for p in periods]
    bottom = [0] * len(periods)
    for light, colour in LIGHT_COLOURS.items():
        counts = [p[light] for p in periods]
        axes.bar(labels, counts, bottom=bottom, color=colour, label=light)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_ylabel("reports")
    axes.set_title("Traffic lights over time")
    axes.tick_params(axis="x", labelrotation=45 if len(labels) > 8 else 0)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    return _svg(figure)


def indicators(rows: list[dict[str, Any]]) -> str:
    """How far each indicator has come from baseline to target (100%: target reached)."""
    figure, axes = _figure(0.8 + 0.55 * max(len(rows), 1))
    names = [f"{r['project'][:36]}\n{r['name'][:40]}" for r in rows][::-1]
    done = [max(min(r["progress_percent"] or 0, 150), 0) for r in rows][::-1]
    colours = [TEAL if d >= 100 else BLUE for d in done]
    bars = axes.barh(names, done, color=colours)
    axes.bar_label(bars, labels=[f"{d:g}%" for d in done], padding=3)
    axes.axvline(100, color=GREY, linestyle="--", linewidth=1)
    axes.set_xlim(0, max([110, *(d + 15 for d in done)]))
    axes.set_xlabel("% of the way from baseline to target")
    axes.set_title("Indicators against their targets")
    return _svg(figure)
