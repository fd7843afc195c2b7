"""Question 2: how signals are centralised and interpreted (identity map, customers, team overlap)."""

from __future__ import annotations

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
    plural,
    share,
    table,
)
from pipelines.publish.report.svg import hbar_chart, line_chart, vbar_chart

TITLE = "2. How are signals centralised and interpreted?"
IDENTITY = "marts.customer_identity_map"
CUSTOMERS = "marts.customers"
JOURNEY = "marts.customer_journey"
SCORECARD = "marts.fragmentation_scorecard"
TEAM_MAPPING = "reference.team_mapping"


def section(db: AnalystFile) -> Section:
    result = Section("q2-signals", TITLE)
    if db.has(JOURNEY):
        events, people, sources = db.one(
            f"SELECT count(*), count(DISTINCT customer_key), count(DISTINCT source) FROM {JOURNEY}"
        )
        if events:
            result.findings.append(
                Finding(
                    f"{num(events)} touchpoints from {plural(sources, 'source')} now sit on one "
                    f"timeline per customer, for {plural(people, 'customer')}."
                )
            )
    figures: list[str] = []
    tables: list[str] = []
    for part in (_identity, _customers, _overlap):
        drawn, extra = part(db, result)
        figures += drawn
        tables.append(extra)
    if not result.findings:
        result.findings.append(Finding("No customer records in this analyst file yet."))
    result.body = (charts(*figures) if figures else "") + "".join(tables)
    return result


# each part adds its findings to the section and returns (chart figures, other HTML)
Part = tuple[list[str], str]


def _identity(db: AnalystFile, result: Section) -> Part:
    if not db.has(IDENTITY):
        return [], missing(IDENTITY)
    rules = db.rows(f"""
        SELECT coalesce(match_rule, '(none)'), count(*) FROM {IDENTITY} GROUP BY 1 ORDER BY 2 DESC, 1""")
    records = sum(n for _, n in rules)
    if not records:
        return [], ""
    counts = dict(rules)
    alone = counts.get("singleton", 0)
    guessed = counts.get("probabilistic", 0)
    result.findings.append(
        Finding(
            f"{pct(share(records - alone, records))} of the {num(records)} records that name a customer are "
            f"linked to at least one other record of the same customer; {pct(share(alone, records))} stand "
            "alone."
        )
    )
    if guessed:
        result.findings.append(
            Finding(
                f"{plural(guessed, 'record')} ({pct(share(guessed, records))}) could only be linked by "
                "probabilistic matching (similar names, typo'd emails): those links are the ones to "
                "spot-check."
            )
        )
    return [
        hbar_chart(
            "Records by the rule that linked them to a customer",
            [(label(rule), float(n)) for rule, n in rules],
            value_axis="records",
            category_axis="match rule",
        )
    ], ""


def _unmapped_teams(db: AnalystFile) -> str:
    """The journey counts a team the team mapping lacks as written (a call log's queue code): say so, as two
    such codes may be one team, or a queue no team."""
    if not (db.has(JOURNEY) and db.has(TEAM_MAPPING)):
        return ""
    unmapped = [
        team
        for (team,) in db.rows(f"""
            SELECT DISTINCT team FROM {JOURNEY}
            WHERE team IS NOT NULL AND team NOT IN (SELECT team FROM {TEAM_MAPPING} WHERE team IS NOT NULL)
            ORDER BY team""")
    ]
    if not unmapped:
        return ""
    named = ", ".join(unmapped[:5]) + (", …" if len(unmapped) > 5 else "")
    return (
        f" {plural(len(unmapped), 'of these teams is', 'of these teams are')} counted as written, not in the "
        f"team mapping ({named}: F6_taxonomy__unmapped_teams): two such names may be one team."
    )


def _customers(db: AnalystFile, result: Section) -> Part:
    if not db.has(CUSTOMERS):
        return [], missing(CUSTOMERS)
    touched = db.rows(f"""
        SELECT least(coalesce(teams_touched, 0), 6), count(*) FROM {CUSTOMERS} GROUP BY 1 ORDER BY 1""")
    customers = sum(n for _, n in touched)
    if not customers:
        return [], ""
    several = sum(n for t, n in touched if t >= 2)
    result.findings.append(
        Finding(
            f"{pct(share(several, customers))} of the {num(customers)} customers were handled by two or more "
            "teams: without one journey, each of those teams sees only part of the story."
            + _unmapped_teams(db),
            headline=True,
        )
    )
    return [
        vbar_chart(
            "Customers by number of teams that handled them",
            [("6+" if t == 6 else str(t)) for t, _ in touched],
            [("customers", [float(n) for _, n in touched])],
            x_axis="teams touched",
            y_axis="customers",
        )
    ], ""


def _overlap(db: AnalystFile, result: Section) -> Part:
    if not db.has(SCORECARD):
        return [], missing(SCORECARD)
    pairs = db.rows(f"""
        SELECT team_a, team_b, customers_a, customers_b, shared_customers, customer_overlap,
               linkable_record_rate, kpi_values_compared, kpi_agreement_rate, snapshot_date
        FROM {SCORECARD}
        WHERE snapshot_date = (SELECT max(snapshot_date) FROM {SCORECARD})
        ORDER BY customer_overlap DESC NULLS LAST, team_a, team_b""")
    if not pairs:
        return [], ""
    night = pairs[0][9]
    known = [p for p in pairs if p[5] is not None]
    if known:
        a, b, ca, cb, shared, overlap, *_ = known[0]
        either = (ca or 0) + (cb or 0) - (shared or 0)
        result.findings.append(
            Finding(
                f"{cap(a)} and {b} share {pct(overlap)} of their customers "
                f"({num(shared)} of the {num(either)} either of them knows).",
                headline=True,
            )
        )
        if len(known) > 1:
            a, b, *_rest = known[-1]
            result.findings.append(
                Finding(f"{cap(a)} and {b} overlap least: {pct(known[-1][5])} of their customers in common.")
            )
    chart = hbar_chart(
        f"Customer overlap per pair of team views (snapshot of {night})",
        [(f"{a} & {b}", overlap) for a, b, _, _, _, overlap, *_ in known],
        value_axis="share of customers known to both (%)",
        category_axis="team pair",
        fmt=lambda v: pct(v, 0),
        max_value=1.0,
    )
    figures = [chart]
    nights = db.rows(f"""
        SELECT snapshot_date, team_a || ' & ' || team_b, customer_overlap FROM {SCORECARD}
        WHERE customer_overlap IS NOT NULL ORDER BY 1, 2""")
    dates = sorted({d for d, _, _ in nights})
    if len(dates) > 1:
        names = sorted({p for _, p, _ in nights})
        values = {(d, p): v for d, p, v in nights}
        figures.append(
            line_chart(
                "Customer overlap over nights",
                [d.isoformat() for d in dates],
                [(p, [values.get((d, p)) for d in dates]) for p in names],
                x_axis="night (snapshot date)",
                y_axis="customers in common (%)",
                fmt=lambda v: pct(v, 0),
                y_max=1.0,
            )
        )
    rows = [
        (f"{a} & {b}", num(ca), num(cb), num(shared), pct(overlap), pct(linkable), num(compared), pct(agree))
        for a, b, ca, cb, shared, overlap, linkable, compared, agree, _ in pairs
    ]
    headers = [
        "team pair",
        "customers (first)",
        "customers (second)",
        "shared",
        "overlap",
        "linkable records",
        "KPI values compared",
        "KPI agreement",
    ]
    return figures, table(headers, rows)
