"""Identifier normalisation that SQL alone does badly: phones to E.164 (with the phonenumbers library).

Registered into DuckDB as the function cx_e164(text, region) by `register_functions`, which the
dbt-duckdb plugin (connectors/dbt_plugin.py) calls for every dbt connection, so staging uses one
implementation. Arrow-vectorised with a cache: exports repeat the same numbers many times.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from functools import lru_cache

import duckdb
import phonenumbers
import pyarrow as pa
from phonenumbers.phonemetadata import PhoneMetadata
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    PhoneNumberType,
    _number_type_helper,
    national_significant_number,
)
from phonenumbers.re_util import re_compile


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
        if is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def is_valid_number(number: phonenumbers.PhoneNumber) -> bool:
    """phonenumbers.is_valid_number without its repeated pass (the same answer; tested against it over
    every calling code). For a calling code several regions share (+44: GB, GG, IM, JE), phonenumbers
    first finds the number's region, for a region without leading digits by matching the number's type
    against that region's patterns, and then matches the type against the same patterns again to answer.
    Here the first match answers. That second pass was a sixth of the time a UK number takes (38 -> 31 us)."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(number.country_code or 0)
    if regions is None or len(regions) == 1:
        return phonenumbers.is_valid_number(number)
    national_number = national_significant_number(number)
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re_compile(metadata.leading_digits).match(national_number):
                return phonenumbers.is_valid_number_for_region(number, region)
        elif _number_type_helper(national_number, metadata) != PhoneNumberType.UNKNOWN:
            # what is_valid_number_for_region(number, region) checks besides the type just matched
            return bool(metadata.country_code == number.country_code)
    return False


def _e164_list(values: list[str | None], regions: list[str | None]) -> list[str | None]:
    return [to_e164(v, r or "GB") if v is not None else None for v, r in zip(values, regions, strict=True)]


# phonenumbers is pure Python (~31 us a number): past this many numbers in one process (a first night
# of a large history), the batches are shared with one worker process per core (SF 10: 550,000
# numbers; SF 1: 55,000). A worker is a plain `python -m connectors.normalise_worker` reading batches
# from a pipe: ~0.3 s to start, where a multiprocessing worker re-imports the parent's main module
# (inside dbt: all of dbt, ~2 s). The workers are let go after IDLE_SECONDS without work, so they do not
# hold memory through the rest of a dbt build.
PARALLEL_AFTER = 20_000
IDLE_SECONDS = 2.0
_numbers_seen = 0
_workers: list[_Worker] | None = None
_idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()  # the workers no call is using
_busy = 0  # calls using the workers now
_idle_timer: threading.Timer | None = None
_lock = threading.Lock()


class _Worker:
    """One worker process: a batch (texts, regions) pickled in, its E.164 forms pickled out."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "connectors.normalise_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def send(self, values: list[str | None], regions: list[str | None]) -> None:
        assert self.process.stdin is not None
        pickle.dump((values, regions), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def receive(self) -> list[str | None]:
        assert self.process.stdout is not None
        try:
            result: list[str | None] = pickle.load(self.process.stdout)
        except EOFError:
            raise RuntimeError(
                f"a phone normalising worker process ended (exit code {self.process.wait()}): see its error above"
            ) from None
        return result

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()  # the worker ends at the end of its input
        self.process.wait()


def _take_workers(cores: int) -> list[_Worker]:
    """One idle worker (waiting for one if every worker is in use) and any others idle now."""
    global _workers, _busy
    with _lock:
        if _idle_timer is not None:
            _idle_timer.cancel()
        if _workers is None:
            _workers = [_Worker() for _ in range(cores)]
            for worker in _workers:
                _idle.put(worker)
        _busy += 1
    taken = [_idle.get()]
    while len(taken) < cores:
        try:
            taken.append(_idle.get_nowait())
        except queue.Empty:
            break
    return taken


def _give_back_workers(taken: list[_Worker]) -> None:
    global _busy, _idle_timer
    for worker in taken:
        _idle.put(worker)
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
        while not _idle.empty():
            _idle.get_nowait()
    for worker in workers:
        worker.close()


def _e164_arrow(texts: pa.Array, regions: pa.Array) -> pa.Array:
    global _numbers_seen
    values, region_values = texts.to_pylist(), regions.to_pylist()
    _numbers_seen += len(values)
    cores = os.cpu_count() or 1
    if _numbers_seen <= PARALLEL_AFTER or cores < 2 or len(values) < 2 * cores:
        return pa.array(_e164_list(values, region_values), type=pa.string())
    taken = _take_workers(cores)
    try:
        size = -(-len(values) // len(taken))
        for worker, start in zip(taken, range(0, len(values), size), strict=False):
            worker.send(values[start : start + size], region_values[start : start + size])
        parts = [worker.receive() for worker, _ in zip(taken, range(0, len(values), size), strict=False)]
        return pa.array([e164 for part in parts for e164 in part], type=pa.string())
    finally:
        _give_back_workers(taken)


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
