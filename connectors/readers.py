"""Read one landed file into a DuckDB temp table of text columns, keeping the record number.

DuckDB's own readers do the parsing (no per-row Python): CSV/TSV (delimiter sniffed or given,
gzip by extension, UTF-8/UTF-16/latin-1), JSON and JSON Lines, Parquet; XLSX goes through fastexcel
to Arrow. Malformed CSV lines are kept as rejects so they can be quarantined, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors.sources import Source


class UnreadableFile(Exception):
    """The file cannot be parsed at all; the message says why in words a person can act on."""


@dataclass
class ReadResult:
    table: str  # temp table with the file's columns as VARCHAR plus _row
    columns: list[str]
    rows: int
    rejects: list[tuple[int, str, str]]  # (record number, raw line, error)


def detect_format(path: Path, configured: str) -> str:
    if configured != "auto":
        return configured
    name = path.name.lower()
    for suffix in (".gz", ".gzip", ".zst"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    return {
        "csv": "csv",
        "tsv": "tsv",
        "tab": "tsv",
        "txt": "csv",
        "json": "json",
        "jsonl": "jsonl",
        "ndjson": "jsonl",
        "parquet": "parquet",
        "xlsx": "xlsx",
        "xls": "xlsx",
    }.get(ext, "csv")


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_file(
    con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str = "_landing"
) -> ReadResult:
    fmt = detect_format(path, source.format)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    rejects: list[tuple[int, str, str]] = []
    try:
        if fmt in ("csv", "tsv"):
            rejects = _read_csv(con, path, source, fmt, table)
        elif fmt in ("json", "jsonl"):
            records = "'newline_delimited'" if fmt == "jsonl" else "'auto'"
            con.execute(
                f"CREATE TEMP TABLE {table}_src AS SELECT * FROM read_json({_sql_str(str(path))}, "
                f"format={records}, union_by_name=true)"
            )
            _as_text(con, f"{table}_src", table)
        elif fmt == "parquet":
            con.execute(f"CREATE TEMP TABLE {table}_src AS SELECT * FROM read_parquet({_sql_str(str(path))})")
            _as_text(con, f"{table}_src", table)
        elif fmt == "xlsx":
            _read_xlsx(con, path, table)
        else:
            raise UnreadableFile(f"format '{fmt}' is not supported")
    except UnreadableFile:
        raise
    except (duckdb.Error, OSError, UnicodeError, ValueError) as exc:
        raise UnreadableFile(_first_line(exc)) from exc
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "_row"]
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
    return ReadResult(table, columns, int(rows), rejects)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _read_csv(
    con: duckdb.DuckDBPyConnection, path: Path, source: Source, fmt: str, table: str
) -> list[tuple[int, str, str]]:
    options = [
        "all_varchar=true",
        "header=true",
        "store_rejects=true",
        "rejects_table='_rejects'",
        "rejects_scan='_reject_scans'",
        "auto_detect=true",
    ]
    delimiter = source.delimiter or ("\t" if fmt == "tsv" else None)
    if delimiter:
        options.append(f"delim={_sql_str(delimiter)}")
    if source.encoding:
        options.append(f"encoding={_sql_str(source.encoding)}")
    con.execute("DROP TABLE IF EXISTS _rejects")
    con.execute("DROP TABLE IF EXISTS _reject_scans")
    extra_headers = max(0, source.header_rows - 1)
    con.execute(
        f"CREATE TEMP TABLE {table}_src AS SELECT * FROM read_csv({_sql_str(str(path))}, {', '.join(options)})"
    )
    # record numbers count data records after all header rows; extra header rows are dropped
    # temp-table rowids start at an offset but follow insertion (= file) order
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT * FROM (SELECT *, "
        f"(rowid - min(rowid) OVER () + 1 - {extra_headers})::BIGINT AS _row FROM {table}_src) "
        f"WHERE _row >= 1 ORDER BY _row"
    )
    con.execute(f"DROP TABLE {table}_src")
    rejects = con.execute("SELECT line, csv_line, error_message FROM _rejects ORDER BY line").fetchall()
    return [(int(line) - source.header_rows, str(raw), str(err)) for line, raw, err in rejects]


def _as_text(con: duckdb.DuckDBPyConnection, src: str, table: str) -> None:
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT COLUMNS(*)::VARCHAR, "
        f"(rowid - min(rowid) OVER () + 1)::BIGINT AS _row FROM {src} ORDER BY _row"
    )
    con.execute(f"DROP TABLE {src}")


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    sheet = reader.load_sheet(0, dtypes="string")
    arrow_table = sheet.to_arrow()
    con.register("_xlsx_arrow", arrow_table)
    con.execute(f"CREATE TEMP TABLE {table}_src AS SELECT * FROM _xlsx_arrow")
    con.unregister("_xlsx_arrow")
    _as_text(con, f"{table}_src", table)
