"""Opening a DuckDB file another process may hold: DuckDB allows one writing process or many readers,
and a second opener fails at once with a lock error, so wait briefly for the holder to finish."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb


def connect_waiting(
    path: Path | str,
    read_only: bool = False,
    wait_seconds: float = 30.0,
    config: dict[str, Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config or {})
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
