"""Tonight's fragmentation checks (quality.check_results, dbt tests left out) and their history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipelines.publish.report.analyst import AnalystFile
from pipelines.publish.report.markup import (
    Finding,
    Section,
    charts,
    esc,
    missing,
    note,
    num,
    pill,
    plural,
    stamp,
    table,
)
from pipelines.publish.report.svg import vbar_chart

TITLE = "Tonight's checks"
RESULTS = "quality.check_results"
NOT_DBT = "coalesce(family, '') <> 'dbt'"
JOURNEY = "marts.customer_journey"
HISTORY_RUNS = 30
SAMPLE_ROWS = 3
SEVERITY_COLOURS = ("#b42318", "#e07b39")  # ERROR red, WARN orange


def _sample(raw: str | None) -> str:
    """The first rows of a check's failing sample, folded away under a summary."""
    if not raw:
        return ""
    try:
        rows = json.loads(raw)
    except ValueError:
        return f"<code>{esc(raw[:300])}</code>"
    if not isinstance(rows, list):
        rows = [rows]
    if not rows:
        return ""
    shown = json.dumps(rows[:SAMPLE_ROWS], indent=1, ensure_ascii=False, default=str)
    more = f", first {SAMPLE_ROWS} shown" if len(rows) > SAMPLE_ROWS else ""
    summary = f"sample of {plural(len(rows), 'row')}{more}"
    return f"<details><summary>{esc(summary)}</summary><pre>{esc(shown[:2000])}</pre></details>"


def _night(run_id: str, earlier_runs: Sequence[str]) -> tuple[str, list[str]]:
    """SQL for a result's night, and its parameters: the run's own id, except that the earlier runs of
    tonight's run group (the failed run a re-execution from failure or a resume retry continues) count
    as tonight's run."""
    if not earlier_runs:
        return "run_id", []
    marks = ", ".join("?" for _ in earlier_runs)
    return f"CASE WHEN run_id IN ({marks}) THEN ? ELSE run_id END", [*earlier_runs, run_id]


def section(db: AnalystFile, run_id: str, earlier_runs: Sequence[str] = ()) -> Section:
    """Tonight's checks: those `run_id` recorded and, for a run that re-executes others of its run group
    (`earlier_runs`: from failure, a resume retry), the latest result of each check those recorded, so a
    night that failed in dbt and was resumed shows all its checks, not only the ones the resumed run ran."""
    result = Section("checks", TITLE)
    if not db.has(RESULTS):
        result.findings.append(Finding("No check results: the analyst file has no quality.check_results."))
        result.body = missing(RESULTS)
        return result
    night, params = _night(run_id, earlier_runs)
    latest = f"""
        SELECT *, {night} AS night FROM {RESULTS} WHERE {NOT_DBT}
        QUALIFY row_number() OVER (PARTITION BY {night}, "check", asset ORDER BY checked_at DESC) = 1"""
    runs = db.rows(
        f"""
        SELECT night, min(checked_at) AS started, count(*), count(*) FILTER (WHERE NOT passed),
               count(*) FILTER (WHERE NOT passed AND upper(severity) = 'ERROR')
        FROM ({latest}) GROUP BY 1 ORDER BY started, night""",
        params * 2,
    )
    if not runs:
        result.findings.append(Finding("No fragmentation checks have been recorded yet."))
        return result
    by_run = {r[0]: r for r in runs}
    shown_run, lead = run_id, ""
    if run_id not in by_run:
        shown_run = runs[-1][0]
        lead = note(
            f"No checks were recorded for run {run_id}; showing the latest run that has checks, "
            f"{shown_run} ({stamp(runs[-1][1])})."
        )
    _, started, total, failed, errors = by_run[shown_run]
    if db.has(JOURNEY) and not db.rows(f"SELECT 1 FROM {JOURNEY} LIMIT 1"):
        result.findings.append(  # checks that pass on no data say nothing of the customers
            Finding(
                "No customer record is in the analyst file: no export arrived, or none could be read "
                "(ops.ingest_files says which). The checks below passed on no data.",
                "bad",
                headline=True,
            )
        )
    if failed:
        warnings = failed - errors
        result.findings.append(
            Finding(
                f"{num(failed)} of {plural(total, 'check')} failed tonight "
                f"({num(errors)} at ERROR severity, {num(warnings)} {'warning' if warnings == 1 else 'warnings'}).",
                "bad",
                headline=True,
            )
        )
    else:
        result.findings.append(
            Finding(
                f"All {plural(total, 'check')} passed tonight: no fragmentation found.", "good", headline=True
            )
        )
    position = [r[0] for r in runs].index(shown_run)
    if position > 0:
        before = runs[position - 1]
        change = failed - before[3]
        word = plural(abs(change), "more failure" if change > 0 else "fewer failure")
        result.findings.append(
            Finding(
                f"That is {'the same number as' if change == 0 else f'{word} than'} "
                f"the previous run ({num(before[3])} failed, {stamp(before[1])}).",
                "bad" if change > 0 else "good" if change < 0 else "info",
                headline=True,
            )
        )

    has_description = "description" in db.columns(RESULTS)
    description = "description" if has_description else "NULL"
    tonight = db.rows(
        f"""
        SELECT passed, "check", {description}, asset, severity, observed_value, threshold,
               CAST(failing_sample AS VARCHAR)
        FROM ({latest}) WHERE night = ?
        ORDER BY passed, upper(severity) = 'ERROR' DESC, "check" """,
        [*params, *params, shown_run],
    )
    rows: list[tuple[Any, ...]] = [
        (
            pill("passed", "good") if passed else pill("failed", "bad"),
            f"<b>{esc(check)}</b>" + (f'<br><span class="muted">{esc(desc)}</span>' if desc else ""),
            asset,
            severity,
            num(observed),
            num(threshold),
            _sample(sample),
        )
        for passed, check, desc, asset, severity, observed, threshold, sample in tonight
    ]
    listing = table(
        ["result", "check", "asset", "severity", "observed", "threshold", "failing sample"],
        rows,
        raw=frozenset({0, 1, 6}),
    )
    recent = runs[-HISTORY_RUNS:]
    history = vbar_chart(
        f"Failed checks per run (last {plural(len(recent), 'run')})",
        [stamp(r[1]) if r[1] is not None else str(r[0])[:8] for r in recent],
        [("ERROR", [float(r[4]) for r in recent]), ("WARN", [float(r[3] - r[4]) for r in recent])],
        x_axis="run (started at, UTC)",
        y_axis="failed checks",
        stacked=True,
        colors=SEVERITY_COLOURS,
    )
    meta = note(
        f"Run {shown_run}, checks started {stamp(started)} UTC. dbt tests are left out here; "
        "they are in quality.check_results with family = 'dbt'."
    )
    result.body = lead + meta + listing + charts(history)
    return result
