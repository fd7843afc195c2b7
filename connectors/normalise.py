"""cx_e164(text, region) in DuckDB: phone numbers to E.164 (connectors/phones.py, with phonenumbers).

Registered by `register_functions`, which the dbt-duckdb plugin (connectors/dbt_plugin.py) calls for
every dbt connection, so staging uses one implementation. Arrow-vectorised with a cache (exports repeat
the same numbers many times); a large batch is shared with worker processes.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import threading

import duckdb
import pyarrow as pa

from connectors.phones import e164_list
from cx_unify.worker_process import WorkerProcess

# phonenumbers is pure Python (~31 us a number): past this many numbers in one process (a first night
# of a large history), the batches are shared with one worker process per core (SF 10: 550,000
# numbers; SF 1: 55,000). A worker is a plain `python -m connectors.normalise_worker` reading batches
# from a pipe, importing connectors/phones.py only: ~0.1 s to start, where a multiprocessing worker
# re-imports the parent's main module (inside dbt: all of dbt, 1.3 s of imports). The workers are let go
# after IDLE_SECONDS without work, so they do not hold memory through the rest of a dbt build. A call
# that fails half-way (a worker died, an interrupt) replaces the workers it held: one may still owe an
# answer, which the next call would take for its own.
PARALLEL_AFTER = 20_000
IDLE_SECONDS = 2.0
_numbers_seen = 0
_started = False  # whether workers run (every one of them is in _idle whenever no call is busy)
_idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()  # the workers no call is using
_busy = 0  # calls using the workers now
_idle_timer: threading.Timer | None = None
_lock = threading.Lock()


class WorkerError(RuntimeError):
    """A phone normalising worker process ended or answered nothing readable."""


class _Worker(WorkerProcess):
    """One worker process: a batch (texts, regions) in, its E.164 forms out."""

    def __init__(self) -> None:
        super().__init__("connectors.normalise_worker")

    def send(self, values: list[str | None], regions: list[str | None]) -> None:  # type: ignore[override]
        try:
            super().send((values, regions))
        except OSError as exc:
            raise self._ended(exc) from exc

    def receive(self) -> list[str | None]:
        try:
            result: list[str | None] = super().receive()
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            raise self._ended(exc) from exc
        return result

    def _ended(self, exc: BaseException) -> WorkerError:
        code = self.process.poll()
        state = f"ended with exit code {code}" if code is not None else "stopped answering"
        return WorkerError(
            f"a phone normalising worker process {state} ({type(exc).__name__}): see its error above"
        )


def _take_workers(cores: int) -> list[_Worker]:
    """One idle worker (waiting for one if every worker is in use) and any others idle now."""
    global _started, _busy
    with _lock:
        if _idle_timer is not None:
            _idle_timer.cancel()
        if not _started:
            for _ in range(cores):
                _idle.put(_Worker())
            _started = True
        _busy += 1
    taken = [_idle.get()]
    while len(taken) < cores:
        try:
            taken.append(_idle.get_nowait())
        except queue.Empty:
            break
    return taken


def _give_back_workers(taken: list[_Worker], failed: bool) -> None:
    """Returns the workers to the idle ones, or after a failed call kills them and starts new ones in
    their place (so calls waiting for a worker get one)."""
    global _busy, _idle_timer
    try:
        for worker in taken:
            if failed:
                worker.kill()
                worker = _Worker()
            _idle.put(worker)
    finally:
        with _lock:
            _busy -= 1
            if _busy == 0:
                _idle_timer = threading.Timer(IDLE_SECONDS, _let_workers_go)
                _idle_timer.daemon = True
                _idle_timer.start()


def _let_workers_go() -> None:
    global _started
    with _lock:
        if _busy or not _started:
            return
        workers = []
        while not _idle.empty():
            workers.append(_idle.get_nowait())
        _started = False
    for worker in workers:
        worker.close()


def _e164_arrow(texts: pa.Array, regions: pa.Array) -> pa.Array:
    global _numbers_seen
    values, region_values = texts.to_pylist(), regions.to_pylist()
    _numbers_seen += len(values)
    cores = os.cpu_count() or 1
    if _numbers_seen <= PARALLEL_AFTER or cores < 2 or len(values) < 2 * cores:
        return pa.array(e164_list(values, region_values), type=pa.string())
    taken = _take_workers(cores)
    failed = True
    try:
        size = -(-len(values) // len(taken))
        working = list(zip(taken, range(0, len(values), size), strict=False))
        for worker, start in working:
            worker.send(values[start : start + size], region_values[start : start + size])
        parts = [worker.receive() for worker, _ in working]
        failed = False
        return pa.array([e164 for part in parts for e164 in part], type=pa.string())
    finally:
        _give_back_workers(taken, failed)


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Adds cx_e164(VARCHAR, VARCHAR) -> VARCHAR to a DuckDB connection (idempotent)."""
    with contextlib.suppress(duckdb.CatalogException):  # already registered on this connection
        con.create_function(  # type: ignore[call-overload]
            "cx_e164",
            _e164_arrow,
            [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
            type="arrow",
            null_handling="special",
            side_effects=False,
        )
