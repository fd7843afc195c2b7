"""The nightly schedule: 02:00 in CX_SCHEDULE_TIMEZONE (default Europe/London), running by default."""

from __future__ import annotations

import os

import dagster as dg

from cx_unify.settings import load_settings
from pipelines.nightly.abandoned import fail_abandoned_runs_if_idle
from pipelines.nightly.jobs import nightly_job
from pipelines.nightly.retention import prune_run_history


@dg.schedule(
    name="nightly_at_0200",
    job=nightly_job,
    cron_schedule=os.environ.get("CX_SCHEDULE_CRON", "0 2 * * *"),
    execution_timezone=os.environ.get("CX_SCHEDULE_TIMEZONE", "Europe/London"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs the whole nightly once a day.",
)
def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # a killed `cx-unify run` left 'started' would hold tonight's run in the queue for ever; the landing
    # sensor marks it failed every minute, but an engineer may have paused the sensor. Once a day, the run
    # history past CX_RUN_HISTORY_DAYS goes (runs the daemon launched; `cx-unify run` prunes after itself)
    settings = load_settings()
    for run_id in fail_abandoned_runs_if_idle(context.instance, settings.home):
        context.log.warning(f"run {run_id} of cx-unify run was killed: marked failed")
    removed = prune_run_history(context.instance, settings.home, settings.run_history_days)
    if removed:
        context.log.info(f"removed {len(removed)} runs older than {settings.run_history_days} days")
    return dg.RunRequest()
