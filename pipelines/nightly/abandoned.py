"""Runs of `cx-unify run` whose process died: marked failed, so the daemon's queue does not wait on them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from cx_unify.runlock import RunInProgress, run_lock

# with the value "cli": the runs `cx-unify run` makes (in its own process, not the daemon's)
CLI_TAG = "cx/trigger"


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs of `cx-unify run` that the instance still has as started: their process
    ended without finishing (killed), and nothing else would (an in-process run has no run worker for
    Dagster's monitoring to watch), so the daemon's queue, one run at a time, would wait on them forever.
    Called holding the run lock, which every run holds while it works: none of them is alive."""
    abandoned = instance.get_run_records(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED], tags={CLI_TAG: "cli"}
        )
    )
    for record in abandoned:
        instance.report_run_failed(
            record.dagster_run,
            "its process ended before the run finished (killed?); marked failed by the next run",
        )
    return [record.dagster_run.run_id for record in abandoned]


def fail_abandoned_runs_if_idle(instance: dg.DagsterInstance, home: Path) -> list[str]:
    """fail_abandoned_runs when no run holds the run lock (the landing sensor, every minute, so a killed
    `cx-unify run` holds up the schedule a minute at most); nothing while a run is at work."""
    try:
        with run_lock(home, wait_seconds=0):
            return fail_abandoned_runs(instance)
    except RunInProgress:
        return []
