"""Charts drawn on the server as inline SVG: no JavaScript, readable by screen
readers (the SVG is an image whose name lists every value) and sharp at any
size (it scales with its container through its viewBox)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

_WIDTH, _HEIGHT = 280, 120
_TOP, _BOTTOM = 18, 20  # room for the value above and the label below a bar
# The axis ends at the first of these that holds every bar, so that low
# figures stay visible; its value is written at the top right.
_SCALES = (0.1, 0.25, 0.5, 1.0)


def percent(fraction: float | None) -> str:
    return "closed" if fraction is None else f"{round(fraction * 100)}%"


def bar_chart(bars: list[tuple[str, float | None]], *, title: str) -> SafeString:
    """Bars of fractions 0..1 (None: nothing to measure, drawn as a dash)."""
    slot = (_WIDTH - 30) / max(len(bars), 1)
    bar_width = slot * 0.6
    plot = _HEIGHT - _TOP - _BOTTOM
    highest = max((fraction or 0 for _, fraction in bars), default=0)
    scale = next(limit for limit in _SCALES if highest <= limit)
    shapes = []
    for index, (label, fraction) in enumerate(bars):
        x = index * slot + (slot - bar_width) / 2
        center = index * slot + slot / 2
        height = plot * (fraction or 0) / scale
        shapes.append(
            (
                f"{x:.1f}",
                f"{_TOP:.1f}",
                f"{bar_width:.1f}",
                f"{plot:.1f}",
                f"{_TOP + plot - height:.1f}",
                f"{height:.1f}",
                f"{center:.1f}",
                f"{_TOP + plot - height - 4:.1f}",
                "–" if fraction is None else f"{round(fraction * 100)}%",
                f"{_HEIGHT - 5:.1f}",
                label,
            )
        )
    name = f"{title}: " + ", ".join(
        f"{label} {percent(fraction)}" for label, fraction in bars
    )
    body = format_html_join(
        "",
        '<rect class="chart-track" x="{0}" y="{1}" width="{2}" height="{3}" rx="2"/>'
        '<rect class="chart-bar" x="{0}" y="{4}" width="{2}" height="{5}" rx="2"/>'
        '<text class="chart-value" x="{6}" y="{7}" text-anchor="middle">{8}</text>'
        '<text class="chart-label" x="{6}" y="{9}" text-anchor="middle">{10}</text>',
        shapes,
    )
    axis = format_html(
        '<line class="chart-axis" x1="0" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}%</text>',
        f"{_WIDTH - 30:.1f}",
        _TOP,
        _TOP,
        _WIDTH,
        _TOP + 4,
        round(scale * 100),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}</svg>',
        _WIDTH,
        _HEIGHT,
        name,
        axis,
        body,
    )
