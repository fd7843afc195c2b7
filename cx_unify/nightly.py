"""Run the nightly job in-process through Dagster (the same definitions the UI loads) and summarise it."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cx_unify.runlock import run_lock
from cx_unify.settings import Settings
from pipelines.publish.analyst_file import FINGERPRINTS_TABLE, STATE_TABLE


@dataclass
class RunSummary:
    run_id: str
    success: bool
    seconds: float
    failed_steps: list[str]
    checks: list[tuple[str, str, str, bool]]  # (check, asset, severity, passed)
    tables: dict[str, int] = field(default_factory=dict)
    log_file: Path | None = None

    @property
    def blocking_failures(self) -> list[tuple[str, str, str, bool]]:
        return [c for c in self.checks if not c[3] and c[2] == "ERROR"]


def run_nightly(settings: Settings, verbose: bool = False, instance: object | None = None) -> RunSummary:
    """Runs the nightly job; `instance` defaults to the persistent one under DAGSTER_HOME (shown in the UI)."""
    settings.export()
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    with run_lock(settings.home):
        import dagster as dg

        from pipelines.definitions import build_definitions

        job = build_definitions(settings).resolve_job_def("nightly")
        started = time.monotonic()
        with log_file.open("w") as log, contextlib.redirect_stdout(log if not verbose else None):  # type: ignore[arg-type]
            result = job.execute_in_process(
                instance=instance or dg.DagsterInstance.get(),
                raise_on_error=False,
                run_config={"loggers": {"progress": {}}},
                tags={"cx/trigger": "cli"},
            )
        seconds = time.monotonic() - started
        checks = [
            (e.check_name, e.asset_key.to_user_string(), e.severity.value, bool(e.passed))
            for e in result.get_asset_check_evaluations()
        ]
        failed = [e.step_key or "?" for e in result.get_step_failure_events()]
        summary = RunSummary(result.run_id, result.success, seconds, failed, checks, log_file=log_file)
        summary.tables = table_counts(settings.warehouse)
    return summary


def table_counts(warehouse: Path) -> dict[str, int]:
    if not warehouse.exists():
        return {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
            "WHERE schema_name IN ('raw', 'ops', 'marts', 'quality') "
            "AND schema_name || '.' || table_name NOT IN (?, ?) ORDER BY 1, 2",  # the publish's bookkeeping
            [STATE_TABLE, FINGERPRINTS_TABLE],
        ).fetchall()
        counts = {}
        for schema, table, _ in rows:
            row = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
            counts[f"{schema}.{table}"] = int(row[0]) if row else 0
        return counts
    finally:
        con.close()
