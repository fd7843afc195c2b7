"""Question 6: where the experience is actually breaking (marts.friction_hotspots, ranked)."""

from __future__ import annotations

import math

from pipelines.publish.report.analyst import AnalystFile
from pipelines.publish.report.markup import Finding, Section, charts, missing, num, pct, plural, table
from pipelines.publish.report.svg import hbar_chart

TITLE = "6. Where is the experience actually breaking?"
HOTSPOTS = "marts.friction_hotspots"
TOP = 10


def _name(category: str | None, team: str | None, channel: str | None) -> str:
    return " · ".join(part or "(unknown)" for part in (category, team, channel))


def _weighted(score: float | None, complaints: int | None) -> float:
    return (score or 0.0) * math.log1p(complaints or 0)


def section(db: AnalystFile) -> Section:
    result = Section("q6-hotspots", TITLE)
    if not db.has(HOTSPOTS):
        result.findings.append(
            Finding("Hotspots cannot be shown: the analyst file has no friction_hotspots.")
        )
        result.body = missing(HOTSPOTS)
        return result
    ranked = db.rows(f"""
        SELECT friction_rank, category, team, channel, complaints, reopen_rate, avg_team_handoffs,
               sla_breach_rate, unowned_rate, mean_csat, unhappy_share, surveyed_complaints, abandonment_rate,
               friction_score
        FROM {HOTSPOTS} ORDER BY friction_rank NULLS LAST, friction_score DESC LIMIT {TOP}""")
    if not ranked:
        result.findings.append(Finding("No friction hotspots: there are no complaints to rank.", "good"))
        return result
    total = db.count(HOTSPOTS)
    _, category, team, channel, complaints, reopen, handoffs, sla, _, csat, _, surveyed, _, _ = ranked[0]
    csat_part = (
        f", mean CSAT {csat:.1f} (of {plural(surveyed, 'surveyed complaint')})" if csat is not None else ""
    )
    result.findings.append(
        Finding(
            f"The worst hotspot is {category} complaints to {team} by {channel}: "
            f"{plural(complaints, 'complaint')}, {pct(reopen)} reopened, {pct(sla)} past SLA, "
            f"{handoffs or 0:.2f} team handoffs per complaint{csat_part}.",
            headline=True,
        )
    )
    if len(ranked) > 2:
        others = "; ".join(_name(c, t, ch) for _, c, t, ch, *_ in ranked[1:3])
        result.findings.append(
            Finding(
                f"Next on the list: {others} (of {num(total)} category × team × channel combinations ranked)."
            )
        )
    # the rank orders by friction × ln(1 + complaints): the bars draw that, so they fall in rank order
    chart = hbar_chart(
        f"Top {len(ranked)} friction hotspots in rank order",
        [(_name(c, t, ch), _weighted(score, n)) for _, c, t, ch, n, *_, score in ranked],
        value_axis="friction score × ln(1 + complaints): what the rank sorts by",
        category_axis="hotspot",
        fmt=lambda v: f"{v:.2f}",
        label_chars=60,
    )
    rows = [
        (
            num(rank),
            c,
            t,
            ch,
            num(n),
            pct(r),
            "–" if h is None else f"{h:.2f}",
            pct(s),
            pct(u),
            "–" if m is None else f"{m:.2f}",
            pct(un),
            num(surveyed),
            pct(a),
            "–" if score is None else f"{score:.3f}",
        )
        for rank, c, t, ch, n, r, h, s, u, m, un, surveyed, a, score in ranked
    ]
    detail = table(
        [
            "rank",
            "category",
            "team",
            "channel",
            "complaints",
            "reopened",
            "handoffs / complaint",
            "past SLA",
            "unowned",
            "mean CSAT",
            "unhappy surveys",
            "surveyed",
            "calls abandoned",
            "friction",
        ],
        rows,
    )
    result.body = charts(chart) + detail
    return result
