"""upstream_changes: which upstream changes a Python model may build from (cx_unify/deltas.py), on a real
DuckDB file laid out as the dbt models leave it (macros/deltas.sql)."""

from pathlib import Path

import duckdb
import pytest

from cx_unify.deltas import upstream_changes


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA intermediate")
    for upstream in ("up_a", "up_b"):
        con.execute(f"CREATE TABLE intermediate.{upstream}__changes (node_id VARCHAR, is_current BOOLEAN)")
        con.execute(f"INSERT INTO intermediate.{upstream}__changes VALUES ('{upstream}-1', true)")
    return con


def _state(con: duckdb.DuckDBPyConnection, upstream: str, built_by: str, since: str | None) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE intermediate.{upstream}__delta AS SELECT ? AS built_by, ? AS since",
        [built_by, since],
    )


def _consumed(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str | None]]) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE intermediate.model__consumed (upstream VARCHAR, built_by VARCHAR, context VARCHAR)"
    )
    con.executemany("INSERT INTO intermediate.model__consumed VALUES (?, ?, 'c')", rows)


def _ask(con: duckdb.DuckDBPyConnection) -> dict[str, list] | None:
    database = con.execute("SELECT current_database()").fetchall()[0][0]
    found = upstream_changes(con, database, "intermediate", "model", ["up_a", "up_b"])
    return None if found is None else {name: rel.fetchall() for name, rel in found.items()}


def test_changes_since_the_build_the_model_was_built_from(con: duckdb.DuckDBPyConnection) -> None:
    _state(con, "up_a", "run2", "run1")
    _state(con, "up_b", "run1", None)  # not built again since the model was: nothing to apply
    _consumed(con, [("up_a", "run1"), ("up_b", "run1")])
    assert _ask(con) == {"up_a": [("up_a-1", True)], "up_b": []}


@pytest.mark.parametrize(
    "states, consumed",
    [
        (
            {"up_a": ("run3", "run2"), "up_b": ("run1", None)},
            [("up_a", "run1"), ("up_b", "run1")],
        ),  # a build missed
        (
            {"up_a": ("run2", None), "up_b": ("run1", None)},
            [("up_a", "run1"), ("up_b", "run1")],
        ),  # a full build
        ({"up_a": ("run2", "run1"), "up_b": ("run1", None)}, [("up_a", "run1")]),  # up_b never recorded
        ({"up_a": ("run2", "run1"), "up_b": ("run1", None)}, [("up_a", "run1"), ("up_b", None)]),
        ({"up_a": ("run2", "run1")}, [("up_a", "run1"), ("up_b", "run1")]),  # up_b keeps no changes
    ],
    ids=["missed build", "full build", "upstream not recorded", "recorded without a build", "no delta table"],
)
def test_every_row_is_found_again_when_the_changes_do_not_reach_back(
    con: duckdb.DuckDBPyConnection, states: dict[str, tuple[str, str | None]], consumed: list
) -> None:
    for upstream, (built_by, since) in states.items():
        _state(con, upstream, built_by, since)
    _consumed(con, consumed)
    assert _ask(con) is None


def test_a_first_build_has_nothing_recorded(con: duckdb.DuckDBPyConnection) -> None:
    _state(con, "up_a", "run1", None)
    _state(con, "up_b", "run1", None)
    assert _ask(con) is None
