"""dagster-dbt leaves a target folder per dbt build (run_results.json, dbt.log, compiled SQL): a year of
nights filled GBs. The newest are kept for inspection, the others removed after each build."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.transform.assets import prune_run_targets


def test_only_the_newest_build_folders_are_kept(tmp_path: Path) -> None:
    folders = []
    for night in range(14):
        folder = tmp_path / f"dbt_models-{night:07x}-abc"
        (folder / "compiled").mkdir(parents=True)
        (folder / "dbt.log").write_text("x" * 100)
        os.utime(folder, (1_700_000_000 + night * 86400,) * 2)
        folders.append(folder)
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "compiled").mkdir()
    current = folders[5]  # tonight's, whatever its time says
    removed = prune_run_targets(current, keep=4)
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted(["manifest.json", "compiled", current.name] + [f.name for f in folders[-3:]])
    assert len(removed) == 10
