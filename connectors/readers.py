"""Read one landed file as a DuckDB relation of text columns plus `_row`, the 1-based record number.

DuckDB's own readers do the parsing (no per-row Python): CSV/TSV (csv_reader: a lazy `read_csv`, so a
big export is parsed once, inside ingest's mapping query), JSON / JSON Lines (json_reader), Parquet;
XLSX goes through fastexcel to Arrow. connectors/textfiles undoes gzip and finds the encoding first.
Then, whatever the format:
  - extra header rows are skipped, or recognised (`header_rows: auto`) and used for the names;
  - columns without a header that are empty (trailing delimiters) leave the mapping alone; a value in
    one later is quarantined, never dropped;
  - records the parser refused are kept aside (`collect_rejects`, after the relation has been read)
    and `_row` is renumbered so a record's number is its place in the file;
  - a wide layout is unpivoted when the source says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from duckdb.sqltypes import DuckDBPyType

from connectors.csv_reader import CsvReader, csv_relation, rejects_sql
from connectors.json_reader import load_json
from connectors.mapping import lit, q
from connectors.sources import Source
from connectors.textfiles import UnreadableFile, first_line, prepare_binary, prepare_text, reader_error

__all__ = [
    "ReadResult",
    "UnreadableFile",
    "collect_rejects",
    "detect_format",
    "drop_temp",
    "first_line",
    "read_file",
]

INTERNAL = ("_row", "_file_name", "_file_modified_at")  # columns the readers add; never file headers
SAMPLE = 2048  # records sampled to tell an empty trailing column from a column without a header
_UNNAMED = re.compile(r"^(column\d+|__UNNAMED__\d+)$")  # DuckDB's / fastexcel's names for an empty header
_IMPORT_ID = re.compile(r'^\s*\{\s*"ImportId"')
_PLACEHOLDER = re.compile(r"^V\d+$")


@dataclass
class ReadResult:
    table: str  # relation with the file's columns as VARCHAR, _row and the INTERNAL columns
    columns: list[str]  # the file's headers, as used for mapping
    empty_columns: list[str] = field(default_factory=list)  # no header, empty: expected to stay empty
    notes: list[str] = field(default_factory=list)
    rejects_sql: str | None = None  # (_rec, raw_record, reason) once `table` has been read in full
    rejects_table: str | None = None  # DuckDB's rejects table behind rejects_sql (must exist)
    numbered: bool = False  # the reader numbered records itself (no renumbering around rejects)
    extra_rows: int = 0  # header records after the first row


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


def read_file(
    con: duckdb.DuckDBPyConnection, path: Path, source: Source, workdir: Path, table: str = "_landing"
) -> ReadResult:
    """Relation `table` over `path`; UnreadableFile when the file cannot be parsed at all."""
    fmt = detect_format(path, source.format)
    src = f"{table}_src"
    result = ReadResult(table, [])
    columns: list[str] | None = None
    try:
        if fmt in ("csv", "tsv"):
            prepared = prepare_text(path, source.encoding, workdir)
            rejects = f"{table}_rej"
            reader = csv_relation(con, prepared, source, fmt, rejects)
            # the one full read, parallel: DuckDB keeps the file's order, so a record's rowid is its place
            # among the records parsed (numbering in the read itself would make it single-threaded)
            con.execute(f"CREATE TEMP TABLE {src} AS SELECT * FROM {reader.sql}")
            if reader.unquoted is not None:
                reader = _quoted_or_as_sniffed(con, reader, reader.unquoted, src, rejects, prepared.notes)
            relation, columns = src, reader.names
            result.rejects_table, result.rejects_sql = rejects, rejects_sql(rejects, reader.skip)
        elif fmt in ("json", "jsonl"):
            prepared = prepare_text(path, source.encoding, workdir, native_utf16=False)
            rejects = load_json(con, prepared, source, fmt, src)
            relation, result.numbered = src, True
            result.rejects_table, result.rejects_sql = rejects, f"SELECT * FROM {rejects}"
        elif fmt == "parquet":
            prepared = prepare_binary(path, workdir)
            _load_parquet(con, prepared.path, src)
            relation, result.numbered = src, True
        elif fmt == "xlsx":
            prepared = prepare_binary(path, workdir)
            prepared.notes.append(_load_xlsx(con, prepared.path, source, src))
            relation = src
        else:
            raise UnreadableFile(f"format '{fmt}' is not supported")
        if columns is None:
            columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    except UnreadableFile:
        raise
    except (duckdb.Error, OSError, UnicodeError, ValueError) as exc:
        raise UnreadableFile(reader_error(exc, workdir, path.name)) from exc
    result.notes += [n for n in prepared.notes if n != "encoding utf-8"]
    if result.numbered:
        columns = [c for c in columns if c != "_row"]
    renames = {c: c + "_" for c in columns if c in INTERNAL}  # a header named like ours keeps its data
    if not columns:
        raise UnreadableFile("no columns: the file holds no header and no records")
    if not result.numbered:
        result.extra_rows, layout, note = _header_layout(con, relation, columns, source.header_rows)
        renames |= layout
        result.notes += [note] if note else []
    result.empty_columns = _empty_unnamed(con, relation, columns, result.extra_rows)
    if result.empty_columns:
        result.notes.append(
            f"{len(result.empty_columns)} empty column(s) without a header (trailing delimiters) left out"
        )
    names = [renames.get(c, c) for c in columns]
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    select = ", ".join(f"{q(c)} AS {q(n)}" for c, n in zip(columns, names, strict=True))
    select += f", {lit(path.name.split('.')[0])} AS _file_name, {lit(modified)} AS _file_modified_at"
    view = f"{table}_wide" if source.unpivot is not None else table
    if result.numbered:
        con.execute(f"CREATE TEMP VIEW {view} AS SELECT {select}, _row FROM {relation}")
    else:  # a temp table in the file's order: its first rowid is the first record after the header line
        # (rowids count from an offset inside a transaction)
        first = con.execute(f"SELECT min(rowid) FROM {relation}").fetchone()
        start = int(first[0]) if first and first[0] is not None else 0
        con.execute(
            f"CREATE TEMP VIEW {view} AS SELECT {select}, (rowid + 1 - {start + result.extra_rows})::BIGINT "
            f"AS _row FROM {relation} WHERE rowid >= {start + result.extra_rows}"
        )
    result.columns = [n for n, c in zip(names, columns, strict=True) if c not in result.empty_columns]
    if not result.columns:
        raise UnreadableFile("no header: the file holds no column names (only empty lines?)")
    if source.unpivot is not None:
        result.columns, note = _unpivot(con, view, table, result.columns, source)
        result.notes += [note] if note else []
    return result


def collect_rejects(con: duckdb.DuckDBPyConnection, read: ReadResult) -> tuple[str | None, int]:
    """After `read.table` has been read in full: temp table (_row, raw_record, reason) of the records the
    parser refused, and their count; `{table}_shifts` says how far later records' numbers move."""
    if not read.rejects_sql or not read.rejects_table:
        return None, 0
    try:
        refused = con.execute(f"SELECT count(*) FROM {read.rejects_table}").fetchone()
    except duckdb.CatalogException:  # the reader never refused anything
        return None, 0
    if not refused or not refused[0]:
        return None, 0
    rows = f"{read.table}_rejects_rows"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT (_rec - {read.extra_rows})::BIGINT AS _row, "
        f"raw_record, reason FROM ({read.rejects_sql}) WHERE _rec > {read.extra_rows}"
    )
    count = con.execute(f"SELECT count(*) FROM {rows}").fetchone()
    n = int(count[0]) if count else 0
    if n and not read.numbered:
        # accepted record g is file record g + (refused records before it): refused record i (in order)
        # follows m_i = r_i - i accepted records, so g moves by max{i : m_i < g}
        con.execute(f"""
CREATE OR REPLACE TEMP TABLE {read.table}_shifts AS
SELECT _m, max(_i) AS _shift FROM (
  SELECT _row - row_number() OVER (ORDER BY _row) AS _m, row_number() OVER (ORDER BY _row) AS _i FROM {rows}
) GROUP BY _m""")
    return (rows if n else None), n


def drop_temp(con: duckdb.DuckDBPyConnection, *prefixes: str) -> None:
    """Drop the temporary views and tables a read left behind (their names start with a prefix)."""
    for kind, name in con.execute(
        "SELECT 'VIEW', view_name FROM duckdb_views() "
        "WHERE temporary AND len(list_filter($1, lambda p: starts_with(view_name, p))) > 0 "
        "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() "
        "WHERE temporary AND len(list_filter($1, lambda p: starts_with(table_name, p))) > 0",
        [list(prefixes)],
    ).fetchall():
        con.execute(f"DROP {kind} IF EXISTS {q(name)}")


def _header_layout(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], header_rows: int | str
) -> tuple[int, dict[str, str], str | None]:
    """(header records after the first row, renames, note). `auto` recognises Qualtrics' layouts."""
    if header_rows != "auto":
        return int(header_rows) - 1, {}, None
    cols = ", ".join(q(c) for c in columns)
    first = con.execute(f"SELECT {cols} FROM {relation} LIMIT 2").fetchall()
    for k, record in enumerate(first):
        cells = [str(c) for c in record if c]
        if cells and 2 * sum(bool(_IMPORT_ID.match(c)) for c in cells) >= len(cells):
            return k + 1, {}, f"header_rows auto: {k + 2} header rows (names, question text, ImportId)"
    named = [c for c in columns if not _UNNAMED.match(c)]
    if first and named and 2 * sum(bool(_PLACEHOLDER.match(c)) for c in named) >= len(named):
        renames = {
            c: str(first[0][i]).strip()
            for i, c in enumerate(columns)
            if _PLACEHOLDER.match(c) and first[0][i] and str(first[0][i]).strip() not in columns
        }
        return 1, renames, "header_rows auto: 2 header rows (V1..Vn placeholders above the names)"
    return 0, {}, None


def _empty_unnamed(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], extra_rows: int
) -> list[str]:
    unnamed = [c for c in columns if _UNNAMED.match(c)]
    if not unnamed:
        return []
    counts = con.execute(
        f"SELECT {', '.join(f'count({q(c)})' for c in unnamed)} FROM "
        f"(SELECT * FROM {relation} LIMIT {SAMPLE + extra_rows} OFFSET {extra_rows})"
    ).fetchone()
    assert counts is not None
    return [c for c, n in zip(unnamed, counts, strict=True) if n == 0]


def _unpivot(
    con: duckdb.DuckDBPyConnection, wide: str, table: str, names: list[str], source: Source
) -> tuple[list[str], str | None]:
    spec = source.unpivot
    assert spec is not None
    lowered = {n.lower().strip(): n for n in names}
    missing = [c for c in (*spec.id_columns, *spec.columns) if c.lower().strip() not in lowered]
    if missing:
        raise UnreadableFile(
            f"unpivot names column(s) {missing} that the file does not have (headers: {names}); "
            f"fix unpivot in sources.yml source '{source.name}'"
        )
    if spec.columns:
        values = [lowered[c.lower().strip()] for c in spec.columns]
    elif spec.columns_pattern:
        values = [n for n in names if re.search(spec.columns_pattern, n)]
    else:
        ids = {lowered[c.lower().strip()] for c in spec.id_columns}
        values = [n for n in names if n not in ids]
    if not values:  # nothing to unpivot: the file is already long
        con.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM {wide}")
        return names, None
    kept = [n for n in names if n not in values]
    clash = [n for n in kept if n.lower() in (spec.variable_name.lower(), spec.value_name.lower())]
    if clash:
        raise UnreadableFile(
            f"unpivot would add columns named {clash}, which the file already has; "
            f"set unpivot.variable_name / value_name in sources.yml source '{source.name}'"
        )
    con.execute(
        f"CREATE TEMP TABLE {table} AS UNPIVOT {wide} ON {', '.join(q(v) for v in values)} "
        f"INTO NAME {q(spec.variable_name)} VALUE {q(spec.value_name)}"
    )
    note = f"unpivoted {len(values)} column(s) into {spec.variable_name} / {spec.value_name}"
    return [*kept, spec.variable_name, spec.value_name], note


def _quoted_or_as_sniffed(
    con: duckdb.DuckDBPyConnection,
    quoted: CsvReader,
    as_sniffed: CsvReader,
    src: str,
    rejects: str,
    notes: list[str],
) -> CsvReader:
    """A file the sniffer read without quotes, read with double quotes: kept unless a broken quote swallowed
    more than the line after it (a record refused across three lines or more), then read as sniffed."""
    swallowed = con.execute(  # the most line breaks inside one refused record
        "SELECT coalesce(max(length(rtrim(csv_line, chr(10))) - length(replace(rtrim(csv_line, chr(10)), chr(10), ''))), 0) "
        f"FROM {rejects} WHERE scan_id = (SELECT max(scan_id) FROM {rejects})"
    ).fetchone()
    if swallowed is not None and swallowed[0] <= 1:
        notes.append("a broken quote in the first records: read with double quotes (RFC 4180)")
        return quoted
    con.execute(
        f"DROP TABLE {src}; DROP TABLE {rejects}; DROP TABLE {rejects}_scan"
    )  # the quoted read's refusals too
    con.execute(f"CREATE TEMP TABLE {src} AS SELECT * FROM {as_sniffed.sql}")
    notes.append(
        "a broken quote: read without quotes, as the sniffer read it (a quoted read lost whole records)"
    )
    return as_sniffed


def _load_parquet(con: duckdb.DuckDBPyConnection, path: Path, src: str) -> None:
    con.execute(
        f"CREATE TEMP TABLE {src}_typed AS SELECT * EXCLUDE (file_row_number), "
        f"file_row_number + 1 AS _row FROM read_parquet({lit(str(path))}, file_row_number=true)"
    )
    _as_text(con, f"{src}_typed", src)


def _as_text(con: duckdb.DuckDBPyConnection, typed: str, src: str) -> None:
    """Every column as text: structs flattened to dotted names, lists and maps as JSON."""
    relation = con.table(typed)
    select = []
    for name, dtype in zip(relation.columns, relation.dtypes, strict=True):
        if name == "_row":
            continue
        select += _text_columns(q(name), name, dtype)
    con.execute(f"CREATE TEMP TABLE {src} AS SELECT {', '.join(select)}, _row FROM {typed} ORDER BY _row")
    con.execute(f"DROP TABLE {typed}")


def _text_columns(expr: str, name: str, dtype: DuckDBPyType) -> list[str]:
    if dtype.id == "struct":
        columns = []
        for child, child_type in dtype.children:
            assert isinstance(child_type, DuckDBPyType)
            columns += _text_columns(f"struct_extract({expr}, {lit(child)})", f"{name}.{child}", child_type)
        return columns
    alias = q(name + "_" if name == "_row" else name)  # "_row" is the record number
    if dtype.id in ("list", "map", "array"):
        return [f"to_json({expr})::VARCHAR AS {alias}"]
    if dtype.id in ("float", "double"):  # pandas keeps an id column with a gap as float: 12345.0 is 12345
        whole = f"{expr} = trunc({expr}) AND abs({expr}) < 1e15"
        return [f"CASE WHEN {whole} THEN {expr}::BIGINT::VARCHAR ELSE {expr}::VARCHAR END AS {alias}"]
    return [f"{expr}::VARCHAR AS {alias}"]


def _load_xlsx(con: duckdb.DuckDBPyConnection, path: Path, source: Source, src: str) -> str:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel's own error types (calamine: zip, xml, format)
        raise UnreadableFile(f"not a readable XLSX workbook: {first_line(exc)}") from exc
    sheets = list(reader.sheet_names)
    wanted = 0 if source.sheet is None else source.sheet
    if isinstance(wanted, str) and wanted not in sheets:
        raise UnreadableFile(f"no sheet named '{wanted}'; the workbook has {sheets} (sources.yml `sheet`)")
    if isinstance(wanted, int) and not 0 <= wanted < len(sheets):
        raise UnreadableFile(f"no sheet number {wanted} (0-based); the workbook has {sheets}")
    try:  # the header row read as a record: fastexcel names a date-typed header cell __UNNAMED__n
        batch = reader.load_sheet(wanted, header_row=None, dtypes="string").to_arrow()
    except Exception as exc:
        raise UnreadableFile(f"sheet {wanted!r} cannot be read: {first_line(exc)}") from exc
    name = sheets[wanted] if isinstance(wanted, int) else wanted
    if batch.num_columns == 0 or batch.num_rows == 0:
        raise UnreadableFile(f"sheet '{name}' is empty (no header row); the workbook has {sheets}")
    above = source.skip_rows or 0  # rows above the header (a report's title)
    if batch.num_rows <= above:
        raise UnreadableFile(f"sheet '{name}' has {batch.num_rows} row(s), none after skip_rows: {above}")
    headers, note = xlsx_headers(list(batch.slice(above, 1).to_pylist()[0].values()))
    arrow_table = pa.Table.from_batches([batch.slice(above + 1)]).rename_columns(headers)
    con.register(f"{src}_arrow", arrow_table)
    con.execute(f"CREATE TEMP TABLE {src} AS SELECT * FROM {src}_arrow")
    con.unregister(f"{src}_arrow")
    others = [s for s in sheets if s != name]
    notes = [f"sheet '{name}' read"] + ([note] if note else [])
    return "; ".join(notes + ([f"other sheets ignored: {others}"] if others else []))


_EXCEL_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$")  # a date cell's text (fastexcel, as string)


def xlsx_headers(cells: list[str | None]) -> tuple[list[str], str | None]:
    """Column names from a sheet's header row as text (and a note when dates were renamed). A cell left
    empty is __UNNAMED__<i>, a repeated name gets _1, _2, ... (fastexcel's own rules). A header stored as
    an Excel date (a BI tool's crosstab of periods) is named by its date, 2026-05-01; when every such
    header is the first of a month they are months, 2026-05, as a monthly crosstab's "May-26" columns
    are."""
    dates = [m.group(1) for c in cells if c is not None and (m := _EXCEL_DATE.match(c))]
    monthly = bool(dates) and all(d.endswith("-01") for d in dates)
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        text = cell or ""
        date = _EXCEL_DATE.match(text)
        if date:
            text = date.group(1)[:7] if monthly else date.group(1)
        base = text or f"__UNNAMED__{i}"
        name = base
        while name in seen:  # kpi, kpi_1, kpi_2, ...
            seen[base] += 1
            name = f"{base}_{seen[base]}"
        seen.setdefault(name, 0)
        names.append(name)
    if not dates:
        return names, None
    shown = "months (2026-05)" if monthly else "days (2026-05-01)"
    return names, f"{len(dates)} header(s) stored as Excel dates read as {shown}"
