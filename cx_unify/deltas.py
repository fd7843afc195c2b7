"""Changes carried downstream, read from a dbt Python model: the twin of delta_changes in
dbt_project/macros/deltas.sql (which documents the side tables <model>__changes, <model>__delta and
<model>__consumed).

Kept here, outside dbt, so that it is tested directly in pytest.
"""

from __future__ import annotations

import duckdb


def _quoted(database: str, schema: str, table: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in (database, schema, table))


def _exists(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [database, schema, table],
    ).fetchall()
    return rows[0][0] > 0


def upstream_changes(
    con: duckdb.DuckDBPyConnection, database: str, schema: str, model: str, upstreams: list[str]
) -> dict[str, duckdb.DuckDBPyRelation] | None:
    """For each upstream model (in `schema`), the relation of its changes since `model` was last built
    from it: its <upstream>__changes when `model` was built from the build they are counted from, no rows
    when it was built from the upstream's latest build; None when that holds for not every upstream
    (then every row is found again)."""
    consumed_table = f"{model}__consumed"
    if not _exists(con, database, schema, consumed_table):
        return None
    consumed = dict(
        con.execute(f"SELECT upstream, built_by FROM {_quoted(database, schema, consumed_table)}").fetchall()
    )
    found: dict[str, duckdb.DuckDBPyRelation] = {}
    for upstream in upstreams:
        if not _exists(con, database, schema, f"{upstream}__delta") or consumed.get(upstream) is None:
            return None
        states = con.execute(
            f"SELECT built_by, since FROM {_quoted(database, schema, upstream + '__delta')}"
        ).fetchall()
        if len(states) != 1:
            return None
        built_by, since = states[0]
        changes = con.sql(f"SELECT * FROM {_quoted(database, schema, upstream + '__changes')}")
        if built_by == consumed[upstream]:
            found[upstream] = changes.limit(0)
        elif since is not None and since == consumed[upstream]:
            found[upstream] = changes
        else:
            return None
    return found
