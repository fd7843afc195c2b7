"""Run history kept for CX_RUN_HISTORY_DAYS: Dagster's records of older finished runs (the run, its event
log, its captured stdout/stderr) and the run logs of $CX_HOME/logs are removed. Each night added ~3 MB to
$CX_HOME/dagster and a log file that nothing removed: a year of nights, a GB. The warehouse's own
history (quality.check_results, ops.ingest_files, the scorecard's trend) is data, and is kept."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
BATCH = 200  # runs removed a night at most: a first prune of years of history spreads over nights


def prune_run_history(
    instance: dg.DagsterInstance, home: Path, days: int, now: datetime | None = None
) -> list[str]:
    """Removes the finished runs created more than `days` ago and the run logs not written since; `days`
    0 keeps everything. Returns the ids of the runs removed."""
    if days <= 0:
        return []
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    records = instance.get_run_records(
        filters=dg.RunsFilter(statuses=FINISHED, created_before=cutoff), limit=BATCH, ascending=True
    )
    removed = []
    for record in records:
        run_id = record.dagster_run.run_id
        instance.delete_run(run_id)
        with contextlib.suppress(NotImplementedError, OSError):  # its steps' captured stdout/stderr
            instance.compute_log_manager.delete_logs(prefix=[run_id])  # ($DAGSTER_HOME/storage/<run id>)
        removed.append(run_id)
    for log in (home / "logs").glob("run-*.log"):
        try:
            if log.stat().st_mtime < cutoff.timestamp():
                log.unlink()
        except OSError:  # another process removed it meanwhile
            continue
    return removed
