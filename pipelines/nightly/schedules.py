"""The nightly schedule: 02:00 in CX_SCHEDULE_TIMEZONE (default Europe/London), running by default."""

from __future__ import annotations

import os

import dagster as dg

from pipelines.nightly.jobs import nightly_job

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_at_0200",
    job=nightly_job,
    cron_schedule=os.environ.get("CX_SCHEDULE_CRON", "0 2 * * *"),
    execution_timezone=os.environ.get("CX_SCHEDULE_TIMEZONE", "Europe/London"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs the whole nightly once a day.",
)
