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
