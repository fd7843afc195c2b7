"""connectors.speed measures; it asserts no timing (a shared CI box is no benchmark), only that it runs."""

from __future__ import annotations

from pathlib import Path

from connectors.speed import measure
from cx_unify.settings import DEFAULT_SOURCES


def test_speed_measure_runs_both_loads(clean_landing: Path) -> None:
    speed = measure(clean_landing, DEFAULT_SOURCES)
    assert speed.files == len([p for p in clean_landing.rglob("*") if p.is_file()]) - 1  # not ground_truth
    assert speed.rows > 0 and speed.megabytes > 0
    assert speed.ours_seconds > 0 and speed.bare_seconds > 0
    assert "MB/s" in str(speed)
