"""Charts drawn as SVG on the server: no script (the CSP forbids inline ones), printable, readable in tests.

Only presentation attributes (fill, stroke) are used, never ``style=``; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from flask_babel import gettext as _
from markupsafe import Markup, escape

PALETTE = (
    "#1f5fa8",
    "#e07b24",
    "#3a9a5b",
    "#b33a3a",
    "#7a5fb0",
    "#8c6d31",
    "#d45d9c",
    "#5f7f8f",
    "#a6a12b",
    "#2aa3b3",
)
WIDTH, HEIGHT = 680, 300
LEFT, RIGHT, TOP, BOTTOM = 84, 16, 40, 44


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * power)
        if top >= value:
            return top
    return 10 * power


def _fmt(value: int, divisor: int) -> str:
    shown = Fraction(value, divisor)
    return f"{round(shown):,}" if shown.denominator == 1 or abs(shown) >= 10 else f"{float(shown):,.1f}"


def _legend(names: Sequence[str]) -> list[str]:
    parts, x = [], LEFT
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="10" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="21" font-size="12">{escape(name)}</text>')
        x += 28 + 13 * len(name)
    return parts


def _axis(top_value: int, divisor: int, unit: str) -> list[str]:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = top_value * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#d6dde5"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{_fmt(value, divisor)}</text>'
        )
    parts.append(f'<text x="4" y="{TOP - 8}" font-size="11">{escape(unit)}</text>')
    return parts


def _svg(parts: list[str], label: str, css_class: str) -> Markup:
    body = "".join(parts)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def stacked_bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    title: str,
    divisor: int = 1,
    unit: str | None = None,
) -> Markup:
    """One bar per label (e.g. a fiscal year), stacked by series (e.g. each member's share)."""
    totals = [sum(values[i] for _name, values in series) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar_w = min(56.0, slot * 0.6)
    parts = _axis(top_value, divisor, unit or _("円")) + _legend([name for name, _values in series])
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar_w) / 2
        y: float = TOP + plot_h
        for s, (name, values) in enumerate(series):
            h = plot_h * values[i] / top_value
            y -= h
            amount = _("%(amount)s円", amount=f"{values[i]:,}")  # outside the f-string, for extraction
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(label)} {escape(name)}: '
                f"{escape(amount)}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return _svg(parts, title, "stacked")


def share_bars(rows: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """Horizontal bars of each member's share of a total, labelled with the amount and the percentage."""
    total = sum(v for _name, v in rows) or 1
    row_h = 30
    height = TOP + row_h * len(rows) + 10
    parts = [f'<text x="4" y="20" font-size="12">{escape(title)}</text>']
    plot_w = WIDTH - 200
    for i, (name, value) in enumerate(rows):
        y = TOP + row_h * i
        w = plot_w * value / total
        parts.append(f'<text x="4" y="{y + 18}" font-size="12">{escape(name)}</text>')
        parts.append(
            f'<rect class="bar" x="110" y="{y + 4}" width="{w:.1f}" height="20" fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        pct = Fraction(value * 100, total)
        text = _("%(percent)s%%（%(amount)s円）", percent=f"{float(pct):.1f}", amount=f"{value:,}")
        parts.append(f'<text x="{116 + w:.1f}" y="{y + 18}" font-size="12">{escape(text)}</text>')
    body = "".join(parts)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart shares" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def lines(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str, unit: str
) -> Markup:
    """One line per series over the periods (a scenario's alternatives, year by year)."""
    top_value = _nice_max(int(max((max(v, default=0) for _name, v in series), default=0)) + 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)
    parts = _axis(top_value, 1, unit) + _legend([name for name, _values in series])
    for s, (name, values) in enumerate(series):
        points = " ".join(
            f"{LEFT + step * i:.1f},{TOP + plot_h - plot_h * float(v) / top_value:.1f}"
            for i, v in enumerate(values)
        )
        color = PALETTE[s % len(PALETTE)]
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for i, v in enumerate(values):
            cx, cy = LEFT + step * i, TOP + plot_h - plot_h * float(v) / top_value
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{color}"><title>{escape(name)} '
                f"{escape(labels[i])}: {v}</title></circle>"
            )
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{LEFT + step * i:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return _svg(parts, title, "lines")
