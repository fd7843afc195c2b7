"""upstream_changes: the upstream changes a Python model builds from (cx_unify/deltas.py), read from what its
pre-hook staged (stage_upstream_changes, macros/deltas.sql), on a real DuckDB file laid out as the dbt
models leave it. The rule itself (when changes apply) is tested on a real dbt build in
tests/dbt/test_dbt_project.py."""

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cx_unify.deltas import stage_changes, upstream_changes


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA intermediate")
    for upstream in ("up_a", "up_b"):
        con.execute(f"CREATE TABLE intermediate.{upstream}__changes (node_id VARCHAR, is_current BOOLEAN)")
        con.execute(f"INSERT INTO intermediate.{upstream}__changes VALUES ('{upstream}-1', true)")
    return con


def _staged(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str]]) -> None:
    con.execute("CREATE TEMPORARY TABLE model__upstream_changes (upstream VARCHAR, applies VARCHAR)")
    con.executemany("INSERT INTO model__upstream_changes VALUES (?, ?)", rows)


def _ask(con: duckdb.DuckDBPyConnection) -> dict[str, list] | None:
    database = con.execute("SELECT current_database()").fetchall()[0][0]
    found = upstream_changes(con, database, "intermediate", "model", ["up_a", "up_b"])
    return None if found is None else {name: rel.fetchall() for name, rel in found.items()}


def test_the_staged_changes_of_each_upstream(con: duckdb.DuckDBPyConnection) -> None:
    # up_b not built again since the model was: nothing to apply
    _staged(con, [("up_a", "changes"), ("up_b", "nothing")])
    assert _ask(con) == {"up_a": [("up_a-1", True)], "up_b": []}


def test_every_row_is_found_again_when_one_upstream_does_not_apply(con: duckdb.DuckDBPyConnection) -> None:
    _staged(con, [("up_a", "changes")])  # up_b's changes do not reach back to the model's last build
    assert _ask(con) is None


def test_a_full_build_stages_nothing(con: duckdb.DuckDBPyConnection) -> None:
    assert _ask(con) is None


def test_only_this_sessions_staging_counts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """The staging is a temporary table: a table of that name in the warehouse (left by hand) is not it."""
    con.execute(
        "CREATE TABLE main.model__upstream_changes AS SELECT 'up_a' AS upstream, 'changes' AS applies"
    )
    assert _ask(con) is None


def test_a_python_models_changes_are_the_kept_rows_it_replaces_or_loses(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute(
        "CREATE TABLE intermediate.model AS SELECT * FROM (VALUES ('n1', 'c1', 1), ('n2', 'c1', 2), "
        "('n3', 'c3', 3)) AS kept (node_id, cluster_node_id, node_fingerprint)"
    )
    built = pa.table({"node_id": ["n2", "n4"], "cluster_node_id": ["n2", "n4"]})  # n2 found again, n4 new
    stage_changes(con, "model", con.table("intermediate.model"), built, "node_id", "node_fingerprint IN (3)")
    assert sorted(con.execute("SELECT node_id FROM model__arriving").fetchall()) == [("n2",), ("n4",)]
    # n2's old row (replaced) and n3's (its fingerprint removed upstream: gone); n1 untouched
    assert sorted(con.execute("SELECT node_id, cluster_node_id FROM model__leaving").fetchall()) == [
        ("n2", "c1"),
        ("n3", "c3"),
    ]
