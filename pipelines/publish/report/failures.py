"""Question 4: what happens when processes fail (reopens, escalations, SLA breaches, abandoned calls)."""

from __future__ import annotations

from pipelines.publish.report.analyst import AnalystFile
from pipelines.publish.report.markup import (
    Finding,
    Section,
    charts,
    missing,
    num,
    pct,
    plural,
    share,
    table,
    tiles,
)
from pipelines.publish.report.svg import vbar_chart

TITLE = "4. What happens when processes fail?"
OWNERSHIP = "marts.complaint_ownership"
HOTSPOTS = "marts.friction_hotspots"


def _worst(rows: list[tuple[str, float | None]]) -> tuple[str, float] | None:
    known = [(team, rate) for team, rate in rows if rate is not None and rate > 0]
    return max(known, key=lambda r: (r[1], r[0])) if known else None


def section(db: AnalystFile) -> Section:
    result = Section("q4-failures", TITLE)
    if not db.has(OWNERSHIP):
        result.findings.append(
            Finding("Process failures cannot be shown: the analyst file has no complaint_ownership.")
        )
        result.body = missing(OWNERSHIP)
        return result
    # a complaint's SLA status is unknown where it has no SLA or no resolution time (an export without one):
    # shares of breaches are of the complaints whose status is known, as friction_hotspots' rates are
    total, reopened, reopens, escalated, breached, sla_known = db.one(f"""
        SELECT count(*), count(*) FILTER (WHERE reopens > 0), coalesce(sum(reopens), 0),
               count(*) FILTER (WHERE team_handoffs > 0), count(*) FILTER (WHERE is_sla_breached),
               count(is_sla_breached)
        FROM {OWNERSHIP}""")
    if not total:
        result.findings.append(Finding("There are no complaints in the data, so no process has failed yet."))
        return result
    per_team = db.rows(f"""
        SELECT coalesce(first_team, '(no team)'), count(*),
               count(*) FILTER (WHERE reopens > 0) / count(*),
               count(*) FILTER (WHERE team_handoffs > 0) / count(*),
               count(*) FILTER (WHERE is_sla_breached) / nullif(count(is_sla_breached), 0)
        FROM {OWNERSHIP} GROUP BY 1 ORDER BY 2 DESC, 1""")
    abandonment: dict[str, float] = {}
    if db.has(HOTSPOTS):
        abandonment = {
            team: rate
            for team, rate in db.rows(f"""
                SELECT team, avg(abandonment_rate) FROM {HOTSPOTS}
                WHERE team IS NOT NULL AND abandonment_rate IS NOT NULL GROUP BY 1""")
        }

    def about(
        count: int, what: tuple[str, str], worst: tuple[str, float] | None, of: int = total, unknown: str = ""
    ) -> str:
        """'N complaints (x %) <what>; most often at <team> (y %).' with what = (one, several); x % of `of`."""
        where = f"; most often at {worst[0]} ({pct(worst[1])})" if worst else ""
        return f"{plural(count, 'complaint')} ({pct(share(count, of))}{unknown}) {what[count != 1]}{where}."

    sla_unknown = total - sla_known
    unknown_sla = (
        f" of the {num(sla_known)} whose SLA status is known; {num(sla_unknown)} without an SLA or a "
        "resolution time"
        if sla_unknown
        else ""
    )

    if reopened:
        result.findings.append(
            Finding(
                about(
                    reopened,
                    ("was reopened after being resolved", "were reopened after being resolved"),
                    _worst([(t, r) for t, _, r, _, _ in per_team]),
                ),
                headline=True,
            )
        )
    else:
        result.findings.append(
            Finding("No complaint was reopened after being resolved.", "good", headline=True)
        )
    if breached:
        result.findings.append(
            Finding(
                about(
                    breached,
                    ("breached its SLA", "breached their SLA"),
                    _worst([(t, s) for t, *_, s in per_team]),
                    of=sla_known,
                    unknown=unknown_sla,
                ),
                headline=True,
            )
        )
    else:
        if not sla_known:
            within = Finding(
                "No complaint's SLA status is known: none has an SLA and a resolution time.", headline=True
            )
        elif sla_unknown:
            within = Finding(
                f"Every complaint whose SLA status is known ({num(sla_known)}) was handled within its SLA; "
                f"{num(sla_unknown)} have no SLA or no resolution time.",
                "good",
                headline=True,
            )
        else:
            within = Finding("Every complaint was handled within its SLA.", "good", headline=True)
        result.findings.append(within)
    if escalated:
        result.findings.append(
            Finding(
                about(
                    escalated,
                    ("was escalated to another team", "were escalated to another team"),
                    _worst([(t, e) for t, _, _, e, _ in per_team]),
                )
            )
        )
    else:
        result.findings.append(Finding("No complaint had to be escalated to another team.", "good"))
    worst_abandon = _worst(list(abandonment.items()))
    if worst_abandon:
        result.findings.append(
            Finding(
                f"Callers hung up on {pct(worst_abandon[1])} of the calls to {worst_abandon[0]} before "
                "reaching anyone, the highest abandonment of any team."
            )
        )

    key = tiles(
        [
            (num(reopened), "complaints reopened", "bad" if reopened else "good"),
            (num(reopens), "reopen events", "info"),
            (num(escalated), "escalated to another team", "info"),
            (num(breached), "SLA breaches", "bad" if breached else "good"),
        ]
    )
    series: list[tuple[str, list[float | None]]] = [
        ("reopened", [r for _, _, r, _, _ in per_team]),
        ("escalated", [e for _, _, _, e, _ in per_team]),
        ("SLA breached", [s for *_, s in per_team]),
    ]
    if abandonment:
        series.append(("calls abandoned", [abandonment.get(t) for t, *_ in per_team]))
    chart = vbar_chart(
        "Failure rates by team (team that first took the complaint)",
        [t for t, *_ in per_team],
        series,
        x_axis="team",
        y_axis="share of complaints / calls (%)",
        fmt=lambda v: pct(v, 0),
    )
    rows = [
        (t, num(n), pct(r), pct(e), pct(s), pct(abandonment.get(t)) if abandonment else "–")
        for t, n, r, e, s in per_team
    ]
    detail = table(["team", "complaints", "reopened", "escalated", "SLA breached", "calls abandoned"], rows)
    result.body = key + charts(chart) + detail
    return result
