"""One writer at a time: a lock file in CX_HOME, and one beside the warehouse, held for the whole run (DuckDB
allows one writing process).

`cx-unify run` takes it before the run starts; a run the Dagster daemon or UI launches takes it when its
warehouse resource is set up (pipelines/resources.py), so the two never meet. The thread that holds the
lock may take it again (the CLI's run is in-process: its resource finds the lock its own)."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RunInProgress(RuntimeError):
    pass


_HELD: dict[Path, tuple[int, int]] = {}  # lock file -> (the thread holding it, how many times)
_HELD_GUARD = threading.Lock()


@contextmanager
def run_lock(home: Path, wait_seconds: float = 5.0, warehouse: Path | None = None) -> Iterator[None]:
    """Held by this process until the block ends; waits up to `wait_seconds` for another holder (the
    landing sensor holds it for a moment every minute) before RunInProgress. With `warehouse`, the
    warehouse's own lock (`<warehouse>.lock`) too: two homes may name one warehouse (CX_WAREHOUSE set,
    --home given), and its writers must still meet."""
    with _held((home / "run.lock").resolve(), home, wait_seconds):
        if warehouse is None:
            yield
            return
        warehouse = warehouse.resolve()
        with _held(warehouse.with_name(warehouse.name + ".lock"), warehouse.parent, wait_seconds):
            yield


@contextmanager
def _held(path: Path, folder: Path, wait_seconds: float) -> Iterator[None]:
    me = threading.get_ident()
    with _HELD_GUARD:
        owner, times = _HELD.get(path, (None, 0))
        reentered = owner == me  # another thread of this process waits like another process
        if reentered:
            _HELD[path] = (me, times + 1)
    if reentered:
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD[path] = (me, _HELD[path][1] - 1)
        return
    folder.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError as exc:
            if time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise RunInProgress(
                f"another cx-unify run holds {path} ({holder}: `cx-unify run`, or a run the schedule, the "
                "sensor or the UI launched); wait for it to finish"
            ) from exc
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
    handle.flush()
    with _HELD_GUARD:
        _HELD[path] = (me, 1)
    try:
        yield
    finally:
        with _HELD_GUARD:
            del _HELD[path]
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
