"""The analyst file: a read-only snapshot of the marts and the check history, PII masked, swapped in atomically.

Built beside the live file, checkpointed, fsynced, then `os.replace`d over it: readers see the old or
the new file, never a half-built one, and a reader holding the old file open never blocks a night
(DESIGN.md §8). If anything fails before the swap, the live file is untouched.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "quality", "reference")
PUBLISHED_OPS_TABLES = ("ingest_files", "run_failures")
# bookkeeping of incremental builds (what a kept row was built from), not data: left out
UNPUBLISHED_COLUMNS = {"source_fingerprint"}
PII_COLUMNS = {
    "customer_email",
    "customer_phone",
    "customer_name",
    "email_norm",
    "phone_e164",
    "name_folded",
    "email",
    "phone",
    "name_key",
    "first_name_folded",
    "last_name_folded",
}


@dataclass
class PublishResult:
    path: Path
    tables: dict[str, int]
    masked_columns: list[str]
    size_bytes: int


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def publish_analyst_file(warehouse: Path, target: Path, salt: str, mask_pii: bool = True) -> PublishResult:
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.building-*"):  # left by a run that was killed
        stale.unlink()
    building = target.parent / f".{target.name}.building-{uuid.uuid4().hex[:8]}"
    tables: dict[str, int] = {}
    masked: list[str] = []
    try:
        con = duckdb.connect(str(building))
        try:
            con.execute(f"ATTACH {_lit(str(warehouse))} AS wh (READ_ONLY)")
            listing = con.execute(
                "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = 'wh' "
                "AND (schema_name IN (SELECT unnest(?::VARCHAR[])) OR (schema_name = 'ops' AND table_name IN "
                "(SELECT unnest(?::VARCHAR[])))) ORDER BY schema_name, table_name",
                [list(PUBLISHED_SCHEMAS), list(PUBLISHED_OPS_TABLES)],
            ).fetchall()
            for schema, table, comment in listing:
                columns = con.execute(
                    "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = 'wh' AND schema_name = ?"
                    " AND table_name = ? AND NOT list_contains(?, column_name) ORDER BY column_index",
                    [schema, table, sorted(UNPUBLISHED_COLUMNS)],
                ).fetchall()
                select = []
                for column, _ in columns:
                    if mask_pii and column in PII_COLUMNS:
                        select.append(
                            f"CASE WHEN {_q(column)} IS NULL THEN NULL ELSE 'h:' || "
                            f"left(sha256({_lit(salt)} || {_q(column)}::VARCHAR), 16) END AS {_q(column)}"
                        )
                        masked.append(f"{schema}.{table}.{column}")
                    else:
                        select.append(_q(column))
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}")
                con.execute(
                    f"CREATE TABLE {_q(schema)}.{_q(table)} AS SELECT {', '.join(select)} "
                    f"FROM wh.{_q(schema)}.{_q(table)}"
                )
                if comment:
                    con.execute(f"COMMENT ON TABLE {_q(schema)}.{_q(table)} IS {_lit(comment)}")
                for column, column_comment in columns:
                    if column_comment:
                        con.execute(
                            f"COMMENT ON COLUMN {_q(schema)}.{_q(table)}.{_q(column)} IS "
                            f"{_lit(column_comment)}"
                        )
                row = con.execute(f"SELECT count(*) FROM {_q(schema)}.{_q(table)}").fetchone()
                tables[f"{schema}.{table}"] = int(row[0]) if row else 0
            _write_readme(con)
            con.execute("DETACH wh")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        with open(building, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(building, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        for leftover in (building, Path(f"{building}.wal")):
            if leftover.exists():
                leftover.unlink()
    return PublishResult(target, tables, masked, target.stat().st_size)


def _write_readme(con: duckdb.DuckDBPyConnection) -> None:
    """main.readme: every published table and what one row means (its description)."""
    con.execute("""
        CREATE TABLE main.readme AS
        SELECT schema_name || '.' || table_name AS table_name, coalesce(comment, '') AS one_row_means,
               estimated_size AS approx_rows
        FROM duckdb_tables() WHERE database_name = current_database() AND table_name <> 'readme'
        ORDER BY schema_name, table_name""")
    con.execute(
        "COMMENT ON TABLE main.readme IS 'One row per table in this file: what one row of it means. "
        "Published by cx-unify; read-only snapshot, PII masked.'"
    )
