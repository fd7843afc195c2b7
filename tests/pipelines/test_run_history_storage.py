"""The instance's storage (dagster.yaml): Dagster's SQLite files in their default place, the event log's
connections kept open. History written by Dagster's default storage reads back, and the other way round."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from cx_unify.settings import DAGSTER_YAML
from pipelines.nightly.run_history_storage import OPEN_DATABASES, KeptOpenSqliteEventLogStorage


@dg.asset
def signals() -> int:
    return 1


@dg.asset_check(asset=signals)
def signals_present() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def _instance(home: Path, yaml: str | None) -> dg.DagsterInstance:
    home.mkdir(exist_ok=True)
    if yaml is None:
        (home / "dagster.yaml").unlink(missing_ok=True)
    else:
        shutil.copy(yaml, home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def test_a_database_not_in_wal_mode_keeps_waiting_for_the_disk(tmp_path: Path) -> None:
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path))
    engine = storage._engine("other")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    storage.dispose()


def _materialised(instance: dg.DagsterInstance) -> int:
    return len(instance.fetch_materializations(dg.AssetKey("signals"), limit=100).records)


def test_history_of_the_default_storage_reads_back_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with _instance(home, None) as default:  # Dagster's own default storage
        before = dg.materialize([signals, signals_present], instance=default).run_id
    with _instance(home, str(DAGSTER_YAML)) as ours:
        assert isinstance(ours.event_log_storage, KeptOpenSqliteEventLogStorage)
        assert ours.get_run_by_id(before) is not None and _materialised(ours) == 1
        after = dg.materialize([signals, signals_present], instance=ours)
        assert after.success and _materialised(ours) == 2
        events = ours.all_logs(after.run_id)
        assert [e for e in events if e.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    with _instance(home, None) as default:  # and back: the same files
        assert {r.run_id for r in default.get_runs()} == {before, after.run_id}
        assert len(default.all_logs(after.run_id)) == len(events) and _materialised(default) == 2
        assert default.get_latest_materialization_event(dg.AssetKey("signals")).run_id == after.run_id


def test_open_databases_are_bounded_and_wipe_lets_them_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with _instance(home, str(DAGSTER_YAML)) as instance:
        runs = [dg.materialize([signals], instance=instance).run_id for _ in range(OPEN_DATABASES + 2)]
        storage = instance.event_log_storage
        assert isinstance(storage, KeptOpenSqliteEventLogStorage)
        assert len(storage._engines) == OPEN_DATABASES  # the index and the latest runs' databases
        assert all(instance.all_logs(run_id) for run_id in runs)  # evicted ones open again
        assert _materialised(instance) == len(runs)
        for shard in ("index", runs[-1]):  # in WAL mode, commits do not wait for the disk
            with storage.run_connection(shard) as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        instance.wipe()
        assert set(storage._engines) <= {"index"}  # the runs' databases were let go before their files
        assert not list((home / "history" / "runs").glob("[!i]*.db"))
        assert _materialised(instance) == 0
        assert dg.materialize([signals], instance=instance).success and _materialised(instance) == 1
