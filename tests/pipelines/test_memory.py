"""The night holds under a tight DuckDB memory limit (spilling allowed): SF 1 under 1 GB."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cx_unify.generate import generate

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_sf1_night_under_a_1gb_duckdb_limit(tmp_path: Path) -> None:
    generate(tmp_path / "cx" / "landing", scale=1, seed=5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CX_") and k != "DAGSTER_HOME"}
    env.update(
        CX_HOME=str(tmp_path / "cx"),
        CX_DUCKDB_MEMORY_LIMIT="1GB",
        DAGSTER_DISABLE_TELEMETRY="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    done = subprocess.run(
        [sys.executable, "-m", "cx_unify.cli", "run"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "cx" / "published" / "cx.duckdb").exists()
