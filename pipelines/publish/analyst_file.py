"""The analyst file: a read-only snapshot of the marts and the check history, PII masked, swapped in atomically.

Built beside the live file, checkpointed, fsynced, then `os.replace`d over it: readers see the old or
the new file, never a half-built one, and a reader holding the old file open never blocks a night
(DESIGN.md §8). If anything fails before the swap, the live file is untouched.

Marts kept by fingerprint (each row's source_fingerprint digests what it is built from, one per key) are
patched, not rewritten: the new file starts as a copy of the live one, and only the keys whose
fingerprints changed since it was published are deleted and inserted again. The warehouse remembers
what the live file holds (ops.published_fingerprints, and in ops.published_state the file's size and
modification time, the salt's digest and the masking): when any of that does not match (the file
was replaced or is missing, the salt or masking changed, a table's columns changed), the table or the
whole file is written in full, as on the first night.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass, field
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


# what the warehouse remembers of the live file (ops is not published beyond PUBLISHED_OPS_TABLES)
STATE_TABLE = "ops.published_state"
FINGERPRINTS_TABLE = "ops.published_fingerprints"


@dataclass
class PublishResult:
    path: Path
    tables: dict[str, int]
    masked_columns: list[str]
    size_bytes: int
    patched: dict[str, int] = field(default_factory=dict)  # kept mart -> keys written again tonight


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def publish_analyst_file(
    warehouse: Path,
    target: Path,
    salt: str,
    mask_pii: bool = True,
    kept_marts: dict[str, list[str]] | None = None,
) -> PublishResult:
    """Publishes the warehouse's marts, check history and reference tables to `target`. kept_marts:
    "schema.table" -> key columns of the marts kept by fingerprint, which are patched (module docstring)."""
    kept_marts = kept_marts or {}
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.building-*"):  # left by a run that was killed
        stale.unlink()
    building = target.parent / f".{target.name}.building-{uuid.uuid4().hex[:8]}"
    tables: dict[str, int] = {}
    masked: list[str] = []
    patched: dict[str, int] = {}
    settings = _settings_digest(salt, mask_pii)
    try:
        # until the new file is in place the warehouse remembers no file: a night that fails half-way
        # leaves fingerprints of a file that never landed, and the next night writes everything
        known = _forget_published(warehouse, target, settings)
        if known:
            shutil.copyfile(target, building)
        con = duckdb.connect(str(building))
        try:
            con.execute(f"ATTACH {_lit(str(warehouse))} AS wh")
            listing = con.execute(
                "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = 'wh' "
                "AND (schema_name IN (SELECT unnest(?::VARCHAR[])) OR (schema_name = 'ops' AND table_name IN "
                "(SELECT unnest(?::VARCHAR[])))) ORDER BY schema_name, table_name",
                [list(PUBLISHED_SCHEMAS), list(PUBLISHED_OPS_TABLES)],
            ).fetchall()
            for schema, table, comment in listing:
                name = f"{schema}.{table}"
                columns = con.execute(
                    "SELECT column_name, comment, data_type FROM duckdb_columns() WHERE database_name = 'wh' "
                    "AND schema_name = ? AND table_name = ? ORDER BY column_index",
                    [schema, table],
                ).fetchall()
                select, published_columns = _published_columns(columns, salt, mask_pii)
                masked += [f"{name}.{c}" for c, _ in published_columns if mask_pii and c in PII_COLUMNS]
                keys = kept_marts.get(name) or []
                # a key must be published as it is to find its rows in the copy
                fingerprinted = (
                    bool(keys)
                    and "source_fingerprint" in {c[0] for c in columns}
                    and not (mask_pii and PII_COLUMNS & set(keys))
                )
                if fingerprinted and name in known and _same_columns(con, schema, table, published_columns):
                    patched[name] = _patch(con, schema, table, ", ".join(select), keys)
                else:
                    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}")
                    con.execute(f"DROP TABLE IF EXISTS {_q(schema)}.{_q(table)}")
                    con.execute(
                        f"CREATE TABLE {_q(schema)}.{_q(table)} AS SELECT {', '.join(select)} "
                        f"FROM wh.{_q(schema)}.{_q(table)}"
                    )
                    if fingerprinted:
                        _remember_all(con, schema, table, keys)
                con.execute(f"COMMENT ON TABLE {_q(schema)}.{_q(table)} IS {_lit_or_null(comment)}")
                for column, column_comment, _ in columns:
                    if column not in UNPUBLISHED_COLUMNS:
                        con.execute(
                            f"COMMENT ON COLUMN {_q(schema)}.{_q(table)}.{_q(column)} IS "
                            f"{_lit_or_null(column_comment)}"
                        )
                row = con.execute(f"SELECT count(*) FROM {_q(schema)}.{_q(table)}").fetchone()
                tables[name] = int(row[0]) if row else 0
            _drop_unlisted(con, set(tables))
            _write_readme(con, tables)
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
        _remember_published(warehouse, target, settings)
    finally:
        for leftover in (building, Path(f"{building}.wal")):
            if leftover.exists():
                leftover.unlink()
    return PublishResult(target, tables, masked, target.stat().st_size, patched)


def _published_columns(
    columns: list[tuple[str, str | None, str]], salt: str, mask_pii: bool
) -> tuple[list[str], list[tuple[str, str]]]:
    """The select list that publishes a table's columns (name, comment, type), PII masked by salted hash
    and bookkeeping left out, and the published columns' names and types."""
    select, published = [], []
    for column, _, data_type in columns:
        if column in UNPUBLISHED_COLUMNS:
            continue
        if mask_pii and column in PII_COLUMNS:
            select.append(
                f"CASE WHEN {_q(column)} IS NULL THEN NULL ELSE 'h:' || "
                f"left(sha256({_lit(salt)} || {_q(column)}::VARCHAR), 16) END AS {_q(column)}"
            )
            published.append((column, "VARCHAR"))
        else:
            select.append(_q(column))
            published.append((column, data_type))
    return select, published


def _lit_or_null(value: str | None) -> str:
    return _lit(value) if value else "NULL"


def _settings_digest(salt: str, mask_pii: bool) -> str:
    """What the published values depend on besides the warehouse: the salt, the masking and this code."""
    code = Path(__file__).read_bytes()
    return hashlib.sha256(salt.encode() + b"\x00" + str(mask_pii).encode() + b"\x00" + code).hexdigest()


def _file_stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _forget_published(warehouse: Path, target: Path, settings: str) -> set[str]:
    """The kept marts whose published fingerprints the warehouse knows for the live file (none when it
    remembers another file, other settings, or nothing), and forgets the live file until it is replaced."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS ops")
        con.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (file_stamp VARCHAR, settings VARCHAR)")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {FINGERPRINTS_TABLE} "
            "(table_name VARCHAR, row_key VARCHAR, source_fingerprint UBIGINT)"
        )
        state = con.execute(f"SELECT file_stamp, settings FROM {STATE_TABLE}").fetchall()
        known: set[str] = set()
        if target.exists() and state == [(_file_stamp(target), settings)]:
            known = {
                r[0] for r in con.execute(f"SELECT DISTINCT table_name FROM {FINGERPRINTS_TABLE}").fetchall()
            }
        con.execute(f"DELETE FROM {STATE_TABLE}")
        return known
    finally:
        con.close()


def _remember_published(warehouse: Path, target: Path, settings: str) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"DELETE FROM {STATE_TABLE}")
        con.execute(f"INSERT INTO {STATE_TABLE} VALUES (?, ?)", [_file_stamp(target), settings])
    finally:
        con.close()


def _key(keys: list[str], alias: str = "") -> str:
    """One text per key (the key columns joined by a unit separator; none is empty)."""
    prefix = f"{alias}." if alias else ""
    parts = [f"coalesce(CAST({prefix}{_q(k)} AS VARCHAR), chr(0))" for k in keys]
    return parts[0] if len(parts) == 1 else " || chr(31) || ".join(parts)


def _same_columns(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[tuple[str, str]]
) -> bool:
    """Whether the copied file holds the table with exactly these columns (name, type) in this order."""
    have = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    return [tuple(c) for c in have] == columns


def _patch(con: duckdb.DuckDBPyConnection, schema: str, table: str, select: str, keys: list[str]) -> int:
    """Rewrites the keys whose fingerprints changed since the live file was published (new keys, gone
    keys, keys rebuilt from changed inputs) and records the new fingerprints. Returns how many."""
    name, source = f"{schema}.{table}", f"wh.{_q(schema)}.{_q(table)}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _cx_changed AS
        SELECT DISTINCT row_key FROM (
            (SELECT {_key(keys)} AS row_key, source_fingerprint FROM {source}
             EXCEPT SELECT row_key, source_fingerprint FROM wh.{FINGERPRINTS_TABLE} WHERE table_name = $name)
            UNION ALL
            (SELECT row_key, source_fingerprint FROM wh.{FINGERPRINTS_TABLE} WHERE table_name = $name
             EXCEPT SELECT {_key(keys)}, source_fingerprint FROM {source}))""",
        {"name": name},
    )
    here = f"{_q(schema)}.{_q(table)}"
    con.execute(f"DELETE FROM {here} WHERE {_key(keys)} IN (SELECT row_key FROM _cx_changed)")
    con.execute(
        f"INSERT INTO {here} SELECT {select} FROM {source} WHERE {_key(keys)} IN (SELECT row_key FROM _cx_changed)"
    )
    con.execute(
        f"DELETE FROM wh.{FINGERPRINTS_TABLE} WHERE table_name = $name AND row_key IN (SELECT row_key FROM _cx_changed)",
        {"name": name},
    )
    con.execute(
        f"INSERT INTO wh.{FINGERPRINTS_TABLE} SELECT DISTINCT $name, {_key(keys)}, source_fingerprint FROM {source} "
        f"WHERE {_key(keys)} IN (SELECT row_key FROM _cx_changed)",
        {"name": name},
    )
    row = con.execute("SELECT count(*) FROM _cx_changed").fetchone()
    con.execute("DROP TABLE _cx_changed")
    return int(row[0]) if row else 0


def _remember_all(con: duckdb.DuckDBPyConnection, schema: str, table: str, keys: list[str]) -> None:
    """Records the fingerprints of a kept mart just written in full."""
    name = f"{schema}.{table}"
    con.execute(f"DELETE FROM wh.{FINGERPRINTS_TABLE} WHERE table_name = $name", {"name": name})
    con.execute(
        f"INSERT INTO wh.{FINGERPRINTS_TABLE} SELECT DISTINCT $name, {_key(keys)}, source_fingerprint "
        f"FROM wh.{_q(schema)}.{_q(table)}",
        {"name": name},
    )


def _drop_unlisted(con: duckdb.DuckDBPyConnection, published: set[str]) -> None:
    """Drops what the copied file holds that is no longer published (a mart removed, the old README)."""
    for schema, table in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall():
        if f"{schema}.{table}" not in published:
            con.execute(f"DROP TABLE {_q(schema)}.{_q(table)}")


def _write_readme(con: duckdb.DuckDBPyConnection, rows: dict[str, int]) -> None:
    """main.readme: every published table, what one row means (its description) and its rows."""
    con.execute(
        """
        CREATE TABLE main.readme AS
        SELECT tables.schema_name || '.' || tables.table_name AS table_name,
               coalesce(tables.comment, '') AS one_row_means, counted.n AS approx_rows
        FROM duckdb_tables() AS tables
        INNER JOIN (SELECT unnest($names) AS name, unnest($counts) AS n) AS counted
            ON tables.schema_name || '.' || tables.table_name = counted.name
        WHERE tables.database_name = current_database()
        ORDER BY tables.schema_name, tables.table_name""",
        {"names": list(rows), "counts": list(rows.values())},
    )
    con.execute(
        "COMMENT ON TABLE main.readme IS 'One row per table in this file: what one row of it means. "
        "Published by cx-unify; read-only snapshot, PII masked.'"
    )
