"""CSV / TSV: DuckDB's CSV reader, with the records it cannot parse kept aside.

`csv_relation` spells out the `read_csv(...)` call; connectors/readers reads it once, in full, into a
temp table (parallel, in the file's order). The dialect is sniffed once (`sniff_csv`, unless a
delimiter is configured) and spelled out; every column is text.
`store_rejects` keeps malformed records (cut short, too many fields, invalid UTF-8, longer than the
line limit) with their raw line; `rejects_sql` turns them into quarantine reasons naming the column
and what was expected.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors.mapping import lit
from connectors.sources import Source
from connectors.textfiles import Prepared

MAX_LINE_SIZE = 8 << 20  # a record may hold an 8 MB field (a long e-mail body); a longer one is rejected
# the longest record the dialect sniffer reads past (see _sniff); a longer one fails the file
SNIFF_LINE_LIMIT = 256 << 20

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
  WHEN 'LINE SIZE OVER MAXIMUM' THEN 'expected a record under {MAX_LINE_SIZE >> 20} MB, found one of '
    || coalesce(nullif(regexp_extract(error_message, 'Actual Size:\\s*(\\d+)', 1), ''), 'more') || ' bytes '
    || '(raw_record holds its start; the whole record is in the landed file)'
  ELSE coalesce('column ''' || column_name || ''': ', '') || error_message
END"""


def _option(value: object) -> str:
    return "" if value in (None, "(empty)") else str(value)


@dataclass
class CsvReader:
    """A `read_csv(...)` call with the dialect spelled out. `unquoted`: the same file read as the sniffer
    read it, without quotes, when `sql` quotes what the sniffer would not (see csv_relation)."""

    sql: str
    skip: int  # rows skipped above the header
    names: list[str]
    unquoted: CsvReader | None = None


def csv_relation(
    con: duckdb.DuckDBPyConnection, prepared: Prepared, source: Source, fmt: str, rejects: str
) -> CsvReader:
    """The file's reader, the dialect sniffed once (unless a delimiter is configured). Malformed records
    go to temp table `rejects` each time the relation is read."""
    path = lit(str(prepared.path))
    common = [f"encoding={lit(prepared.encoding)}", f"max_line_size={MAX_LINE_SIZE}"]
    delimiter = source.delimiter or ("\t" if fmt == "tsv" else None)
    skip_rows = source.skip_rows
    head = _head(prepared)  # the file's start, read once: the delimiter hint, quotes, the header
    hint = _separator_hint(head)
    if hint is not None and skip_rows is None:  # Excel's "sep=;" line above the header
        skip_rows, delimiter = 1, delimiter or hint
        prepared.notes.append(f"first line 'sep={hint}' (Excel's delimiter hint) skipped")
    if delimiter:
        common.append(f"delim={lit(delimiter)}")
    if skip_rows is not None:
        common.append(f"skip={int(skip_rows)}")
    delim, quote, escape, new_line, comment, sniffed_skip, columns = _sniff(con, path, common)
    skip = int(sniffed_skip if skip_rows is None else skip_rows)
    names = [str(c["name"]) for c in columns]

    def reader(quote: object, escape: object, names: list[str]) -> str:
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
        return f"read_csv({path}, {', '.join(options)})"

    as_sniffed = CsvReader(reader(quote, escape, names), skip, names)
    if _option(quote) == "" and _option(delim) not in ("", '"') and '"' in head:
        # the sniffer turns quoting off when one quote in its sample is broken: every record would then be
        # read with its quotes as text ("a, b" split in two, quotes kept in values). RFC 4180's quoting reads
        # every well-quoted record and refuses the broken one; readers.read_file goes back to the sniffer's
        # reading when the broken quote swallows more than the next line
        quoted_names = _header_names(con, head, _option(delim), skip) or names
        return CsvReader(reader('"', '"', quoted_names), skip, quoted_names, unquoted=as_sniffed)
    return as_sniffed


def _sniff(con: duckdb.DuckDBPyConnection, path: str, common: list[str]) -> tuple:
    """sniff_csv's dialect of the file at `path` (a SQL literal). A record over MAX_LINE_SIZE among the
    records it samples fails the sniffer whole (ignore_errors does not cover it): it sniffs again, allowing
    that record's length (up to SNIFF_LINE_LIMIT), and the read itself, held to MAX_LINE_SIZE, refuses the
    record alone (quarantined, the others load). It sniffs on a cursor of its own: a failed statement would
    abort the transaction the file is loaded in."""
    limit = MAX_LINE_SIZE
    with con.cursor() as sniffer:
        while True:
            options = [o for o in common if not o.startswith("max_line_size=")] + [f"max_line_size={limit}"]
            try:
                sniffed = sniffer.execute(
                    "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, Columns FROM "
                    f"sniff_csv({path}, all_varchar=true, header=true, ignore_errors=true, {', '.join(options)})"
                ).fetchone()
            except duckdb.InvalidInputException as exc:
                longer = re.search(
                    r"Maximum line size of \d+ bytes exceeded\. Actual Size:\s*(\d+)", str(exc)
                )
                if longer is None or not limit < int(longer.group(1)) + 2 <= SNIFF_LINE_LIMIT:
                    raise
                limit = int(longer.group(1)) + 2  # the size DuckDB reports leaves out the line break
                continue
            assert sniffed is not None
            return sniffed


def _head(prepared: Prepared) -> str:
    """The file's first 64 KB as text."""
    with prepared.path.open("rb") as handle:
        head = handle.read(1 << 16)
    return head.decode("utf-16" if prepared.encoding == "utf-16" else "utf-8-sig", errors="ignore")


def _header_names(con: duckdb.DuckDBPyConnection, head: str, delim: str, skip: int) -> list[str] | None:
    """The header's names read with double quotes, as DuckDB names them (an empty one column<i>, a repeat
    <name>_1, in any case): DuckDB sniffs the header line alone. None when it cannot."""
    lines = head.splitlines(keepends=True)[skip:]
    if not lines:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", delete=False) as handle:
        handle.write(lines[0].rstrip("\r\n") + "\n")
    header = Path(handle.name)
    try:
        found = con.execute(
            f"SELECT Columns FROM sniff_csv({lit(str(header))}, all_varchar=true, header=true, "
            f"delim={lit(delim)}, quote='\"', escape='\"', max_line_size={MAX_LINE_SIZE})"
        ).fetchone()
    except duckdb.Error:
        return None
    finally:
        header.unlink(missing_ok=True)
    return [str(c["name"]) for c in found[0]] if found else None


def _separator_hint(head: str) -> str | None:
    """The delimiter of a first line 'sep=;' (Excel writes it, and reads it, as a hint), if there is one."""
    first = head.split("\n", 1)[0].rstrip("\r").strip('"')  # keeps sep=<tab>
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
