"""Build the diagnostic report from the published analyst file and write it atomically."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.publish.report import checks, failures, handoffs, hotspots, ownership, reality, signals
from pipelines.publish.report.analyst import AnalystFile
from pipelines.publish.report.markup import Finding, Section, stamp
from pipelines.publish.report.page import render, tables_appendix


def _safely(anchor: str, title: str, build: Callable[[], Section]) -> Section:
    """A section, or a note saying why it could not be computed (an older file missing a column)."""
    try:
        return build()
    except duckdb.Error as error:
        reason = str(error).strip().splitlines()[0]
        return Section(anchor, title, [Finding(f"Could not be computed from this analyst file: {reason}")])


def _as_of(db: AnalystFile) -> str:
    try:
        if db.has("marts.complaint_ownership"):
            value = db.one("SELECT max(as_of_at) FROM marts.complaint_ownership")[0]
            if value is not None:
                return f"{stamp(value)} UTC"
        if db.has("marts.fragmentation_scorecard"):
            value = db.one("SELECT max(snapshot_date) FROM marts.fragmentation_scorecard")[0]
            if value is not None:
                return stamp(value)
    except duckdb.Error:
        pass
    return "unknown"


def _tables(db: AnalystFile) -> list[tuple[str, int, str]]:
    if not db.has("main.readme"):
        return []
    try:
        listed = db.rows("SELECT table_name, one_row_means FROM main.readme ORDER BY table_name")
        return [(name, db.count(name), means or "") for name, means in listed if db.has(name)]
    except duckdb.Error:
        return []


def build_report(
    published_db: Path,
    target: Path,
    run_id: str,
    earlier_runs: Sequence[str] = (),
    catalogue: Sequence[str] = (),
) -> Path:
    """Write the self-contained HTML diagnostic for `run_id` from the analyst file to `target`; the
    checks of `earlier_runs` (those `run_id` re-executes from failure) count as tonight's too; the checks
    shown are those of the `catalogue` (all recorded when empty).

    The page answers the six questions of DESIGN.md §1 with findings computed from the marts, inline SVG
    charts and tonight's checks; it loads nothing from the network. The file is built beside `target` and
    swapped in with os.replace, so a reader sees the old report or the new one, never half of one."""
    with AnalystFile(published_db) as db:
        builders: list[tuple[str, str, Callable[[], Section]]] = [
            ("checks", checks.TITLE, lambda: checks.section(db, run_id, earlier_runs, catalogue)),
            ("q1-ownership", ownership.TITLE, lambda: ownership.section(db)),
            ("q2-signals", signals.TITLE, lambda: signals.section(db)),
            ("q3-reality", reality.TITLE, lambda: reality.section(db)),
            ("q4-failures", failures.TITLE, lambda: failures.section(db)),
            ("q5-handoffs", handoffs.TITLE, lambda: handoffs.section(db)),
            ("q6-hotspots", hotspots.TITLE, lambda: hotspots.section(db)),
        ]
        sections = [_safely(anchor, title, build) for anchor, title, build in builders]
        # the checks open the summary box but sit after the six questions on the page
        sections = sections[1:] + sections[:1]
        subtitle = (
            f"Data as of {_as_of(db)} · run {run_id} · built {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC "
            f"from {published_db.name}"
        )
        appendix = tables_appendix(_tables(db))
    page = render(sections, subtitle=subtitle, appendix=appendix)
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.parent / f".{target.name}.building"
    building.write_text(page, encoding="utf-8")
    os.replace(building, target)
    return target
