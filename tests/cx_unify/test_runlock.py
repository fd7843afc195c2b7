"""One run at a time: `cx-unify run` and the runs the daemon or UI launch share $CX_HOME/run.lock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from cx_unify.runlock import RunInProgress, run_lock
from pipelines.nightly.abandoned import CLI_TAG, fail_abandoned_runs
from pipelines.resources import WarehouseResource


def _hold_lock_elsewhere(home: Path) -> subprocess.Popen[bytes]:
    """Another process (a `cx-unify run`) holding the run lock until killed."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from cx_unify.runlock import run_lock\n"
            f"with run_lock(Path({str(home)!r})):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
    return holder


def test_the_lock_is_held_once_per_process_and_refused_to_another(tmp_path: Path) -> None:
    with run_lock(tmp_path):
        with run_lock(tmp_path):  # the CLI's in-process run sets up its warehouse resource: its own lock
            pass
        with run_lock(tmp_path):
            pass
        refused = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from pathlib import Path; from cx_unify.runlock import run_lock\nwith run_lock(Path({str(tmp_path)!r})): pass",
            ],
            capture_output=True,
            text=True,
        )
        assert refused.returncode != 0 and "RunInProgress: another cx-unify run holds" in refused.stderr
    with run_lock(tmp_path):  # released by the outermost holder
        pass


def test_a_run_the_daemon_launches_fails_at_once_while_another_holds_the_lock(tmp_path: Path) -> None:
    @dg.asset
    def touches_the_warehouse(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x")

    warehouse = WarehouseResource(path=str(tmp_path / "w.duckdb"), home=str(tmp_path))
    holder = _hold_lock_elsewhere(tmp_path)
    try:
        with pytest.raises(dg.DagsterResourceFunctionError) as failed:  # before any step runs
            dg.materialize([touches_the_warehouse], resources={"warehouse": warehouse})
        assert isinstance(failed.value.__cause__, RunInProgress)
        assert "another cx-unify run holds" in str(failed.value.__cause__)
        assert not (tmp_path / "w.duckdb").exists()
    finally:
        holder.kill()
        holder.wait()
    assert dg.materialize([touches_the_warehouse], resources={"warehouse": warehouse}).success


def test_a_killed_cli_run_is_marked_failed_by_the_next(tmp_path: Path) -> None:
    """A killed `cx-unify run` stays 'started' in the instance; with one queued run at a time, the
    daemon's runs would wait on it for ever. The next CLI run (holding the lock: no run is alive) marks it
    failed; runs the daemon launched are left to Dagster's own monitoring."""
    instance = dg.DagsterInstance.ephemeral()
    for run_id, tags in (("killed", {CLI_TAG: "cli"}), ("daemons", {})):
        instance.add_run(
            dg.DagsterRun(job_name="nightly", run_id=run_id, status=dg.DagsterRunStatus.STARTED, tags=tags)
        )
    started = time.monotonic()
    assert fail_abandoned_runs(instance) == ["killed"]
    assert time.monotonic() - started < 10
    assert instance.get_run_by_id("killed").status == dg.DagsterRunStatus.FAILURE  # type: ignore[union-attr]
    assert instance.get_run_by_id("daemons").status == dg.DagsterRunStatus.STARTED  # type: ignore[union-attr]
    assert fail_abandoned_runs(instance) == []


def test_the_sensor_marks_a_killed_cli_run_failed_only_while_no_run_works(tmp_path: Path) -> None:
    from pipelines.nightly.abandoned import fail_abandoned_runs_if_idle

    instance = dg.DagsterInstance.ephemeral()
    instance.add_run(
        dg.DagsterRun(
            job_name="nightly", run_id="killed", status=dg.DagsterRunStatus.STARTED, tags={CLI_TAG: "cli"}
        )
    )
    holder = _hold_lock_elsewhere(tmp_path)
    try:
        assert fail_abandoned_runs_if_idle(instance, tmp_path) == []  # a run at work: maybe that one
    finally:
        holder.kill()
        holder.wait()
    assert fail_abandoned_runs_if_idle(instance, tmp_path) == ["killed"]


def test_the_schedule_marks_a_killed_cli_run_failed_before_it_asks_for_tonight(
    cx_env: Path,
) -> None:
    """With the landing sensor paused, the schedule's own tick clears a killed run the queue would wait on."""
    from pipelines.nightly.schedules import nightly_schedule

    with dg.instance_for_test() as instance:  # the daemon's: persistent, so the tick's context can open it
        instance.add_run(
            dg.DagsterRun(
                job_name="nightly", run_id="killed", status=dg.DagsterRunStatus.STARTED, tags={CLI_TAG: "cli"}
            )
        )
        context = dg.build_schedule_context(instance=instance)
        requests = nightly_schedule.evaluate_tick(context).run_requests
        assert requests is not None and len(requests) == 1
        assert instance.get_run_by_id("killed").status == dg.DagsterRunStatus.FAILURE  # type: ignore[union-attr]


def test_two_homes_that_name_one_warehouse_do_not_write_it_together(tmp_path: Path) -> None:
    """CX_WAREHOUSE exported and --home given: the homes' locks differ, the warehouse's does not."""
    warehouse = tmp_path / "shared" / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from pathlib import Path; from cx_unify.runlock import run_lock\n"
            f"with run_lock(Path({str(tmp_path / 'a')!r}), warehouse=Path({str(warehouse)!r})):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        with (
            pytest.raises(RunInProgress, match="warehouse.duckdb.lock"),
            run_lock(tmp_path / "b", wait_seconds=0, warehouse=warehouse),
        ):
            pass
        with run_lock(tmp_path / "b", wait_seconds=0, warehouse=tmp_path / "other.duckdb"):
            pass  # another warehouse: no wait
    finally:
        holder.kill()
        holder.wait()
    with run_lock(tmp_path / "b", wait_seconds=0, warehouse=warehouse):
        pass


def test_a_process_keeping_the_warehouse_open_fails_the_run_once_saying_what_to_do(tmp_path: Path) -> None:
    """An analyst's read-only session on the warehouse (not the published copy): DuckDB refuses the
    night's writer. The run fails when its warehouse is set up, before any step, with the file, the
    holder's PID and what to do, not DuckDB's advice to open the file read-only."""
    import duckdb

    from cx_unify.warehouse_file import WarehouseBusy

    @dg.asset
    def touches_the_warehouse(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x")

    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    warehouse = WarehouseResource(path=str(path), home=str(tmp_path), lock_wait_seconds=1)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time\ncon = duckdb.connect({str(path)!r}, read_only=True)\n"
            "print('open', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == b"open"
        with pytest.raises(dg.DagsterResourceFunctionError) as failed:
            dg.materialize([touches_the_warehouse], resources={"warehouse": warehouse})
        busy = failed.value.__cause__
        assert isinstance(busy, WarehouseBusy)
        assert str(path) in str(busy) and f"(PID {reader.pid})" in str(busy)
        assert "Close that connection" in str(busy) and "published copy" in str(busy)
        assert "read-only mode" not in str(busy)
    finally:
        reader.kill()
        reader.wait()
    assert dg.materialize([touches_the_warehouse], resources={"warehouse": warehouse}).success


def test_the_sensors_first_tick_takes_files_older_than_the_last_night_for_seen(cx_env: Path) -> None:
    """`dagster dev` started on a home `cx-unify run` serves: the sensor, without a cursor, launched a whole
    night for files the last night had loaded. Files newer than the last successful night still start one."""
    import os

    from cx_unify.settings import load_settings
    from pipelines.nightly.sensors import landing_sensor

    settings = load_settings()
    settings.export()
    export = settings.landing / "zendesk" / "tickets_2026-10.csv"
    export.parent.mkdir(parents=True)
    export.write_text("id\n1\n")
    os.utime(export, (time.time() - 3600, time.time() - 3600))

    @dg.op
    def noop() -> None:
        pass

    @dg.job(name="nightly")
    def last_night() -> None:
        noop()

    with dg.instance_for_test() as instance:
        first = landing_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert len(first.run_requests or []) == 1  # no night yet: the files are new
        assert last_night.execute_in_process(instance=instance).success
        quiet = landing_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert not quiet.run_requests and quiet.cursor and "tickets_2026-10.csv" in quiet.cursor
        export.write_text("id\n1\n2\n")  # a file changed after the last night
        fresh = landing_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert len(fresh.run_requests or []) == 1
