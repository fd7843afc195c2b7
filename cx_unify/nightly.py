"""Run the nightly job in-process through Dagster (the same definitions the UI loads) and summarise it."""

from __future__ import annotations

import contextlib
import io
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import duckdb

from connectors.sources import load_sources
from cx_unify.runlock import run_lock
from cx_unify.settings import Settings
from expectations import gx_worker
from expectations.config import load_check_settings
from expectations.suites import all_checks
from pipelines.nightly.abandoned import CLI_TAG, fail_abandoned_runs
from pipelines.nightly.retention import prune_run_history
from pipelines.publish.analyst_file import FINGERPRINTS_TABLE, SIDE_TABLES, STATE_TABLE

ANALYST_FILE_ASSET = "published/analyst_file"
REPORT_ASSET = "published/diagnostic_report"


@dataclass
class RunSummary:
    run_id: str
    success: bool
    seconds: float
    failed_steps: list[str]
    checks: list[tuple[str, str, str, bool]]  # (check, asset, severity, passed)
    tables: dict[str, int] = field(default_factory=dict)
    log_file: Path | None = None
    materialized: set[str] = field(default_factory=set)  # asset keys this run wrote, e.g. "raw/complaints"

    @property
    def blocking_failures(self) -> list[tuple[str, str, str, bool]]:
        return [c for c in self.checks if not c[3] and c[2] == "ERROR"]

    @property
    def published_analyst_file(self) -> bool:
        """Whether this run wrote the analyst file: a failed run leaves the last one published in place."""
        return ANALYST_FILE_ASSET in self.materialized

    @property
    def published_report(self) -> bool:
        return REPORT_ASSET in self.materialized


class _Tee(io.TextIOBase):
    """Writes to several streams: the run's log gets what the console shows."""

    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()

    def fileno(self) -> int:  # the console's, for what asks for a file descriptor
        return self.streams[0].fileno()

    def isatty(self) -> bool:
        return self.streams[0].isatty()


def run_nightly(
    settings: Settings, verbose: bool = False, instance: object | None = None, full_refresh: bool = False
) -> RunSummary:
    """Runs the nightly job; `instance` defaults to the persistent one under DAGSTER_HOME (shown in the UI).

    Settings that cannot work raise before any step runs: SettingsError (a landing folder set but not
    there, a folder it cannot write), ChecksConfigError (checks.yml), SourceConfigError (sources.yml). The run's log file gets the progress lines the console shows
    (stderr) and dbt's output (stdout, on the console too with `verbose`)."""
    settings.check_paths()
    settings.export()
    load_check_settings(settings.checks, all_checks())
    load_sources(settings.sources)  # SourceConfigError: once, not from every ingest step
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    with run_lock(settings.home, warehouse=settings.warehouse), gx_worker.running_worker():
        # the checks' Great Expectations imports in its own process while Dagster starts in this one
        import dagster as dg

        from pipelines.definitions import build_definitions

        job = build_definitions(settings).resolve_job_def("nightly")
        dagster_instance = instance or dg.DagsterInstance.get()
        fail_abandoned_runs(dagster_instance)  # type: ignore[arg-type]
        started = time.monotonic()
        with (
            log_file.open("w") as log,
            contextlib.redirect_stdout(_Tee(sys.stdout, log) if verbose else log),
            contextlib.redirect_stderr(_Tee(sys.stderr, log)),
        ):
            result = job.execute_in_process(
                instance=dagster_instance,
                raise_on_error=False,
                run_config={
                    "loggers": {"progress": {}},
                    "ops": {"dbt_models": {"config": {"full_refresh": full_refresh}}},
                },
                tags={CLI_TAG: "cli"},
            )
        seconds = time.monotonic() - started
        checks = [
            (e.check_name, e.asset_key.to_user_string(), e.severity.value, bool(e.passed))
            for e in result.get_asset_check_evaluations()
        ]
        failed = [e.step_key or "?" for e in result.get_step_failure_events()]
        materialized = {
            e.asset_key.to_user_string() for e in result.get_asset_materialization_events() if e.asset_key
        }
        summary = RunSummary(
            result.run_id,
            result.success,
            seconds,
            failed,
            checks,
            log_file=log_file,
            materialized=materialized,
        )
        summary.tables = table_counts(settings.warehouse)
        prune_run_history(dagster_instance, settings.home, settings.run_history_days)  # type: ignore[arg-type]
    return summary


def table_counts(warehouse: Path) -> dict[str, int]:
    if not warehouse.exists():
        return {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
            "WHERE schema_name IN ('raw', 'ops', 'marts', 'quality') "
            # the publish's bookkeeping and the kept models' side tables are no tables of the night
            "AND schema_name || '.' || table_name NOT IN (?, ?) AND NOT regexp_matches(table_name, ?) ORDER BY 1, 2",
            [STATE_TABLE, FINGERPRINTS_TABLE, SIDE_TABLES],
        ).fetchall()
        counts = {}
        for schema, table, _ in rows:
            row = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
            counts[f"{schema}.{table}"] = int(row[0]) if row else 0
        return counts
    finally:
        con.close()
