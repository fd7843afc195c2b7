"""Question 1: who owns each issue from beginning to resolution (marts.complaint_ownership)."""

from __future__ import annotations

from pipelines.publish.report.analyst import AnalystFile
from pipelines.publish.report.markup import (
    Finding,
    Section,
    charts,
    hours,
    missing,
    num,
    pct,
    plural,
    share,
    stamp,
    table,
    tiles,
)
from pipelines.publish.report.svg import vbar_chart

TABLE = "marts.complaint_ownership"
TITLE = "1. Who owns each issue from beginning to resolution?"
WAITING_EACH = 6  # rows per kind (no owner, stalled) in the table of open complaints nobody is moving


def section(db: AnalystFile) -> Section:
    result = Section("q1-ownership", TITLE)
    if not db.has(TABLE):
        result.findings.append(
            Finding("Ownership cannot be shown: the analyst file has no complaint_ownership.")
        )
        result.body = missing(TABLE)
        return result
    (
        total,
        still_open,
        unowned,
        unowned_day,
        longest_unowned,
        stalled,
        one_owner,
        resolved,
        changed,
        median_h,
        p90_h,
        timed,
    ) = db.one(f"""
        SELECT count(*),
               count(*) FILTER (WHERE NOT is_resolved),
               count(*) FILTER (WHERE NOT is_resolved AND last_owner IS NULL),
               count(*) FILTER (WHERE NOT is_resolved AND last_owner IS NULL AND unowned_minutes > 24 * 60),
               max(unowned_minutes) FILTER (WHERE NOT is_resolved AND last_owner IS NULL) / 60,
               count(*) FILTER (WHERE is_stalled),
               count(*) FILTER (WHERE is_resolved AND owner_changes = 0 AND first_owner IS NOT NULL),
               count(*) FILTER (WHERE is_resolved),
               count(*) FILTER (WHERE owner_changes > 0),
               median(final_resolution_minutes) / 60,
               quantile_cont(final_resolution_minutes, 0.9) / 60,
               count(final_resolution_minutes) FILTER (WHERE is_resolved)
        FROM {TABLE}""")
    if not total:
        result.findings.append(
            Finding("There are no complaints in the data, so there is nothing to own yet.")
        )
        return result

    if unowned:
        days = f", {num(unowned_day)} of them for more than a day" if unowned_day else ""
        result.findings.append(
            Finding(
                f"{plural(unowned, 'open complaint')} {'has' if unowned == 1 else 'have'} no owner{days} "
                f"(the longest for {hours(longest_unowned)}).",
                "bad",
                headline=True,
            )
        )
    else:
        result.findings.append(Finding("Every open complaint has an owner.", "good", headline=True))
    if stalled:
        result.findings.append(
            Finding(
                f"{plural(stalled, 'open complaint')} {'is' if stalled == 1 else 'are'} past the SLA "
                "and never changed owner: stuck with the first person who took them.",
                "bad",
                headline=True,
            )
        )
    else:
        result.findings.append(Finding("No open complaint is stalled past its SLA.", "good", headline=True))
    if resolved:
        result.findings.append(
            Finding(
                f"{pct(share(one_owner, resolved))} of resolved complaints kept one owner from start to "
                f"resolution; {plural(changed, 'complaint')} changed owner at least once."
            )
        )
    if median_h is not None:
        result.findings.append(
            Finding(
                f"Half of the resolved complaints were resolved within {hours(median_h)}, "
                f"nine in ten within {hours(p90_h)}"
                # an export without resolution times: say on how many the figures rest
                + (
                    f" (of the {num(timed)} of {num(resolved)} with a resolution time)."
                    if timed < resolved
                    else "."
                )
            )
        )

    key = tiles(
        [
            (num(total), "complaints", "info"),
            (num(still_open), "still open", "info"),
            (num(unowned), "open without owner", "bad" if unowned else "good"),
            (num(stalled), "stalled past SLA", "bad" if stalled else "good"),
            (hours(median_h), "median resolution", "info"),
        ]
    )
    changes = db.rows(f"""
        SELECT least(owner_changes, 4) AS bucket, count(*) FROM {TABLE}
        WHERE owner_changes IS NOT NULL GROUP BY 1 ORDER BY 1""")
    counted = dict(changes)
    buckets = range(max(counted, default=-1) + 1)  # every bucket up to the last: an empty one draws as 0
    by_changes = vbar_chart(
        "Complaints by number of owner changes",
        [("4+" if b == 4 else str(b)) for b in buckets],
        [("complaints", [float(counted.get(b, 0)) for b in buckets])],
        x_axis="owner changes",
        y_axis="complaints",
    )
    by_priority = db.rows(f"""
        SELECT coalesce(priority, '(none)'), max(sla_hours), median(final_resolution_minutes) / 60,
               quantile_cont(final_resolution_minutes, 0.9) / 60
        FROM {TABLE} WHERE final_resolution_minutes IS NOT NULL  -- a priority nothing was resolved in: no bar of 0 h
        GROUP BY 1 ORDER BY max(sla_hours) NULLS LAST, 1""")
    resolution = vbar_chart(
        "Resolution time against SLA by priority (hours)",
        [p for p, *_ in by_priority],
        [
            ("median", [m for _, _, m, _ in by_priority]),
            ("90th percentile", [q for *_, q in by_priority]),
            ("SLA", [s for _, s, _, _ in by_priority]),
        ],
        x_axis="priority",
        y_axis="hours",
    )
    attention = db.rows(f"""
        WITH waiting AS (
            SELECT complaint_id, coalesce(last_team, first_team) AS team, priority,
                   coalesce(last_owner, '— none —') AS owner, created_at, age_hours, sla_hours,
                   CASE WHEN last_owner IS NULL THEN 'no owner' ELSE 'stalled past SLA' END AS why,
                   row_number() OVER (PARTITION BY last_owner IS NULL ORDER BY age_hours DESC NULLS LAST,
                                      complaint_id) AS nth
            FROM {TABLE}
            WHERE NOT is_resolved AND (last_owner IS NULL OR is_stalled)
        )
        SELECT complaint_id, team, priority, owner, created_at, age_hours, sla_hours, why FROM waiting
        WHERE nth <= {WAITING_EACH} ORDER BY why, age_hours DESC NULLS LAST, complaint_id""")
    rows = [
        (c, t, p, o, stamp(at), hours(age), hours(sla), why) for c, t, p, o, at, age, sla, why in attention
    ]
    waiting = table(["complaint", "team", "priority", "owner", "opened (UTC)", "age", "SLA", "why"], rows)
    result.body = (
        key
        + charts(by_changes, resolution)
        + (
            f"<h3>Open complaints nobody is moving (the {WAITING_EACH} oldest of each kind)</h3>{waiting}"
            if waiting
            else ""
        )
    )
    return result
