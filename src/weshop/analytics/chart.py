"""A bar-and-line chart as SVG, drawn on the server from a series: pure, no I/O.

Bars show an amount in fen against the left axis, a line shows a count against the right
axis; both axes start at zero and step by round numbers. The SVG carries its own title and
description for screen readers; the page adds a text summary beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 760
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 72, 48, 36, 34
TICKS = 4
BAR_COLOUR = "#f4a3a4"
LINE_COLOUR = "#2563eb"
GRID_COLOUR = "#e5e7eb"
INK = "#6b7280"


@dataclass(frozen=True)
class ChartPoint:
    """One x position: its label (``05-31``), the amount in fen and the count."""

    label: str
    amount_fen: int
    count: int


@dataclass(frozen=True)
class ChartText:
    """The chart's words, already in the reader's language."""

    title: str
    description: str
    amount_name: str
    count_name: str


def nice_step(maximum: int, ticks: int = TICKS) -> int:
    """The smallest round step (1, 2, 2.5 or 5 times a power of ten, a whole number) such
    that ``ticks`` steps reach ``maximum``."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude // 2, 5 * magnitude):
            if step * ticks >= maximum:
                return step
        magnitude *= 10


def yuan_tick(fen: int) -> str:
    """An axis label: whole yuan with thousands separators, 万 from one hundred thousand."""
    yuan = fen // 100
    if yuan >= 100_000:
        wan = yuan / 10_000
        return f"¥{wan:,.0f}万" if wan == int(wan) else f"¥{wan:,.1f}万"
    return f"¥{yuan:,}"


def _text(x: float, y: float, content: str, anchor: str = "middle", colour: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}" '
        f'font-size="12">{escape(content)}</text>'
    )


def bar_line_chart(points: Sequence[ChartPoint], text: ChartText, *, chart_id: str) -> Markup:
    """The SVG of the series: one bar and one line point per entry, labelled axes, a legend."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_height
    # Amount ticks in whole yuan, so that labels never show a fraction of a yuan.
    top_fen = max((p.amount_fen for p in points), default=0)
    amount_step = nice_step(-(-top_fen // 100)) * 100
    count_step = nice_step(max((p.count for p in points), default=0))
    amount_top, count_top = amount_step * TICKS, count_step * TICKS
    slot = plot_width / max(len(points), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(text.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(text.description)}</desc>',
    ]
    for tick in range(TICKS + 1):
        y = bottom - plot_height * tick / TICKS
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_width}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR}"/>'
        )
        parts.append(_text(LEFT - 8, y + 4, yuan_tick(amount_step * tick), "end"))
        parts.append(_text(LEFT + plot_width + 8, y + 4, str(count_step * tick), "start"))
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_width}" y1="{bottom}" y2="{bottom}" stroke="{INK}"/>'
    )

    line_points = []
    label_every = max(1, round(len(points) / 6))
    for index, point in enumerate(points):
        centre = LEFT + slot * (index + 0.5)
        bar_height = plot_height * point.amount_fen / amount_top
        bar_width = max(slot * 0.6, 1)
        parts.append(
            f'<rect x="{centre - bar_width / 2:.1f}" y="{bottom - bar_height:.1f}" '
            f'width="{bar_width:.1f}" height="{bar_height:.1f}" fill="{BAR_COLOUR}" rx="2">'
            f"<title>{escape(point.label)}: {escape(yuan_tick(point.amount_fen))} · "
            f"{point.count}</title></rect>"
        )
        line_points.append((centre, bottom - plot_height * point.count / count_top))
        if index % label_every == 0 or index == len(points) - 1:
            parts.append(_text(centre, bottom + 20, point.label))
    if line_points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in line_points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2"/>'
        )
        parts.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{LINE_COLOUR}"/>'
            for x, y in line_points
        )

    # Legend and axis names along the top.
    parts.append(f'<rect x="{LEFT}" y="10" width="12" height="12" fill="{BAR_COLOUR}" rx="2"/>')
    parts.append(_text(LEFT + 18, 20, f"{text.amount_name} (¥)", "start", "#1f2329"))
    legend_x = LEFT + 200
    parts.append(
        f'<line x1="{legend_x}" x2="{legend_x + 16}" y1="16" y2="16" '
        f'stroke="{LINE_COLOUR}" stroke-width="2"/>'
    )
    parts.append(_text(legend_x + 22, 20, text.count_name, "start", "#1f2329"))
    parts.append("</svg>")
    return Markup("".join(parts))
