"""HTML building blocks for the report: findings, sections, tables, tiles and number formats.

Every piece of data that reaches the page goes through `esc` here; callers pass plain text."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Tone = Literal["bad", "good", "info"]


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


@dataclass(frozen=True)
class Finding:
    """One plain-language sentence computed from the data; `tone` colours it (bad, good or info)."""

    text: str
    tone: Tone = "info"
    headline: bool = False  # also shown in the summary box at the top


@dataclass
class Section:
    """One question of DESIGN.md §1 (or the checks): findings in words, then charts and tables (HTML)."""

    anchor: str
    title: str
    findings: list[Finding] = field(default_factory=list)
    body: str = ""


def findings_list(findings: Sequence[Finding]) -> str:
    items = "".join(f'<li class="{f.tone}">{esc(f.text)}</li>' for f in findings)
    return f'<ul class="findings">{items}</ul>' if items else ""


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def missing(table: str) -> str:
    return note(
        f"{table} is not in this analyst file (published by an older version), so this part is skipped."
    )


def _cell(value: object) -> str:
    """Escaped cell text; a number and its % stay on one line."""
    return esc(value).replace(" %", "&nbsp;%")


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, raw: frozenset[int] = frozenset()
) -> str:
    """A data table; columns whose index is in `raw` hold trusted HTML built by this package."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{v if i in raw else _cell(v)}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    if not body:
        return ""
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def tiles(items: Sequence[tuple[str, str, Tone]]) -> str:
    """Key numbers in a row of tiles: (value, label, tone)."""
    cells = "".join(
        f'<div class="tile {tone}"><b>{esc(value)}</b><span>{esc(label)}</span></div>'
        for value, label, tone in items
    )
    return f'<div class="tiles">{cells}</div>'


def charts(*figures: str) -> str:
    return '<div class="charts">' + "".join(figures) + "</div>"


def pill(text: str, tone: Tone) -> str:
    return f'<span class="pill {tone}">{esc(text)}</span>'


# -- numbers in words ---------------------------------------------------------------------------


def num(value: float | int | None) -> str:
    """8402 -> '8,402'; 13.03 -> '13.03'; 4.0 -> '4'; None -> '–'."""
    if value is None:
        return "–"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text


def pct(share: float | None, digits: int | None = None) -> str:
    """A share (0..1) as '12 %'. A share that would round to 0 % or 100 % without being so keeps a decimal
    (99.6 % is not "100 %" beside "3 of 830 disagree"), and so does one below 10 % after rounding ("7.2 %";
    9.97 % reads "10 %", not "10.0 %")."""
    if share is None:
        return "–"
    value = share * 100
    if digits is None:
        whole = round(value)
        near_bound = (whole == 0 and value != 0) or (whole == 100 and value != 100)
        digits = 1 if near_bound or (abs(round(value, 1)) < 10 and round(value, 1) != whole) else 0
        while near_bound and digits < 4 and round(value, digits) in (0, 100):
            digits += 1  # 99.96 %: one decimal would still say 100.0 %
    return f"{value:.{digits}f} %"


def hours(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 48:
        return f"{value / 24:.1f} days"
    return f"{value:.0f} h" if value >= 10 else f"{value:.1f} h"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def label(name: str) -> str:
    """A code name for people: 'management_vs_data' -> 'management vs data'."""
    return name.replace("_", " ")


def period(start: date | datetime | None, end: date | datetime | None) -> str:
    """'October 2026' for a calendar month, '2026-07-20' for a day, else 'start – end'."""
    if start is None:
        return "an unknown period"
    start_d = start.date() if isinstance(start, datetime) else start
    end_d = end.date() if isinstance(end, datetime) else end
    if end_d is None or end_d == start_d:
        return start_d.isoformat()
    if start_d.day == 1 and end_d.month == start_d.month and end_d.year == start_d.year:
        next_day = date.fromordinal(end_d.toordinal() + 1)
        if next_day.day == 1:
            return start_d.strftime("%B %Y")
    return f"{start_d.isoformat()} – {end_d.isoformat()}"


def stamp(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
