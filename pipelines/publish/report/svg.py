"""Inline SVG charts, drawn in Python: horizontal and vertical bars, lines and a heatmap.

Each chart is a <figure> with a title, axis titles, tick labels and a <title> tooltip on every mark,
so it reads without JavaScript and without any file or font from the network."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from pipelines.publish.report.markup import esc, num

PALETTE = ("#2f6db5", "#e07b39", "#3a9d5d", "#c44e52", "#8172b2", "#937860", "#d17fb5", "#7f7f7f")
CHAR_W = 7.2  # approximate width of one character at 12 px (generous: a clipped label is worse)
Fmt = Callable[[float], str]


def figure(title: str, svg: str) -> str:
    return f'<figure class="chart"><figcaption>{esc(title)}</figcaption>{svg}</figure>'


def _empty(title: str, message: str) -> str:
    return f'<figure class="chart"><figcaption>{esc(title)}</figcaption><p class="note">{esc(message)}</p></figure>'


def _svg(width: float, height: float, label: str, parts: list[str]) -> str:
    w, h = math.ceil(width), math.ceil(height)
    return (
        f'<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-label="{esc(label)}" font-family="system-ui, sans-serif" font-size="12">'
        f"<title>{esc(label)}</title>{''.join(parts)}</svg>"
    )


def _text(x: float, y: float, value: str, *, anchor: str = "start", cls: str = "", extra: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}{extra}>{esc(value)}</text>'


def _short(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above value: a round top for an axis."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * base * (1 + 1e-9):
            return step * base
    return 10 * base


def _top(highest: float, fmt: Fmt, given: float | None) -> float:
    """The axis top: as given, else a round number; counts (the default `num` format) reach at least 5 so
    that their five ticks are whole numbers."""
    if given is not None:
        return given
    top = nice_max(highest)
    return max(top, 5.0) if fmt is num else top


def _ticks(top: float, count: int = 5) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _legend_width(names: Sequence[str]) -> float:
    return sum(14 + CHAR_W * len(name) + 18 for name in names)


def _legend(names: Sequence[str], x: float, y: float, colors: Sequence[str] = PALETTE) -> list[str]:
    parts: list[str] = []
    for i, name in enumerate(names):
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colors[i % len(colors)]}"/>'
        )
        parts.append(_text(x + 14, y, name))
        x += 14 + CHAR_W * len(name) + 18
    return parts


def hbar_chart(
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    value_axis: str,
    category_axis: str,
    fmt: Fmt = num,
    max_value: float | None = None,
    label_chars: int = 38,
) -> str:
    """One horizontal bar per row, in the given order, labelled with its value (labels cut at
    label_chars)."""
    if not rows:
        return _empty(title, "Nothing to draw: no rows.")
    label_w = (
        min(CHAR_W * label_chars, max(60.0, CHAR_W * max(len(_short(lab, label_chars)) for lab, _ in rows)))
        + 10
    )
    plot_w, row_h, top = 380.0, 24.0, 26.0
    width, height = label_w + plot_w + 80, top + row_h * len(rows) + 48
    top_value = _top(max(max(v for _, v in rows), 0), fmt, max_value)
    bottom = top + row_h * len(rows)
    parts = [_text(label_w - 8, 14, category_axis, anchor="end", cls="axis-title")]
    for tick in _ticks(top_value):
        x = label_w + plot_w * tick / top_value
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}"/>')
        parts.append(_text(x, bottom + 14, fmt(tick), anchor="middle", cls="tick"))
    for i, (name, value) in enumerate(rows):
        y = top + i * row_h + 4
        bar = plot_w * max(value, 0) / top_value
        parts.append(
            f'<rect class="bar" x="{label_w:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{row_h - 8}" '
            f'fill="{PALETTE[0]}"><title>{esc(name)}: {esc(fmt(value))}</title></rect>'
        )
        parts.append(_text(label_w - 8, y + row_h / 2, _short(name, label_chars), anchor="end"))
        parts.append(_text(label_w + bar + 4, y + row_h / 2, fmt(value), cls="value"))
    parts.append(_text(label_w + plot_w / 2, height - 8, value_axis, anchor="middle", cls="axis-title"))
    return figure(title, _svg(width, height, title, parts))


def vbar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    x_axis: str,
    y_axis: str,
    fmt: Fmt = num,
    stacked: bool = False,
    colors: Sequence[str] = PALETTE,
    y_max: float | None = None,
) -> str:
    """Vertical bars per category: one bar per series side by side, or stacked."""
    if not categories or not series:
        return _empty(title, "Nothing to draw: no rows.")
    per_group = 1 if stacked else len(series)
    group_w = max(34.0, per_group * 16.0 + 16)
    left, plot_h = 64.0, 190.0
    plot_w = max(300.0, group_w * len(categories))
    longest = max(len(c) for c in categories)
    rotate = longest * CHAR_W > group_w - 4
    label_h = min(120.0, longest * CHAR_W * 0.72) + 8 if rotate else 16.0
    top = 40.0 if len(series) > 1 else 16.0
    height = top + plot_h + label_h + 34
    width = max(
        left + plot_w + 20, left + _legend_width([name for name, _ in series]) if len(series) > 1 else 0
    )
    values = [[v or 0.0 for v in values] for _, values in series]
    highest = max(sum(col) for col in zip(*values, strict=True)) if stacked else max(max(v) for v in values)
    top_value = _top(highest, fmt, y_max)
    bottom = top + plot_h
    parts: list[str] = []
    if len(series) > 1:
        parts += _legend([name for name, _ in series], left, 18, colors)
    for tick in _ticks(top_value):
        y = bottom - plot_h * tick / top_value
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}"/>')
        parts.append(_text(left - 6, y + 4, fmt(tick), anchor="end", cls="tick"))
    bar_w = (group_w - 16) / per_group
    for c, category in enumerate(categories):
        x0 = left + c * (plot_w / len(categories)) + (plot_w / len(categories) - group_w) / 2 + 8
        base = bottom
        for s, (name, _) in enumerate(series):
            value = values[s][c]
            h = plot_h * max(value, 0) / top_value
            x = x0 if stacked else x0 + s * bar_w
            y = (base - h) if stacked else (bottom - h)
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 2):.1f}" height="{h:.1f}" '
                f'fill="{colors[s % len(colors)]}"><title>{esc(category)}, {esc(name)}: {esc(fmt(value))}</title></rect>'
            )
            if stacked:
                base -= h
        cx = left + (c + 0.5) * plot_w / len(categories)
        if rotate:
            parts.append(
                _text(
                    cx,
                    bottom + 14,
                    _short(category, 24),
                    anchor="end",
                    extra=f' transform="rotate(-35 {cx:.1f} {bottom + 14:.1f})"',
                )
            )
        else:
            parts.append(_text(cx, bottom + 14, category, anchor="middle"))
    parts.append(f'<line class="axis" x1="{left}" y1="{bottom}" x2="{left + plot_w:.1f}" y2="{bottom}"/>')
    parts.append(_text(left + plot_w / 2, height - 6, x_axis, anchor="middle", cls="axis-title"))
    mid = top + plot_h / 2
    parts.append(
        _text(
            14, mid, y_axis, anchor="middle", cls="axis-title", extra=f' transform="rotate(-90 14 {mid:.1f})"'
        )
    )
    return figure(title, _svg(width, height, title, parts))


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    x_axis: str,
    y_axis: str,
    fmt: Fmt = num,
    y_max: float | None = None,
) -> str:
    """One line per series over ordered x labels; a gap (None) breaks the line, every point is marked."""
    if not x_labels or not series:
        return _empty(title, "Nothing to draw: no rows.")
    left, plot_h = 64.0, 190.0
    plot_w = max(360.0, min(720.0, 56.0 * len(x_labels)))
    top = 40.0 if len(series) > 1 else 16.0
    height, width = top + plot_h + 56, left + plot_w + 30
    if len(series) > 1:
        width = max(width, left + _legend_width([name for name, _ in series]))
    present = [v for _, values in series for v in values if v is not None]
    top_value = _top(max(present, default=0), fmt, y_max)
    bottom = top + plot_h
    parts: list[str] = []
    if len(series) > 1:
        parts += _legend([name for name, _ in series], left, 18)
    for tick in _ticks(top_value):
        y = bottom - plot_h * tick / top_value
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}"/>')
        parts.append(_text(left - 6, y + 4, fmt(tick), anchor="end", cls="tick"))

    def x_at(i: int) -> float:
        return (
            left + plot_w / 2 if len(x_labels) == 1 else left + 10 + i * (plot_w - 20) / (len(x_labels) - 1)
        )

    step = max(1, math.ceil(len(x_labels) / 10))
    for i, name in enumerate(x_labels):
        if i % step == 0 or i == len(x_labels) - 1:
            parts.append(_text(x_at(i), bottom + 16, name, anchor="middle", cls="tick"))
    for s, (name, values) in enumerate(series):
        color = PALETTE[s % 8]
        run: list[str] = []
        for i, value in enumerate([*values, None]):
            if value is None:
                if len(run) > 1:
                    parts.append(
                        f'<polyline class="line" fill="none" stroke="{color}" points="{" ".join(run)}"/>'
                    )
                run = []
                continue
            y = bottom - plot_h * min(value, top_value) / top_value
            run.append(f"{x_at(i):.1f},{y:.1f}")
        for i, value in enumerate(values):
            if value is not None:
                y = bottom - plot_h * min(value, top_value) / top_value
                parts.append(
                    f'<circle class="point" cx="{x_at(i):.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                    f"<title>{esc(name)}, {esc(x_labels[i])}: {esc(fmt(value))}</title></circle>"
                )
    parts.append(f'<line class="axis" x1="{left}" y1="{bottom}" x2="{left + plot_w:.1f}" y2="{bottom}"/>')
    parts.append(_text(left + plot_w / 2, height - 8, x_axis, anchor="middle", cls="axis-title"))
    mid = top + plot_h / 2
    parts.append(
        _text(
            14, mid, y_axis, anchor="middle", cls="axis-title", extra=f' transform="rotate(-90 14 {mid:.1f})"'
        )
    )
    return figure(title, _svg(width, height, title, parts))


def _shade(t: float) -> str:
    low, high = (238, 243, 250), (31, 78, 140)
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    title: str,
    rows: Sequence[str],
    cols: Sequence[str],
    counts: Mapping[tuple[str, str], int],
    *,
    row_axis: str,
    col_axis: str,
) -> str:
    """A matrix of counts (row -> column), darker for more; the diagonal is greyed out."""
    if not rows or not cols:
        return _empty(title, "Nothing to draw: no rows.")
    cell_w, cell_h = 64.0, 30.0
    label_w = min(200.0, CHAR_W * max(len(_short(r, 28)) for r in rows)) + 10
    col_label_w = CHAR_W * max(len(_short(c, 28)) for c in cols)
    col_label_h = min(150.0, col_label_w * 0.72) + 12
    left, top = 26 + label_w, 22 + col_label_h
    # the last column's label leans right, past the grid (cos 40° of its length)
    width = left + cell_w * len(cols) + max(12.0, col_label_w * 0.77 - cell_w / 2 + 8)
    height = top + cell_h * len(rows) + 12
    highest = max(counts.values(), default=0) or 1
    parts = [_text(left + cell_w * len(cols) / 2, 14, col_axis, anchor="middle", cls="axis-title")]
    mid = top + cell_h * len(rows) / 2
    parts.append(
        _text(
            12,
            mid,
            row_axis,
            anchor="middle",
            cls="axis-title",
            extra=f' transform="rotate(-90 12 {mid:.1f})"',
        )
    )
    for j, col in enumerate(cols):
        cx, y = left + (j + 0.5) * cell_w, top - 6
        parts.append(
            _text(cx, y, _short(col, 28), anchor="start", extra=f' transform="rotate(-40 {cx:.1f} {y:.1f})"')
        )
    for i, row in enumerate(rows):
        y = top + i * cell_h
        parts.append(_text(left - 8, y + cell_h / 2 + 4, _short(row, 28), anchor="end"))
        for j, col in enumerate(cols):
            x = left + j * cell_w
            value = counts.get((row, col), 0)
            if row == col:
                fill, shown, ink = "#f2f2f2", "–", "#999"
            else:
                t = value / highest
                fill, shown, ink = (
                    _shade(t) if value else "#fafafa",
                    num(value) if value else "",
                    ("#fff" if t > 0.55 else "#222"),
                )
            parts.append(
                f'<rect class="cell" x="{x:.1f}" y="{y:.1f}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{fill}"><title>{esc(row)} → {esc(col)}: {esc(num(value))}</title></rect>'
            )
            if shown:
                parts.append(
                    _text(
                        x + cell_w / 2 - 1, y + cell_h / 2 + 3, shown, anchor="middle", extra=f' fill="{ink}"'
                    )
                )
    return figure(title, _svg(width, height, title, parts))
