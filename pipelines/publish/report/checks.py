"""Tonight's fragmentation checks (quality.check_results, dbt tests left out) and their history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from connectors.ingest import loaded_files_sql
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
INGEST_FILES = "ops.ingest_files"
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


def _no_customers(db: AnalystFile) -> Finding:
    """The journey is empty: say whether nothing arrived, or what arrived names no customer."""
    loaded = (
        db.rows(f"""SELECT kind, sum(rows_loaded) FROM ({loaded_files_sql()})
                    GROUP BY kind HAVING sum(rows_loaded) > 0 ORDER BY kind""")
        if db.has(INGEST_FILES)
        else []
    )
    if not loaded:
        return Finding(
            "No customer record is in the analyst file: no export arrived, or none could be read "
            "(ops.ingest_files says which). The checks below passed on no data.",
            "bad",
            headline=True,
        )
    arrived = ", ".join(f"{num(n)} {kind.replace('_', ' ')}" for kind, n in loaded)
    return Finding(
        f"No record in the analyst file names a customer, so the customer journey is empty; what loaded "
        f"({arrived}) carries no customer identifier (anonymous responses, workload or dashboards only). "
        "The checks about customers below passed on no customers.",
        "bad",
        headline=True,
    )


def section(
    db: AnalystFile, run_id: str, earlier_runs: Sequence[str] = (), catalogue: Sequence[str] = ()
) -> Section:
    """The checks' state after `run_id`: the latest result of each check (of the `catalogue`, when given:
    a check no longer in it is not current). For a nightly that is tonight's results; a run that re-executes
    others of its run group (`earlier_runs`: from failure, a resume retry) counts theirs as tonight's; a run
    of a selection of assets (the UI) that ran some checks or none shows the others' latest results and
    says so, instead of taking its few checks, or an earlier partial run's, for the whole night."""
    result = Section("checks", TITLE)
    if not db.has(RESULTS):
        result.findings.append(Finding("No check results: the analyst file has no quality.check_results."))
        result.body = missing(RESULTS)
        return result
    night, params = _night(run_id, earlier_runs)
    current = '"check" IN (SELECT unnest(?::VARCHAR[]))' if catalogue else "true"
    scope = [list(catalogue)] if catalogue else []
    # every result with its night; `state(before)`: the latest result of each check recorded before `before`
    results = f"SELECT *, {night} AS night FROM {RESULTS} WHERE {NOT_DBT} AND {current}"
    results_params = [*params, *scope]

    def state(before: object) -> tuple[str, list[object]]:
        return (
            f"""SELECT * FROM ({results}) WHERE checked_at < ?
            QUALIFY row_number() OVER (PARTITION BY "check", asset ORDER BY checked_at DESC) = 1""",
            [*results_params, before],
        )

    runs = db.rows(  # night, started, failed, failed at ERROR, checks run, last result
        f"""
        SELECT night, min(checked_at) AS started, count(*) FILTER (WHERE NOT passed),
               count(*) FILTER (WHERE NOT passed AND upper(severity) = 'ERROR'), count(*), max(checked_at)
        FROM ({results}
              QUALIFY row_number() OVER (PARTITION BY night, "check", asset ORDER BY checked_at DESC) = 1)
        GROUP BY 1 ORDER BY started, night""",
        results_params,
    )
    if not runs:
        result.findings.append(Finding("No fragmentation checks have been recorded yet."))
        return result
    by_run = {r[0]: r for r in runs}
    description = "description" if "description" in db.columns(RESULTS) else "NULL"
    latest_sql, latest_params = state("9999-12-31")  # the latest result of each check: what is shown
    shown = db.rows(
        f"""
        SELECT passed, "check", {description}, asset, severity, observed_value, threshold,
               CAST(failing_sample AS VARCHAR)
        FROM ({latest_sql})
        ORDER BY passed, upper(severity) = 'ERROR' DESC, "check" """,
        latest_params,
    )
    total = len(shown)
    failed = sum(1 for row in shown if not row[0])
    errors = sum(1 for row in shown if not row[0] and str(row[4]).upper() == "ERROR")
    ran_here = by_run[run_id][4] if run_id in by_run else 0
    tonight = ran_here == total
    # the state this run changed: before its first result (before the latest run with results, if it had none)
    since = by_run[run_id][1] if run_id in by_run else runs[-1][1]
    lead = ""
    if not tonight:
        newest = runs[-1]
        lead = note(
            (f"Run {run_id} ran {num(ran_here)} of the {plural(total, 'check')}; " if ran_here else
             f"Run {run_id} ran no checks (it built a selection of assets); ")
            + f"below is the latest result of each, the newest from run {newest[0]} ({stamp(newest[5])})."
        )  # fmt: skip
    when = "tonight" if tonight else "in their latest results"
    if db.has(JOURNEY) and not db.rows(f"SELECT 1 FROM {JOURNEY} LIMIT 1"):
        result.findings.append(_no_customers(db))  # checks that pass on no data say nothing of the customers
    if failed:
        warnings = failed - errors
        result.findings.append(
            Finding(
                f"{num(failed)} of {plural(total, 'check')} failed {when} "
                f"({num(errors)} at ERROR severity, {num(warnings)} {'warning' if warnings == 1 else 'warnings'}).",
                "bad",
                headline=True,
            )
        )
    else:
        result.findings.append(
            Finding(f"All {plural(total, 'check')} passed {when}: nothing flagged.", "good", headline=True)
        )
    before_sql, before_params = state(since)
    before = db.rows(
        f"SELECT count(*), count(*) FILTER (WHERE NOT passed), max(checked_at) FROM ({before_sql})",
        before_params,
    )[0]
    if before[0]:
        change = failed - before[1]
        compared = (
            "the previous run"
            if tonight
            else "before this run"
            if ran_here
            else "before the latest run with checks"
        )
        word = plural(abs(change), "more failure" if change > 0 else "fewer failure")
        result.findings.append(
            Finding(
                f"That is {'the same number as' if change == 0 else f'{word} than'} {compared} "
                f"({num(before[1])} failed, {stamp(before[2])} UTC).",
                "bad" if change > 0 else "good" if change < 0 else "info",
                headline=True,
            )
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
        for passed, check, desc, asset, severity, observed, threshold, sample in shown
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
        [("ERROR", [float(r[3]) for r in recent]), ("WARN", [float(r[2] - r[3]) for r in recent])],
        x_axis="run (started at, UTC)",
        y_axis="failed checks",
        stacked=True,
        colors=SEVERITY_COLOURS,
    )
    meta = note(
        (f"Run {run_id}, checks started {stamp(by_run[run_id][1])} UTC. " if tonight else "")
        + "dbt tests are left out here; they are in quality.check_results with family = 'dbt'."
    )
    result.body = lead + meta + listing + charts(history)
    return result
