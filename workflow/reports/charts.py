"""The programme reports' charts, drawn as SVG with matplotlib (Agg backend, no display).

Text stays text in the SVG (searchable, small), and the output carries no date or random ids,
so the same data always gives the same file. matplotlib is imported inside the functions:
`kracht --help` never pays for it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def english(text: str, **facts: Any) -> str:
    """The charts' words as written (workflow/reports/words.py translates them)."""
    return text.format(**facts) if facts else text


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


def pipeline(rows: list[dict[str, Any]], _: Callable[..., str] = english) -> str:
    """Applications per stage, in the order of the road (`state`: the stage's name to show)."""
    figure, axes = _figure(0.6 + 0.32 * max(len(rows), 1))
    names = [r["state"] for r in rows][::-1]
    counts = [r["count"] for r in rows][::-1]
    bars = axes.barh(names, counts, color=BLUE)
    axes.bar_label(bars, padding=3)
    axes.set_xlabel(_("applications"))
    axes.set_title(_("Pipeline per stage"))
    return _svg(figure)


def money(years: list[dict[str, Any]], _: Callable[..., str] = english) -> str:
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
        heights = [_millions(y[key]) for y in years]
        axes.bar(positions, heights, width, label=_(name), color=colour)
    axes.set_xticks(range(len(years)), labels)
    axes.set_ylabel(_("EUR million"))
    axes.set_title(_("Money per budget year"))
    axes.legend(frameon=False)
    return _svg(figure)


def co_financing(
    projects: list[dict[str, Any]], target: float, _: Callable[..., str] = english
) -> str:
    """Per project: the grant and the partners' money beside it, with the multiplier. Beyond
    MOST_BARS projects, the largest grants get a bar each and the rest one bar together, so
    the chart stays readable (and as quick to draw) however many projects there are; the
    document's table lists every project."""
    shown = _largest(
        projects, lambda p: (p["granted_cents"], p["private_cents"] + p["public_cents"]), _
    )
    figure, axes = _figure(0.8 + 0.45 * max(len(shown), 1))
    names = [p["title"][:34] for p in shown][::-1]
    grant = [_millions(p["granted_cents"]) for p in shown][::-1]
    partners = [_millions(p["private_cents"] + p["public_cents"]) for p in shown][::-1]
    rows = range(len(shown))
    axes.barh([r + 0.2 for r in rows], grant, 0.4, label=_("grant"), color=BLUE)
    axes.barh([r - 0.2 for r in rows], partners, 0.4, label=_("co-financing"), color=TEAL)
    axes.set_yticks(list(rows), names)
    axes.set_xlabel(_("EUR million"))
    which = _("project") if len(shown) == len(projects) else _("largest grant")
    axes.set_title(
        _("Grant and co-financing per {which} (multiplier target {target})", which=which,
          target=target)
    )  # fmt: skip
    axes.legend(frameon=False)
    return _svg(figure)


MOST_BARS = 20  # bars in a chart of projects; beyond, the rest share one


def _largest(
    projects: list[dict[str, Any]],
    size: Callable[[dict[str, Any]], Any],
    _: Callable[..., str] = english,
) -> list[dict[str, Any]]:
    """Every project when there are at most MOST_BARS, in their order; else the MOST_BARS - 1
    largest by `size` (in their order) and one row summing the others' money."""
    if len(projects) <= MOST_BARS:
        return projects
    ranked = sorted(range(len(projects)), key=lambda i: size(projects[i]), reverse=True)
    keep = set(ranked[: MOST_BARS - 1])
    others = [p for i, p in enumerate(projects) if i not in keep]
    money = ("granted_cents", "private_cents", "public_cents")
    rest = {
        "title": _("{count} other projects", count=len(others)),
        **{k: sum(p[k] for p in others) for k in money},
    }
    return [p for i, p in enumerate(projects) if i in keep] + [rest]


def lights(
    periods: list[dict[str, Any]],
    _: Callable[..., str] = english,
    names: Callable[[str], str] = str,
) -> str:
    """Submitted progress reports per period, stacked by traffic light (`names`: each light's
    name in the legend)."""
    figure, axes = _figure()
    labels = [p["label"] for p in periods]
    bottom = [0] * len(periods)
    for light, colour in LIGHT_COLOURS.items():
        counts = [p[light] for p in periods]
        axes.bar(labels, counts, bottom=bottom, color=colour, label=names(light))
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_ylabel(_("reports"))
    axes.set_title(_("Traffic lights over time"))
    axes.tick_params(axis="x", labelrotation=45 if len(labels) > 8 else 0)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    return _svg(figure)


BANDS = ((0, "below 25%"), (25, "25-49%"), (50, "50-74%"), (75, "75-99%"), (100, "target met"))


def indicators(rows: list[dict[str, Any]], _: Callable[..., str] = english) -> str:
    """How far each indicator has come from baseline to target (100%: target reached); beyond
    MOST_BARS indicators, how many stand in each band of progress (`indicator_bands`), so the
    chart stays readable however many there are (the document's tables list each)."""
    if len(rows) > MOST_BARS:
        return indicator_bands(rows, _)
    figure, axes = _figure(0.8 + 0.55 * max(len(rows), 1))
    names = [f"{r['project'][:36]}\n{r['name'][:40]}" for r in rows][::-1]
    done = [max(min(r["progress_percent"] or 0, 150), 0) for r in rows][::-1]
    colours = [TEAL if d >= 100 else BLUE for d in done]
    bars = axes.barh(names, done, color=colours)
    axes.bar_label(bars, labels=[f"{d:g}%" for d in done], padding=3)
    axes.axvline(100, color=GREY, linestyle="--", linewidth=1)
    axes.set_xlim(0, max([110, *(d + 15 for d in done)]))
    axes.set_xlabel(_("% of the way from baseline to target"))
    axes.set_title(_("Indicators against their targets"))
    return _svg(figure)


def indicator_bands(rows: list[dict[str, Any]], _: Callable[..., str] = english) -> str:
    """Indicators counted per band of progress from baseline to target (unmeasured as 0%)."""
    counts = dict.fromkeys((name for _, name in BANDS), 0)
    for r in rows:
        done = r["progress_percent"] or 0
        counts[next(name for low, name in reversed(BANDS) if done >= low or low == 0)] += 1
    figure, axes = _figure(0.8 + 0.45 * len(BANDS))
    names = [_(band) if band in ("below 25%", "target met") else band for band in counts][::-1]
    bars = axes.barh(names, list(counts.values())[::-1], color=[TEAL] + [BLUE] * (len(BANDS) - 1))
    axes.bar_label(bars, padding=3)
    axes.set_xlabel(_("indicators"))
    axes.set_title(
        _("Indicators against their targets ({count} indicators, by progress)", count=len(rows))
    )
    return _svg(figure)
