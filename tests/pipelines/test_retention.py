"""Run history is kept for CX_RUN_HISTORY_DAYS: older finished runs and run logs go, the rest stays."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from pipelines.nightly.retention import prune_run_history


@dg.asset
def a_step() -> None:
    print("captured output")  # noqa: T201 (the run's compute log)


def test_runs_and_logs_older_than_the_kept_days_are_removed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "logs").mkdir(parents=True)
    old_log, new_log = home / "logs" / "run-20250101-020000.log", home / "logs" / "run-20261130-020000.log"
    old_log.write_text("old")
    new_log.write_text("new")
    long_ago = time.time() - 100 * 86400
    os.utime(old_log, (long_ago, long_ago))
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        runs = [dg.materialize([a_step], instance=instance).run_id for _ in range(2)]
        assert (tmp_path / "dagster" / "storage" / runs[0]).is_dir()
        later = datetime.now(UTC)
        assert prune_run_history(instance, home, 0, now=later + timedelta(days=900)) == []  # 0: keep all
        assert old_log.exists()
        # 89 days on the runs are kept; the log last written 100 days ago goes
        assert prune_run_history(instance, home, 90, now=later + timedelta(days=89)) == []
        assert len(instance.get_runs()) == 2 and not old_log.exists() and new_log.exists()
        # 91 days on the runs go: records, event logs, captured output
        removed = prune_run_history(instance, home, 90, now=later + timedelta(days=91))
        assert sorted(removed) == sorted(runs)
        assert instance.get_runs() == []
        assert not instance.get_records_for_run(runs[0]).records
        assert not (tmp_path / "dagster" / "storage" / runs[0]).exists()
        assert not new_log.exists()
