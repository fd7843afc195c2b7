"""A sensor on the landing folder: new or changed export files start the nightly job."""

import json

import dagster as dg

from cx_unify.settings import load_settings
from pipelines.nightly.abandoned import fail_abandoned_runs_if_idle
from pipelines.nightly.jobs import nightly_job


def _landing_state() -> dict[str, list[float]]:
    landing = load_settings().landing
    if not landing.exists():
        return {}
    return {
        p.relative_to(landing).as_posix(): [p.stat().st_mtime, p.stat().st_size]
        for p in landing.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def _last_night_started(context: dg.SensorEvaluationContext) -> float:
    """When the latest successful nightly started (epoch seconds; 0 when none)."""
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(job_name=nightly_job.name, statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1
    )
    return (records[0].start_time or 0.0) if records else 0.0


@dg.sensor(
    job=nightly_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the nightly when files appear or change in CX_LANDING; marks failed a killed "
    "`cx-unify run` that would hold up the queue.",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    for run_id in fail_abandoned_runs_if_idle(context.instance, load_settings().home):
        context.log.warning(f"run {run_id} of cx-unify run was killed: marked failed")
    state = _landing_state()
    if (
        not context.cursor
        and state
        and max(stat[0] for stat in state.values()) < _last_night_started(context)
    ):
        # the sensor's first tick (a new home, or `dagster dev` started on a home `cx-unify run` serves):
        # files older than the last successful night are in it, not new
        return dg.SensorResult(
            skip_reason="every file is older than the last night", cursor=json.dumps(state, sort_keys=True)
        )
    seen = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(name for name, stat in state.items() if seen.get(name) != stat)
    if not changed:
        return dg.SkipReason("no new or changed files in the landing folder")
    run_key = f"landing-{max(state[name][0] for name in changed):.0f}-{len(changed)}"
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key, tags={"cx/trigger": "landing_sensor", "cx/new_files": str(len(changed))}
            )
        ],
        cursor=json.dumps(state, sort_keys=True),
    )
