"""Great Expectations in the night's worker process (expectations/gx_worker.py): the same answers as in
this process, and this process takes over whenever the worker cannot answer. Real GX on both sides."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import duckdb
import pytest

from expectations import gx_worker
from expectations.runner import run_check, validate, validate_here
from expectations.spec import CheckSpec, at_most_rows, offending_rows
from expectations.suites import all_checks
from expectations.suites.validity import _violations


@pytest.fixture
def worker() -> Iterator[None]:
    with gx_worker.running_worker():
        yield
    assert not gx_worker.running()


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE complaints AS SELECT i AS id, CASE WHEN i % 4 = 0 THEN NULL ELSE 'team ' || i END AS team "
        "FROM range(20) t(i)"
    )
    yield con
    con.close()


def _unowned(threshold: float = 2) -> CheckSpec:
    return offending_rows(
        "F5_test__unowned",
        ("marts", "complaints"),
        "complaints without a team",
        "SELECT id FROM complaints WHERE team IS NULL ORDER BY id",
        threshold=threshold,
    )


def _teams_not_null(column: str, threshold: float) -> list[Any]:
    import great_expectations.expectations as gxe

    return [gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=1 - threshold)]


def test_the_worker_answers_as_this_process_does(worker: None, con: duckdb.DuckDBPyConnection) -> None:
    frame = con.execute("SELECT id AS violations FROM complaints").df()
    expectations = partial(_violations, "violations")
    here = validate_here(frame, "rules", expectations, 14)
    there = gx_worker.validate(frame, "rules", expectations, 14)
    assert gx_worker.running()
    assert there == here
    success, details, unexpected = here
    assert not success  # 15 to 19 are over 14
    assert unexpected == [15, 16, 17, 18, 19]
    assert details[0]["expectation"] == "expect_column_values_to_be_between"
    assert details[0]["unexpected_count"] == 5


def test_a_check_run_through_the_worker_reports_what_it_found(
    worker: None, con: duckdb.DuckDBPyConnection
) -> None:
    outcome = run_check(con, _unowned())
    assert not outcome.passed and outcome.observed_value == 5 and outcome.rows_checked == 5
    assert [row["id"] for row in outcome.failing_sample] == [0, 4, 8, 12, 16]
    assert run_check(con, _unowned(threshold=5)).passed


def test_what_the_worker_cannot_take_is_validated_in_this_process(
    worker: None, con: duckdb.DuckDBPyConnection
) -> None:
    frame = con.execute("SELECT * FROM complaints").df()
    unpicklable = lambda threshold: _teams_not_null("team", threshold)  # noqa: E731
    assert gx_worker.validate(frame, "teams", unpicklable, 0.5) is None
    assert validate(frame, "teams", unpicklable, 0.5)[0]  # a quarter without a team: within a half
    # a function of a module the worker cannot import (this test's): unpickled there, it fails
    not_importable_there = partial(_teams_not_null, "team")
    assert gx_worker.validate(frame, "teams", not_importable_there, 0.1) is None
    assert gx_worker.running()  # and the worker serves the next check
    assert validate(frame, "teams", not_importable_there, 0.1)[2] == [0, 4, 8, 12, 16]
    assert gx_worker.validate(frame, "rows", at_most_rows, 100) == validate_here(
        frame, "rows", at_most_rows, 100
    )


def test_a_worker_that_ended_hands_the_checks_back_to_this_process(
    worker: None, con: duckdb.DuckDBPyConnection
) -> None:
    assert gx_worker._worker is not None
    gx_worker._worker.process.kill()
    gx_worker._worker.process.wait()
    outcome = run_check(con, _unowned())
    assert not outcome.passed and outcome.observed_value == 5
    assert not gx_worker.running()


def test_a_validation_that_raises_in_the_worker_raises_here(worker: None) -> None:
    with pytest.raises(gx_worker.WorkerError, match="without a dataframe"):
        gx_worker.validate("not a frame", "rows", at_most_rows, 100)
    assert gx_worker.running()  # it serves the next check


def test_every_catalogue_check_can_be_sent_to_the_worker() -> None:
    import pickle

    for spec in all_checks():
        pickle.dumps(spec.expectations)
