"""Small inline SVG charts for the plan page: axes with round ticks, lines, markers, shaded bands,
horizontal range bars and a heat map. No dependency, no script: the page is readable as it is written.

Every chart has a ``viewBox`` and a width of 100% of its box (capped by ``max-width``), so no figure is
wider than the page on a laptop or in print. Colours are the Okabe–Ito palette, which stays distinct
under the common colour-vision deficiencies.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with protanopia, deuteranopia and tritanopia.
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7"}
GREY = "#999999"
LIGHT = "#e8e8e8"


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """About ``count`` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    k = 0
    while first + k * step <= hi + 1e-9 * step:
        ticks.append(round(first + k * step, 12))
        k += 1
    return ticks


def tick_label(v: float) -> str:
    """A compact axis label: 1,500 / 2.5M / 0.25."""
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:g}B"
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e4:
        return f"{v / 1e3:g}k"
    if a >= 1 or v == 0:
        return f"{v:,.6g}"
    return f"{v:.3g}"


def svg_element(width: int, height: int, title: str, parts: Sequence[str]) -> str:
    """An inline ``<svg>`` of ``parts``: scaled to its box (width 100%, at most ``width`` pixels), an image with
    ``title`` as its accessible name."""
    label = escape(title)
    return (f'<svg class="chart" role="img" aria-label="{label}" viewBox="0 0 {width} {height}" width="100%" '
            f'style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">'
            f'<title>{label}</title>' + "\n".join(parts) + "</svg>")


@dataclass
class Chart:
    """One chart: data coordinates mapped into a ``width`` × ``height`` box with margins for the axes."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    width: int = 640
    height: int = 320
    x_label: str = ""
    y_label: str = ""
    title: str = ""
    margin: tuple[int, int, int, int] = (48, 20, 48, 76)      # top, right, bottom, left: title and legend above
    parts: list[str] = field(default_factory=list)
    legend_items: list[tuple[str, str, str]] = field(default_factory=list)   # (label, colour, kind)

    def __post_init__(self) -> None:
        lo, hi = self.x_range
        if not hi > lo:
            self.x_range = (lo - 1.0, hi + 1.0) if lo == hi else (hi, lo)
        lo, hi = self.y_range
        pad = 0.04 * (hi - lo) if hi > lo else max(abs(lo) * 0.05, 1.0)
        self.y_range = (lo - pad, hi + pad)

    # ------------------------------------------------------------------ coordinates
    def px(self, x: float) -> float:
        top, right, bottom, left = self.margin
        lo, hi = self.x_range
        return left + (x - lo) / (hi - lo) * (self.width - left - right)

    def py(self, y: float) -> float:
        top, right, bottom, left = self.margin
        lo, hi = self.y_range
        return top + (hi - y) / (hi - lo) * (self.height - top - bottom)

    # ------------------------------------------------------------------ marks
    def line(self, xs: Sequence[float], ys: Sequence[float], colour: str, label: str = "", width: float = 2.0,
             dash: str = "") -> None:
        pts = " ".join(f"{self.px(x):.1f},{self.py(y):.1f}" for x, y in zip(xs, ys)
                       if math.isfinite(x) and math.isfinite(y))
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width}"{extra}/>')
        if label:
            self.legend_items.append((label, colour, "line"))

    def marker(self, x: float, y: float, colour: str, label: str = "", shape: str = "circle", size: float = 5) -> None:
        cx, cy = self.px(x), self.py(y)
        if shape == "square":
            mark = (f'<rect x="{cx - size:.1f}" y="{cy - size:.1f}" width="{2 * size}" height="{2 * size}" '
                    f'fill="{colour}" stroke="black" stroke-width="0.8"/>')
        elif shape == "diamond":
            mark = (f'<polygon points="{cx:.1f},{cy - size * 1.3:.1f} {cx + size * 1.3:.1f},{cy:.1f} '
                    f'{cx:.1f},{cy + size * 1.3:.1f} {cx - size * 1.3:.1f},{cy:.1f}" fill="{colour}" '
                    f'stroke="black" stroke-width="0.8"/>')
        else:
            mark = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{size}" fill="{colour}" stroke="black" stroke-width="0.8"/>'
        self.parts.append(mark)
        if label and not any(item[0] == label for item in self.legend_items):
            self.legend_items.append((label, colour, shape))

    def x_band(self, x0: float, x1: float, colour: str, label: str = "", opacity: float = 0.25) -> None:
        """A shaded vertical band over [x0, x1] across the whole plot."""
        top, right, bottom, left = self.margin
        a, b = sorted((self.px(x0), self.px(x1)))
        self.parts.append(f'<rect x="{a:.1f}" y="{top}" width="{max(b - a, 0.5):.1f}" '
                          f'height="{self.height - top - bottom}" fill="{colour}" fill-opacity="{opacity}"/>')
        if label:
            self.legend_items.append((label, colour, "band"))

    def v_rule(self, x: float, colour: str, dash: str = "4 3") -> None:
        top, right, bottom, left = self.margin
        self.parts.append(f'<line x1="{self.px(x):.1f}" x2="{self.px(x):.1f}" y1="{top}" y2="{self.height - bottom}" '
                          f'stroke="{colour}" stroke-dasharray="{dash}"/>')

    def text(self, x: float, y: float, words: str, anchor: str = "start", size: int = 12) -> None:
        self.parts.append(f'<text x="{self.px(x):.1f}" y="{self.py(y):.1f}" font-size="{size}" '
                          f'text-anchor="{anchor}">{escape(words)}</text>')

    # ------------------------------------------------------------------ drawing
    def _axes(self) -> list[str]:
        top, right, bottom, left = self.margin
        w, h = self.width, self.height
        out = [f'<rect x="{left}" y="{top}" width="{w - left - right}" height="{h - top - bottom}" fill="white" '
               f'stroke="{GREY}"/>']
        for t in nice_ticks(*self.x_range):
            x = self.px(t)
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{h - bottom}" stroke="{LIGHT}"/>')
            out.append(f'<text x="{x:.1f}" y="{h - bottom + 16}" font-size="11" text-anchor="middle">'
                       f'{escape(tick_label(t))}</text>')
        for t in nice_ticks(*self.y_range):
            y = self.py(t)
            out.append(f'<line x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LIGHT}"/>')
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
                       f'{escape(tick_label(t))}</text>')
        if self.x_label:
            out.append(f'<text x="{(left + w - right) / 2:.1f}" y="{h - 8}" font-size="12" text-anchor="middle" '
                       f'class="axis-label">{escape(self.x_label)}</text>')
        if self.y_label:
            cy = (top + h - bottom) / 2
            out.append(f'<text x="14" y="{cy:.1f}" font-size="12" text-anchor="middle" class="axis-label" '
                       f'transform="rotate(-90 14 {cy:.1f})">{escape(self.y_label)}</text>')
        if self.title:
            out.append(f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(self.title)}</text>')
        return out

    def _legend(self) -> list[str]:
        top, right, bottom, left = self.margin
        out, x = [], float(left)
        for label, colour, kind in self.legend_items:
            y = top - 14
            if kind == "line":
                out.append(f'<line x1="{x}" x2="{x + 16}" y1="{y}" y2="{y}" stroke="{colour}" stroke-width="2"/>')
            elif kind == "band":
                out.append(f'<rect x="{x}" y="{y - 6}" width="16" height="10" fill="{colour}" fill-opacity="0.3"/>')
            elif kind == "diamond":
                out.append(f'<polygon points="{x + 8},{y - 5} {x + 13},{y} {x + 8},{y + 5} {x + 3},{y}" '
                           f'fill="{colour}" stroke="black" stroke-width="0.8"/>')
            elif kind == "square":
                out.append(f'<rect x="{x + 4}" y="{y - 4}" width="8" height="8" fill="{colour}" stroke="black" '
                           f'stroke-width="0.8"/>')
            else:
                out.append(f'<circle cx="{x + 8}" cy="{y}" r="4" fill="{colour}" stroke="black" stroke-width="0.8"/>')
            out.append(f'<text x="{x + 20}" y="{y + 4}" font-size="11">{escape(label)}</text>')
            x += 30 + 6.5 * len(label)
        return out

    def svg(self, description: str = "") -> str:
        """The chart as an inline ``<svg>`` element (``role="img"`` with the title and a description)."""
        return svg_element(self.width, self.height, self.title or description,
                           [*self._axes(), *self.parts, *self._legend()])


def range_bars(rows: Sequence[dict], title: str, width: int = 640) -> str:
    """One horizontal bar per row (``name``, ``level``, ``lower``, ``upper``, ``binding``), each on a scale of
    its own: the allowed range shaded, the level marked, the numbers written beside it, and binding rows
    drawn in vermillion and labelled "binds"."""
    row_h, top, left, right = 44, 28, 130, 10
    height = top + row_h * len(rows) + 6
    bar_w = width - left - right
    parts = [f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for i, r in enumerate(rows):
        y = top + i * row_h
        level, lower, upper = r["level"], r.get("lower"), r.get("upper")
        known = [v for v in (lower, upper, level) if v is not None and math.isfinite(v)]
        lo, hi = min(known), max(known)
        pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi) * 0.1, 1.0)
        lo, hi = lo - pad, hi + pad

        def px(v: float, lo: float = lo, hi: float = hi) -> float:
            return left + (v - lo) / (hi - lo) * bar_w

        a = px(lower) if lower is not None else left
        b = px(upper) if upper is not None else left + bar_w
        binding = r.get("binding")
        colour = OKABE_ITO["vermillion"] if binding else OKABE_ITO["blue"]
        parts.append(f'<text x="{left - 8}" y="{y + 14}" font-size="12" text-anchor="end">{escape(r["name"])}</text>')
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{bar_w}" height="14" fill="{LIGHT}"/>')
        parts.append(f'<rect x="{a:.1f}" y="{y + 4}" width="{max(b - a, 1):.1f}" height="14" '
                     f'fill="{OKABE_ITO["sky_blue"]}" fill-opacity="0.45" stroke="{OKABE_ITO["sky_blue"]}"/>')
        parts.append(f'<line x1="{px(level):.1f}" x2="{px(level):.1f}" y1="{y}" y2="{y + 22}" stroke="{colour}" '
                     f'stroke-width="4"/>')
        bounds = f"allowed {'−∞' if lower is None else tick_label(lower)} to {'∞' if upper is None else tick_label(upper)}"
        words = f"level {format(level, ',.2f')}, {bounds}" + (f" — binds ({binding})" if binding else "")
        parts.append(f'<text x="{left}" y="{y + 34}" font-size="11" fill="{colour if binding else "black"}">'
                     f'{escape(words)}</text>')
    return svg_element(width, height, title, parts)


def heat_map(rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float]], title: str,
             value_label: str, width: int = 640) -> str:
    """A table of cells shaded from white to blue by value, each cell labelled with its number."""
    left, top, cell_h = 150, 56, 26
    cell_w = (width - left - 10) / max(len(columns), 1)
    height = top + cell_h * len(rows) + 30
    peak = max((v for row in values for v in row), default=0.0) or 1.0
    parts = [f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for j, c in enumerate(columns):
        parts.append(f'<text x="{left + (j + 0.5) * cell_w:.1f}" y="{top - 8}" font-size="11" text-anchor="middle">'
                     f'{escape(c)}</text>')
    for i, r in enumerate(rows):
        y = top + i * cell_h
        parts.append(f'<text x="{left - 8}" y="{y + 17}" font-size="11" text-anchor="end">{escape(r)}</text>')
        for j, v in enumerate(values[i]):
            share = v / peak
            fill = _blend("#ffffff", OKABE_ITO["blue"], share)
            ink = "white" if share > 0.55 else "black"
            parts.append(f'<rect x="{left + j * cell_w:.1f}" y="{y}" width="{cell_w:.1f}" height="{cell_h}" fill="{fill}" '
                         f'stroke="white"/>')
            parts.append(f'<text x="{left + (j + 0.5) * cell_w:.1f}" y="{y + 17}" font-size="11" text-anchor="middle" '
                         f'fill="{ink}">{escape(format(v, ",.0f"))}</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="11" class="axis-label">{escape(value_label)}</text>')
    return svg_element(width, height, title, parts)


def _blend(a: str, b: str, t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    ca = [int(a[k:k + 2], 16) for k in (1, 3, 5)]
    cb = [int(b[k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))
