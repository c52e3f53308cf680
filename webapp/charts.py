"""Charts drawn on the server as SVG: they work offline, need no script, and pass a CSP
without 'unsafe-inline' (colours are presentation attributes and stylesheet classes, never
style attributes)."""
from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

PALETTE = ("#1f5f8b", "#2e8b57", "#c0392b", "#8e6c8a", "#d68910", "#5d6d7e")
STATUS_COLOURS = {"popularized": "#2e8b57", "unpopularized": "#d68910", "noresults": "#aab7b8"}


def _text(x: float, y: float, label: str, cls: str = "chart-label", anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(label)}</text>'


def bar_chart(items: list[tuple[str, int]], title: str, width: int = 460, bar: int = 18,
              colour: str = PALETTE[0], links: dict[str, str] | None = None) -> Markup:
    """Horizontal bars, one per (label, value); `links` maps a label to a local href."""
    if not items:
        return Markup("")
    label_w = 150
    top = 6
    height = top + len(items) * (bar + 6) + 4
    peak = max(v for _, v in items) or 1
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = top + i * (bar + 6)
        length = (width - label_w - 60) * value / peak
        text = _text(label_w - 8, y + bar - 4, label[:22], anchor="end")
        href = (links or {}).get(label)
        if href:
            text = f'<a href="{escape(href)}">{text}</a>'
        parts.append(text)
        parts.append(f'<rect x="{label_w}" y="{y}" width="{max(length, 1):.1f}" height="{bar}" fill="{colour}" rx="2"/>')
        parts.append(_text(label_w + length + 6, y + bar - 4, f"{value:,}", cls="chart-value"))
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(items: list[tuple[str, int]], title: str, width: int = 460, height: int = 180) -> Markup:
    """Vertical columns (years): labels under every few columns so they never overlap."""
    if not items:
        return Markup("")
    bottom = height - 22
    peak = max(v for _, v in items) or 1
    step = (width - 20) / len(items)
    every = max(1, math.ceil(len(items) / 10))
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        x = 10 + i * step
        h = (bottom - 10) * value / peak
        parts.append(f'<rect x="{x + 1:.1f}" y="{bottom - h:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" '
                     f'fill="{PALETTE[0]}"><title>{escape(label)}: {value:,}</title></rect>')
        if i % every == 0:
            parts.append(_text(x + step / 2, height - 6, label, anchor="middle"))
    parts.append(f'<line x1="10" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#888" stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def coverage_chart(rows: list[tuple[str, dict[str, int]]], title: str, legend: dict[str, str],
                   width: int = 460, bar: int = 18, links: dict[str, str] | None = None) -> Markup:
    """One 100% stacked bar per row: popularized / results not popularized / no known results."""
    if not rows:
        return Markup("")
    label_w, top = 150, 6
    height = top + len(rows) * (bar + 6) + 28
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    span = width - label_w - 50
    for i, (label, counts) in enumerate(rows):
        y = top + i * (bar + 6)
        total = sum(counts.values()) or 1
        text = _text(label_w - 8, y + bar - 4, label[:22], anchor="end")
        href = (links or {}).get(label)
        if href:
            text = f'<a href="{escape(href)}">{text}</a>'
        parts.append(text)
        x = float(label_w)
        for key in STATUS_COLOURS:
            share = counts.get(key, 0) / total
            if share > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{span * share:.1f}" height="{bar}" '
                             f'fill="{STATUS_COLOURS[key]}"><title>{escape(legend.get(key, key))}: '
                             f'{counts.get(key, 0):,}</title></rect>')
                x += span * share
        parts.append(_text(label_w + span + 6, y + bar - 4,
                           f"{100 * counts.get('popularized', 0) / total:.0f}%", cls="chart-value"))
    y = top + len(rows) * (bar + 6) + 12
    x = float(label_w)
    for key, colour in STATUS_COLOURS.items():
        parts.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(x + 14, y, legend.get(key, key), cls="chart-legend"))
        x += 14 + 8 * len(legend.get(key, key)) + 18
    parts.append("</svg>")
    return Markup("".join(parts))


def ego_graph(centre: str, others: list[tuple[str, str | None, int]], title: str, size: int = 320) -> Markup:
    """A person in the middle, collaborators on a circle; edge width grows with shared records.

    `others`: (label, href or None, shared count)."""
    if not others:
        return Markup("")
    c = size / 2
    radius = size / 2 - 48
    peak = max(n for _, _, n in others) or 1
    edges, nodes = [], []
    for i, (label, href, shared) in enumerate(others):
        angle = 2 * math.pi * i / len(others) - math.pi / 2
        x, y = c + radius * math.cos(angle), c + radius * math.sin(angle)
        edges.append(f'<line x1="{c:.1f}" y1="{c:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#9fb3c8" '
                     f'stroke-width="{1 + 4 * shared / peak:.1f}"><title>{shared}</title></line>')
        node = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="{PALETTE[1]}"/>'
                + _text(x, y + (18 if y >= c else -11), label[:14], cls="chart-node", anchor="middle"))
        if href:
            node = f'<a href="{escape(href)}">{node}</a>'
        nodes.append(node)
    centre_node = (f'<circle cx="{c:.1f}" cy="{c:.1f}" r="11" fill="{PALETTE[0]}"/>'
                   + _text(c, c + 24, centre[:16], cls="chart-node chart-centre", anchor="middle"))
    return Markup(f'<svg class="chart ego" role="img" aria-label="{escape(title)}" viewBox="0 0 {size} {size}" '
                  f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
                  + "".join(edges) + "".join(nodes) + centre_node + "</svg>")
