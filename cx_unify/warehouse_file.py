"""Opening a DuckDB file another process may hold: DuckDB allows one writing process or many readers,
and a second opener fails at once with a lock error, so wait briefly for the holder to finish."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import duckdb


class WarehouseBusy(RuntimeError):
    """Another process kept the file open past the wait: names the file, the holder DuckDB reports and
    what to do (DuckDB's own text ends with advice to open the file read-only, which is no help to a
    writer)."""


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
        except duckdb.IOException as exc:
            if not _is_lock_conflict(exc):
                raise
            if time.monotonic() > deadline:
                raise WarehouseBusy(_busy_message(path, exc, wait_seconds)) from exc
            time.sleep(0.5)


def _is_lock_conflict(exc: duckdb.IOException) -> bool:
    """DuckDB's "Could not set lock on file ... Conflicting lock is held in ..." (not a missing folder,
    a file that is a folder or no database: those are not worth waiting for)."""
    return "lock" in str(exc).lower()


def _busy_message(path: Path | str, exc: duckdb.IOException, wait_seconds: float) -> str:
    held = re.search(r"Conflicting lock is held in (.+?\(PID \d+\))", str(exc))
    holder = f"by {held.group(1)}" if held else "by another process"
    return (
        f"{path} is held {holder} (waited {wait_seconds:.0f} s): a night writes this file, so no other "
        "process may keep it open, not even read-only. Close that connection and run again; analysts "
        "query the published copy ($CX_PUBLISHED/cx.duckdb), which a night replaces without waiting "
        "for its readers."
    )
