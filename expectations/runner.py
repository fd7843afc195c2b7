"""Run a CheckSpec: SQL in DuckDB -> pandas (via Arrow) -> Great Expectations -> a plain result.

Great Expectations is imported once, lazily (its import costs ~5 s), into one ephemeral context.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import duckdb

from expectations import gx_worker
from expectations.spec import CheckSpec

SAMPLE_ROWS = 10


@dataclass
class CheckOutcome:
    spec: CheckSpec
    passed: bool
    observed_value: float | None
    threshold: float
    severity: str
    rows_checked: int
    failing_sample: list[dict[str, Any]] = field(default_factory=list)
    expectation_results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


_GX_LOCK = threading.Lock()


def _gx() -> Any:
    with _GX_LOCK:  # one context, even when a warm-up thread and a check ask at the same time
        return _gx_context()


@lru_cache(maxsize=1)
def _gx_context() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("cx_frames")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
    )
    return gx, batch_definition


def warm_up() -> None:
    """Import Great Expectations and build its context now (e.g. in a thread while other work runs)."""
    _gx()


_WARMING = threading.Event()


def warm_up_in_background() -> None:
    """warm_up() in a daemon thread, once per process: call it where this process waits on another
    (dbt), so the import (~5 s) overlaps that wait instead of delaying a check. Not while the night's
    worker process validates (expectations/gx_worker.py): this process then never needs it."""
    if gx_worker.running():
        return
    if not _WARMING.is_set():
        _WARMING.set()
        threading.Thread(target=warm_up, name="gx-warm-up", daemon=True).start()


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0):
        return [_plain(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def validate(
    frame: Any, name: str, expectations: Callable[[float], list[Any]], threshold: float
) -> tuple[bool, list[dict[str, Any]], list[int]]:
    """GX validation of a check's frame against `expectations(threshold)`: whether it passed, each
    expectation's result (plain values), and the frame's rows GX found unexpected. In the night's
    worker process when one runs (expectations/gx_worker.py: GX imported there, beside this process's
    start), else here."""
    answer = gx_worker.validate(frame, name, expectations, threshold)
    if answer is not None:
        return answer
    return validate_here(frame, name, expectations, threshold)


def validate_here(
    frame: Any, name: str, expectations: Callable[[float], list[Any]], threshold: float
) -> tuple[bool, list[dict[str, Any]], list[int]]:
    """validate() in this process."""
    gx, batch_definition = _gx()
    suite = gx.ExpectationSuite(name=name, expectations=expectations(threshold))
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format={"result_format": "COMPLETE"}
    )
    details = []
    unexpected_rows: set[int] = set()
    for r in result.results:
        info = r.result or {}
        details.append(
            {
                "expectation": r.expectation_config.type,
                "kwargs": {k: _plain(v) for k, v in r.expectation_config.kwargs.items() if k != "batch_id"},
                "success": bool(r.success),
                "observed_value": _plain(info.get("observed_value")),
                "unexpected_count": info.get("unexpected_count"),
            }
        )
        for item in info.get("unexpected_index_list") or []:
            if isinstance(item, dict):
                continue
            unexpected_rows.add(int(item))
    return bool(result.success), details, sorted(unexpected_rows)


def run_check(
    con: duckdb.DuckDBPyConnection,
    spec: CheckSpec,
    severity: str | None = None,
    threshold: float | None = None,
    params: dict[str, Any] | None = None,
) -> CheckOutcome:
    threshold = spec.threshold if threshold is None else threshold
    severity = (severity or spec.severity).upper()
    sql = spec.frame_sql(threshold, params)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _check_frame AS {sql}")
        frame = con.execute("SELECT * FROM _check_frame").df()
        observed_row = con.execute(f"SELECT {spec.observed} FROM _check_frame f").fetchone()
    except duckdb.Error as exc:
        return CheckOutcome(spec, False, None, threshold, severity, 0, error=str(exc).splitlines()[0])
    observed = _plain(observed_row[0]) if observed_row else None
    success, details, unexpected_rows = validate(frame, spec.name, spec.expectations, threshold)
    failing = frame.loc[unexpected_rows] if unexpected_rows else frame.iloc[0:0]
    if failing.empty and not success:
        failing = frame
    sample = [{k: _plain(v) for k, v in row.items()} for row in failing.head(SAMPLE_ROWS).to_dict("records")]
    return CheckOutcome(
        spec,
        success,
        observed,
        threshold,
        severity,
        len(frame),
        failing_sample=json.loads(json.dumps(sample, default=str)),
        expectation_results=details,
    )
