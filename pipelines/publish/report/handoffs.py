"""Question 5: who fixes friction across departments (the team handoff matrix from complaint team paths)."""

from __future__ import annotations

from collections import Counter

from pipelines.publish.report.analyst import AnalystFile
from pipelines.publish.report.markup import Finding, Section, charts, missing, num, pct, plural, share, table
from pipelines.publish.report.svg import heatmap

TITLE = "5. Who fixes friction across departments?"
OWNERSHIP = "marts.complaint_ownership"
SEPARATOR = " > "


def transitions(path: str) -> list[tuple[str, str]]:
    """'A > B > A' -> [(A, B), (B, A)]: each change of team along a complaint's path."""
    teams = [t.strip() for t in path.split(SEPARATOR) if t.strip()]
    return [(a, b) for a, b in zip(teams, teams[1:], strict=False) if a != b]


def bounces(path: str) -> bool:
    """True when a complaint came back to a team it had already left."""
    teams = [t.strip() for t in path.split(SEPARATOR) if t.strip()]
    seen: set[str] = set()
    for previous, team in zip([None, *teams], teams, strict=False):
        if team != previous and team in seen:
            return True
        seen.add(team)
    return False


def received_teams(path: str) -> set[str]:
    """The teams a complaint was handed to: each once, however often it came back (complaints, not handoffs)."""
    return {team for _, team in transitions(path)}


def section(db: AnalystFile) -> Section:
    result = Section("q5-handoffs", TITLE)
    if not db.has(OWNERSHIP):
        result.findings.append(
            Finding("Handoffs cannot be shown: the analyst file has no complaint_ownership.")
        )
        result.body = missing(OWNERSHIP)
        return result
    paths = db.rows(f"""
        SELECT team_path, count(*), count(*) FILTER (WHERE is_resolved)
        FROM {OWNERSHIP} WHERE team_path LIKE '%{SEPARATOR}%' GROUP BY 1 ORDER BY 2 DESC, 1""")
    total = db.one(f"SELECT count(*) FROM {OWNERSHIP}")[0]
    matrix: Counter[tuple[str, str]] = Counter()
    received: Counter[str] = Counter()
    resolved_by: Counter[str] = Counter()
    looped, looped_example = 0, ""
    for path, count, resolved in paths:
        steps = transitions(path)
        if not steps:
            continue
        for step in steps:
            matrix[step] += count
        for team in received_teams(path):
            received[team] += count
        resolved_by[steps[-1][1]] += resolved
        if bounces(path):
            looped += count
            looped_example = looped_example or path
    moved = sum(c for p, c, *_ in paths if transitions(p))
    if not matrix:
        result.findings.append(
            Finding(
                "No complaint was handed between teams: every complaint stayed with the team that took it.",
                "good",
                headline=True,
            )
        )
        return result
    (src, dst), busiest = matrix.most_common(1)[0]
    result.findings.append(
        Finding(
            f"{plural(moved, 'complaint')} ({pct(share(moved, total))}) moved between teams, "
            f"{plural(sum(matrix.values()), 'handoff')} in all; the busiest route is {src} → {dst} "
            f"({num(busiest)}).",
            headline=True,
        )
    )
    team, count = max(received.items(), key=lambda item: (item[1], item[0]))
    fixer, fixed = max(resolved_by.items(), key=lambda item: (item[1], item[0]))
    result.findings.append(
        Finding(
            f"{team} receives the most handed-over complaints ({num(count)}); {fixer} resolved the most "
            f"complaints that reached it from another team ({num(fixed)}).",
            headline=True,
        )
    )
    if looped:
        result.findings.append(
            Finding(
                f"{plural(looped, 'complaint')} bounced back to a team {'it' if looped == 1 else 'they'} "
                f"had already left, e.g. {looped_example.replace(SEPARATOR, ' → ')}.",
            )
        )
    else:
        result.findings.append(Finding("No complaint bounced back to a team it had already left."))

    teams = sorted({t for pair in matrix for t in pair})
    chart = heatmap(
        "Handoffs between teams (complaints passed from row team to column team)",
        teams,
        teams,
        dict(matrix),
        row_axis="from team",
        col_axis="to team",
    )
    rows = [(p.replace(SEPARATOR, " → "), num(c), num(r)) for p, c, r in paths[:10]]
    common = table(["team path", "complaints", "resolved"], rows)
    result.body = charts(chart) + "<h3>Most common paths across teams (top 10)</h3>" + common
    return result
