"""Identifier normalisation that SQL alone does badly: phones to E.164 (with the phonenumbers library).

Registered into DuckDB as the function cx_e164(text, region) by `register_functions`, which the
dbt-duckdb plugin (connectors/dbt_plugin.py) calls for every dbt connection, so staging uses one
implementation. Arrow-vectorised with a cache: exports repeat the same numbers many times.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache

import duckdb
import phonenumbers
import pyarrow as pa


@lru_cache(maxsize=500_000)
def to_e164(text: str | None, region: str = "GB") -> str | None:
    """'07911 123456' -> '+447911123456'; None when it is not a possible number."""
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    candidates = [raw]
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.startswith("00"):
        candidates.append("+" + digits[2:])
    elif not raw.startswith("+") and len(digits) >= 11:
        candidates.append("+" + digits)  # an international number written without its '+'
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _e164_list(values: list[str | None], regions: list[str | None]) -> list[str | None]:
    return [to_e164(v, r or "GB") if v is not None else None for v, r in zip(values, regions, strict=True)]


# phonenumbers is pure Python (~40 us a number): past this many numbers in one process (a first night
# of a large history), the batches are shared with one worker process per core. Starting the workers
# costs ~2.5 s inside dbt, so it pays only for a few hundred thousand numbers (SF 10: 550,000, 21 s ->
# 13 s; SF 1: 55,000, stays in process). The workers are let go after IDLE_SECONDS without work, so
# they do not hold memory through the rest of a dbt build.
PARALLEL_AFTER = 100_000
IDLE_SECONDS = 2.0
_numbers_seen = 0
_workers: ProcessPoolExecutor | None = None
_busy = 0  # calls using the workers now
_idle_timer: threading.Timer | None = None
_lock = threading.Lock()


def _take_workers(cores: int) -> ProcessPoolExecutor:
    global _workers, _busy
    with _lock:
        if _idle_timer is not None:
            _idle_timer.cancel()
        if _workers is None:  # spawned, not forked: the caller runs DuckDB's threads
            _workers = ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("spawn"))
        _busy += 1
        return _workers


def _give_back_workers() -> None:
    global _busy, _idle_timer
    with _lock:
        _busy -= 1
        if _busy == 0:
            _idle_timer = threading.Timer(IDLE_SECONDS, _let_workers_go)
            _idle_timer.daemon = True
            _idle_timer.start()


def _let_workers_go() -> None:
    global _workers
    with _lock:
        if _busy or _workers is None:
            return
        workers, _workers = _workers, None
    workers.shutdown(wait=True)


def _e164_arrow(texts: pa.Array, regions: pa.Array) -> pa.Array:
    global _numbers_seen
    values, region_values = texts.to_pylist(), regions.to_pylist()
    _numbers_seen += len(values)
    cores = os.cpu_count() or 1
    if _numbers_seen <= PARALLEL_AFTER or cores < 2 or len(values) < 2 * cores:
        return pa.array(_e164_list(values, region_values), type=pa.string())
    size = -(-len(values) // cores)
    workers = _take_workers(cores)
    try:
        parts = [
            workers.submit(_e164_list, values[i : i + size], region_values[i : i + size])
            for i in range(0, len(values), size)
        ]
        return pa.array([e164 for part in parts for e164 in part.result()], type=pa.string())
    finally:
        _give_back_workers()


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
