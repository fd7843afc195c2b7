"""Changes carried downstream, read from a dbt Python model (macros/deltas.sql documents the side tables
<model>__changes, <model>__delta and <model>__consumed, and holds the rule of when a build may use them).

The model's pre-hook stage_upstream_changes decides, per upstream, and stages the answer as the temporary
table <model>__upstream_changes (upstream, applies: 'changes' or 'nothing'; no row when every row is to
be found again). This reads it on the same connection (dbt-duckdb runs a Python model on the cursor its
hooks ran on). A Python model that keeps its own changes stages them with stage_changes. Kept here,
outside dbt, so that it is tested directly in pytest.
"""

from __future__ import annotations

import uuid

import duckdb
import pyarrow as pa


def _quoted(database: str, schema: str, table: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in (database, schema, table))


def upstream_changes(
    con: duckdb.DuckDBPyConnection, database: str, schema: str, model: str, upstreams: list[str]
) -> dict[str, duckdb.DuckDBPyRelation] | None:
    """For each upstream model (in `schema`), the relation of its changes this build applies, as staged
    by stage_upstream_changes: its <upstream>__changes ('changes'), or no rows ('nothing'); None when
    that was not staged (a full build) or does not hold for every upstream (then every row is found
    again)."""
    staged = f"{model}__upstream_changes"
    found_staged = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [staged]
    ).fetchall()
    if found_staged[0][0] == 0:
        return None
    applies = dict(con.execute(f'SELECT upstream, applies FROM temp.main."{staged}"').fetchall())
    if any(applies.get(upstream) not in ("changes", "nothing") for upstream in upstreams):
        return None
    found: dict[str, duckdb.DuckDBPyRelation] = {}
    for upstream in upstreams:
        changes = con.sql(f"SELECT * FROM {_quoted(database, schema, upstream + '__changes')}")
        found[upstream] = changes if applies[upstream] == "changes" else changes.limit(0)
    return found


def stage_changes(
    con: duckdb.DuckDBPyConnection,
    model: str,
    kept: duckdb.DuckDBPyRelation,
    built: pa.Table,
    key: str,
    gone: str,
) -> None:
    """Stages what a Python model's build incremental by `key` changes, for its post-hooks
    (delete_python_rows_leaving, record_python_changes in macros/deltas.sql): the temporary tables
    <model>__arriving, the keys it builds (`built`), and <model>__leaving, the kept rows it removes:
    those of the keys it builds again, and those `gone` (a condition on the kept rows) selects."""
    built_keys = f"_cx_built_{uuid.uuid4().hex[:8]}"
    con.register(built_keys, built.select([key]))
    try:
        con.execute(
            f'CREATE OR REPLACE TEMPORARY TABLE "{model}__arriving" AS SELECT DISTINCT {key} FROM {built_keys}'
        )
        con.execute(
            f'CREATE OR REPLACE TEMPORARY TABLE "{model}__leaving" AS SELECT * FROM ({kept.sql_query()}) AS kept '
            f'WHERE {key} IN (SELECT {key} FROM "{model}__arriving") OR ({gone})'
        )
    finally:
        con.unregister(built_keys)
