"""CSV / TSV: DuckDB's CSV reader, with the records it cannot parse kept aside.

`csv_relation` spells out the `read_csv(...)` call; connectors/readers reads it once, in full, into a
temp table (parallel, in the file's order). The dialect is sniffed once (`sniff_csv`, unless a
delimiter is configured) and spelled out; every column is text.
`store_rejects` keeps malformed records (cut short, too many fields, invalid UTF-8, longer than the
line limit) with their raw line; `rejects_sql` turns them into quarantine reasons naming the column
and what was expected.
"""

from __future__ import annotations

import csv

import duckdb

from connectors.mapping import lit
from connectors.sources import Source
from connectors.textfiles import Prepared

MAX_LINE_SIZE = 8 << 20  # a record may hold an 8 MB field (a long e-mail body); a longer one is rejected

_EXPECTED = "regexp_extract(error_message, 'Expected Number of Columns: (\\d+)', 1)"
_FOUND = "regexp_extract(error_message, 'Found: (\\d+)', 1)"
_REASON = f"""CASE error_type
  WHEN 'MISSING COLUMNS' THEN 'column ''' || coalesce(column_name, '?') || ''''
    || CASE WHEN n_missing > 1 THEN ' and the ' || (n_missing - 1) || ' after it' ELSE '' END
    || ' missing: expected ' || {_EXPECTED} || ' columns as in the header, found '
    || (try_cast({_EXPECTED} AS INT) - n_missing) || ' (the record is cut short)'
  WHEN 'TOO MANY COLUMNS' THEN 'column ' || (try_cast({_EXPECTED} AS INT) + 1) || ' has no header: expected '
    || {_EXPECTED} || ' columns as in the header, found ' || {_FOUND}
    || ' (an unquoted delimiter inside a value?)'
  WHEN 'INVALID ENCODING' THEN 'column ''' || coalesce(column_name, '?') || ''': expected UTF-8 text, found '
    || 'invalid bytes (set encoding: in sources.yml if the file is not UTF-8)'
  WHEN 'UNQUOTED VALUE' THEN 'column ''' || coalesce(column_name, '?') || ''': expected a quoted value, found '
    || 'a quote inside an unquoted value'
  WHEN 'LINE SIZE OVER MAXIMUM' THEN 'expected a record under {MAX_LINE_SIZE >> 20} MB, found a longer one'
  ELSE coalesce('column ''' || column_name || ''': ', '') || error_message
END"""


def _option(value: object) -> str:
    return "" if value in (None, "(empty)") else str(value)


def csv_relation(
    con: duckdb.DuckDBPyConnection, prepared: Prepared, source: Source, fmt: str, rejects: str
) -> tuple[str, int, list[str]]:
    """(a `read_csv(...)` call with the sniffed dialect spelled out, rows skipped above the header,
    column names). Malformed records go to temp table `rejects` each time the relation is read."""
    path = lit(str(prepared.path))
    common = [f"encoding={lit(prepared.encoding)}", f"max_line_size={MAX_LINE_SIZE}"]
    delimiter = source.delimiter or ("\t" if fmt == "tsv" else None)
    skip_rows = source.skip_rows
    hint = _separator_hint(prepared)
    if hint is not None and skip_rows is None:  # Excel's "sep=;" line above the header
        skip_rows, delimiter = 1, delimiter or hint
        prepared.notes.append(f"first line 'sep={hint}' (Excel's delimiter hint) skipped")
    if delimiter:
        common.append(f"delim={lit(delimiter)}")
    if skip_rows is not None:
        common.append(f"skip={int(skip_rows)}")
    sniffed = con.execute(
        "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, Columns "
        f"FROM sniff_csv({path}, all_varchar=true, header=true, ignore_errors=true, {', '.join(common)})"
    ).fetchone()
    assert sniffed is not None
    delim, quote, escape, new_line, comment, sniffed_skip, columns = sniffed
    skip = int(sniffed_skip if skip_rows is None else skip_rows)
    names = [str(c["name"]) for c in columns]
    if _option(quote) == "" and _option(delim) not in ("", '"') and _head_has_quotes(prepared):
        # the sniffer turns quoting off when one quote in its sample is broken: every record would then be
        # read with its quotes as text ("a, b" split in two). RFC 4180's quoting reads every well-quoted
        # record and refuses only the broken one (with the line after it, kept in the quarantine)
        quote = escape = '"'
        names = _header_names(prepared, _option(delim), skip) or names
        prepared.notes.append("a broken quote in the first records: read with double quotes (RFC 4180)")
    options = [
        "auto_detect=false",
        "header=true",
        f"delim={lit(_option(delim))}",
        f"quote={lit(_option(quote))}",
        f"escape={lit(_option(escape))}",
        f"new_line={lit(_option(new_line))}",
        f"comment={lit(_option(comment))}",
        f"skip={skip}",
        "columns={" + ", ".join(f"{lit(n)}: 'VARCHAR'" for n in names) + "}",
        "store_rejects=true",
        f"rejects_table={lit(rejects)}",
        f"rejects_scan={lit(rejects + '_scan')}",
        *common[:2],
    ]
    return f"read_csv({path}, {', '.join(options)})", skip, names


def _head(prepared: Prepared) -> str:
    """The file's first 64 KB as text."""
    with prepared.path.open("rb") as handle:
        head = handle.read(1 << 16)
    return head.decode("utf-16" if prepared.encoding == "utf-16" else "utf-8-sig", errors="ignore")


def _head_has_quotes(prepared: Prepared) -> bool:
    return '"' in _head(prepared)


def _header_names(prepared: Prepared, delim: str, skip: int) -> list[str] | None:
    """The header's names as DuckDB names them (an empty one is column<i>, a repeat <name>_1), read with
    double quotes; None when the file's start cannot be read so."""
    lines = _head(prepared).splitlines(keepends=True)[skip:]
    try:
        header = next(csv.reader(lines, delimiter=delim, quotechar='"', doublequote=True, strict=True))
    except (csv.Error, StopIteration):
        return None
    names: list[str] = []
    for i, name in enumerate(header):
        name = name.strip() or f"column{i}"
        base, n = name, 0
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


def _separator_hint(prepared: Prepared) -> str | None:
    """The delimiter of a first line 'sep=;' (Excel writes it, and reads it, as a hint), if there is one."""
    with prepared.path.open("rb") as handle:
        head = handle.read(64)
    codec = "utf-16" if prepared.encoding == "utf-16" else "utf-8-sig"
    first = head.decode(codec, errors="ignore").split("\n", 1)[0].rstrip("\r").strip('"')  # keeps sep=<tab>
    return first[4] if len(first) == 5 and first.lower().startswith("sep=") else None


def rejects_sql(rejects: str, skip: int) -> str:
    """(_rec = record number after the header line, raw_record, reason), one row per refused record.
    DuckDB reports one error per missing column of a short record: they become one reason."""
    return f"""
WITH errors AS (
  SELECT *, count(*) FILTER (WHERE error_type = 'MISSING COLUMNS') OVER (PARTITION BY line) AS n_missing,
    row_number() OVER (PARTITION BY line, error_type ORDER BY column_idx) AS k
  FROM {rejects} WHERE scan_id = (SELECT max(scan_id) FROM {rejects})
)
SELECT line - 1 - {skip} AS _rec, first(csv_line) AS raw_record,
  'record could not be parsed: ' || string_agg(DISTINCT {_REASON}, '; ') AS reason
FROM errors WHERE error_type <> 'MISSING COLUMNS' OR k = 1 GROUP BY line"""
