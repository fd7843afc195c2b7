"""Question 3: are teams working from the same customer reality (marts.team_view_reconciliation, scorecard)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pipelines.publish.report.analyst import AnalystFile
from pipelines.publish.report.markup import (
    Finding,
    Section,
    cap,
    charts,
    label,
    missing,
    num,
    pct,
    period,
    plural,
    table,
)
from pipelines.publish.report.svg import hbar_chart, line_chart

TITLE = "3. Are teams working from the same customer reality?"
RECONCILIATION = "marts.team_view_reconciliation"
SCORECARD = "marts.fragmentation_scorecard"
GAPS_EACH = 5  # rows per comparison in the table of worst gaps

# how each comparison of DESIGN.md §5 reads in a sentence; an unknown comparison falls back to its name
WORDING = {
    "management_vs_data": ("dashboard KPI values", "the unified data"),
    "operations_vs_service": ("team-days of operations' handled calls", "service's phone complaints"),
    "marketing_vs_service": ("team-months of marketing's survey CSAT", "service's ticket ratings"),
}


def section(db: AnalystFile) -> Section:
    result = Section("q3-reality", TITLE)
    parts = [_reconciliation(db, result), _scorecard(db, result)]
    if not result.findings:
        result.findings.append(Finding("No team views were compared in this analyst file."))
    result.body = "".join(parts)
    return result


def _comparison_finding(comparison: str, total: int, disagree: int, gaps: int, *, headline: bool) -> Finding:
    what, against = WORDING.get(comparison, (f"values compared in {label(comparison)}", "the other view"))
    if not disagree and not gaps:
        if total == 1:
            return Finding(f"The one value compared ({what}) agrees with {against}.", "good", headline)
        return Finding(f"All {num(total)} {what} agree with {against}.", "good", headline)
    missing_part = (
        f", and {num(gaps)} {'appears' if gaps == 1 else 'appear'} on one side only" if gaps else ""
    )
    return Finding(
        f"{num(disagree)} of {num(total)} {what} disagree with {against}{missing_part}.", "bad", headline
    )


def _subject(metric: str, dim_name: str | None, dim_value: str | None) -> str:
    if dim_value is None:
        return metric
    if dim_name == "team":  # "Billing's calls", "General Enquiries' calls"
        possessive = "'" if dim_value.endswith("s") else "'s"
        return f"{dim_value}{possessive} {metric}"
    return f"{metric} for {dim_name} {dim_value}"


def _worst_dashboard_gap(db: AnalystFile) -> Finding | None:
    found = db.rows(f"""
        SELECT dashboard, metric, dimension_name, dimension_value, period_start, period_end, value_seen,
               value_unified, delta_pct
        FROM {RECONCILIATION}
        WHERE comparison = 'management_vs_data' AND status = 'disagree' AND delta_pct IS NOT NULL
        ORDER BY abs(delta_pct) DESC, dashboard, metric, dimension_value NULLS FIRST, period_start LIMIT 1""")
    if not found:
        return None
    dashboard, metric, dim_name, dim_value, start, end, seen, unified, delta_pct = found[0]
    direction = "lower" if delta_pct < 0 else "higher"
    return Finding(
        f"The {dashboard} dashboard put {_subject(metric, dim_name, dim_value)} {abs(delta_pct):.0f} % "
        f"{direction} than the unified data for {period(start, end)} ({num(seen)} against {num(unified)}).",
        "bad",
        headline=True,
    )


def _reconciliation(db: AnalystFile, result: Section) -> str:
    if not db.has(RECONCILIATION):
        return missing(RECONCILIATION)
    summary = db.rows(f"""
        SELECT comparison, count(*), count(*) FILTER (WHERE status = 'disagree'),
               count(*) FILTER (WHERE status IN ('missing_in_dashboard', 'missing_in_data'))
        FROM {RECONCILIATION} GROUP BY 1 ORDER BY 1""")
    if not summary:
        result.findings.append(Finding("No team view was reconciled tonight: the comparison table is empty."))
        return ""
    order = {name: i for i, name in enumerate(WORDING)}
    summary.sort(key=lambda row: (order.get(row[0], len(order)), row[0]))
    worst = _worst_dashboard_gap(db)
    if worst:
        result.findings.append(worst)
    result.findings += [
        _comparison_finding(c, n, d, g, headline=i == 0) for i, (c, n, d, g) in enumerate(summary)
    ]

    monthly = db.rows(f"""
        SELECT comparison, date_trunc('month', period_start)::DATE AS month,
               count(*) FILTER (WHERE status = 'agree') / count(*)
        FROM {RECONCILIATION} WHERE period_start IS NOT NULL GROUP BY 1, 2 ORDER BY 2, 1""")
    months: list[date] = sorted({m for _, m, _ in monthly})
    rate = {(c, m): v for c, m, v in monthly}
    trend = line_chart(
        "Share of compared values that agree, by month",
        [m.strftime("%b %Y") for m in months],
        [(label(c), [rate.get((c, m)) for m in months]) for c, *_ in summary],
        x_axis="period (month)",
        y_axis="values that agree (%)",
        fmt=lambda v: pct(v, 0),
        y_max=1.0,
    )
    gaps = db.rows(f"""
        WITH ranked AS (
            SELECT *, row_number() OVER (
                PARTITION BY comparison ORDER BY abs(delta_pct) DESC NULLS LAST, metric, period_start,
                dimension_value) AS nth
            FROM {RECONCILIATION} WHERE status <> 'agree'
        )
        SELECT comparison, coalesce(dashboard, ''), metric, dimension_value, period_start, period_end, value_seen,
               value_unified, delta_pct, status
        FROM ranked WHERE nth <= {GAPS_EACH} ORDER BY comparison, nth""")
    rows: list[tuple[Any, ...]] = [
        (
            label(c),
            d,
            m,
            v,
            period(s, e),
            num(seen),
            num(unified),
            "–" if dp is None else f"{dp:+.0f} %" if abs(dp) >= 10 else f"{dp:+.1f} %",
            label(st),
        )
        for c, d, m, v, s, e, seen, unified, dp, st in gaps
    ]
    worst_table = table(
        [
            "comparison",
            "dashboard / source",
            "metric",
            "team",
            "period",
            "value seen",
            "unified data",
            "gap",
            "status",
        ],
        rows,
    )
    heading = (
        f"<h3>Worst gaps (the {GAPS_EACH} largest relative differences of each comparison)</h3>"
        if worst_table
        else ""
    )
    return charts(trend) + heading + worst_table


def _scorecard(db: AnalystFile, result: Section) -> str:
    if not db.has(SCORECARD):
        return missing(SCORECARD)
    latest = db.rows(f"""
        SELECT team_a, team_b, kpi_values_compared, kpi_agreement_rate, snapshot_date FROM {SCORECARD}
        WHERE snapshot_date = (SELECT max(snapshot_date) FROM {SCORECARD}) AND kpi_agreement_rate IS NOT NULL
        ORDER BY kpi_agreement_rate, team_a, team_b""")
    if not latest:
        return ""
    a, b, compared, rate, night = latest[0]
    if rate < 1:
        result.findings.append(
            Finding(
                f"{cap(a)} and {b} agree on only {pct(rate)} of the {plural(compared, 'KPI value')} "
                "compared between them (a value one of them lacks counts as no agreement).",
                "bad",
            )
        )
    figures = [
        hbar_chart(
            f"KPI agreement per pair of team views (snapshot of {night})",
            [(f"{x} & {y}", r) for x, y, _, r, _ in sorted(latest, key=lambda p: (-p[3], p[0], p[1]))],
            value_axis="KPI values that agree (%)",
            category_axis="team pair",
            fmt=lambda v: pct(v, 0),
            max_value=1.0,
        )
    ]
    nights = db.rows(f"""
        SELECT snapshot_date, count(*), sum(kpi_values_compared * kpi_agreement_rate) / sum(kpi_values_compared)
        FROM {SCORECARD} WHERE kpi_values_compared > 0 GROUP BY 1 ORDER BY 1""")
    if len(nights) > 1:
        first, last = nights[0][2], nights[-1][2]
        trend_word = "up" if last > first else "down" if last < first else "unchanged"
        result.findings.append(
            Finding(
                f"Across {plural(len(nights), 'nightly snapshot')}, overall KPI agreement went {trend_word}: "
                f"{pct(first)} on {nights[0][0]}, {pct(last)} on {nights[-1][0]}.",
                "good" if last >= first else "bad",
            )
        )
        figures.append(
            line_chart(
                "KPI agreement over nights (all team pairs)",
                [d.isoformat() for d, _, _ in nights],
                [("agreement", [v for *_, v in nights])],
                x_axis="night (snapshot date)",
                y_axis="KPI values that agree (%)",
                fmt=lambda v: pct(v, 0),
                y_max=1.0,
            )
        )
    else:
        figures.append(
            f'<p class="note">The scorecard holds one snapshot so far ({night}). A snapshot is dated by the data\'s '
            "latest day, and a night that brings no newer data replaces it: the trend appears once a night brings a "
            "later day.</p>"
        )
    return charts(*figures)
