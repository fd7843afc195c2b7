"""Compile a source's mapping into one SQL pass: typed contract columns plus a reason per bad row.

For every contract column the compiled query carries the text as read and the typed value; a row's
`_reason` lists each broken expectation as "column 'x' (header 'H'): expected ..., got '...'", so the
quarantine names file, row, column and expectation. The raw record (JSON of the file's columns) is
only built for rows that have a reason.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from phonenumbers import SUPPORTED_REGIONS

from connectors.contracts import CONTRACTS, SCALES, Column
from connectors.sources import Source


class MappingError(ValueError):
    """The file does not fit the mapping (e.g. a required column is missing)."""


EARLIEST_DATE = "1900-01-01"  # dates and times before it are taken for misread years, not history
PSEUDO_COLUMNS = ("_file_name", "_file_modified_at")  # usable in {sql: ...} mappings
_QUOTED = re.compile(r'"((?:[^"]|"")+)"')


def q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def lit(value: object) -> str:
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class CompiledColumn:
    column: Column
    text_sql: str  # the value as text, after value maps
    origin: str  # what the mapping used, for messages
    header: str | None  # the file header used directly, if any


@dataclass
class CompiledSelect:
    sql: str  # selects the contract columns, _row, _extra, _raw_record (bad rows only), _reason
    columns: list[CompiledColumn]
    extra_headers: list[str]  # the file's columns the mapping does not use
    raw_record_sql: str  # JSON text of a landed record (all its columns)
    warnings: list[str]  # optional columns sources.yml maps to something the file lacks (left empty)


def _missing_in_sql(sql: str, headers: list[str]) -> list[str]:
    known = {h.lower() for h in headers} | set(PSEUDO_COLUMNS)
    names = [m.replace('""', '"') for m in _QUOTED.findall(sql)]
    return [n for n in names if n.lower() not in known]


def _sql_headers(sql: str, headers: list[str]) -> set[str]:
    """The file's headers an SQL expression names, quoted ("Created at") or bare (vru_entry)."""
    quoted = {m.replace('""', '"').lower() for m in _QUOTED.findall(sql)}
    unquoted = _QUOTED.sub(" ", re.sub(r"'[^']*'", " ", sql))  # without literals and quoted names
    bare = {w.lower() for w in re.findall(r"\b([A-Za-z_]\w*)\b(?!\s*\()", unquoted)}  # not functions
    return {h for h in headers if h.lower() in quoted or h.lower() in bare}


def _resolve(source: Source, column: Column, headers: list[str]) -> CompiledColumn | None:
    name = column.name
    if name in source.constants:
        return CompiledColumn(
            column, lit(source.constants[name]), f"constant {source.constants[name]!r}", None
        )
    spec = source.mapping.get(name)
    if spec is None:
        return None
    if isinstance(spec, dict) and "const" in spec:
        return CompiledColumn(column, lit(spec["const"]), f"constant {spec['const']!r}", None)
    candidates: list[Any] = [spec] if isinstance(spec, (str, dict)) else list(spec)
    lowered = {h.lower().strip(): h for h in headers}
    for candidate in candidates:
        if isinstance(candidate, dict):
            sql = str(candidate["sql"])
            if not _missing_in_sql(sql, headers):
                # a long expression (a preset's period parsing) is named by the headers it reads, so a
                # quarantine reason stays readable
                shown = repr(sql) if len(sql) <= 80 else f"of {sorted(_sql_headers(sql, headers))}"
                return CompiledColumn(column, f"({sql})::VARCHAR", f"sql {shown}", None)
            continue
        header = candidate if candidate in headers else lowered.get(str(candidate).lower().strip())
        if header is not None:
            return CompiledColumn(column, q(header), f"header '{header}'", header)
    return None


def _unmatched(source: Source, column: Column, headers: list[str]) -> str:
    """What in the file the column's mapping does not find."""
    spec = source.mapping.get(column.name)
    if isinstance(spec, dict) and "sql" in spec:
        return f"its {{sql: ...}} names column(s) {_missing_in_sql(str(spec['sql']), headers)} that the file lacks"
    if spec is None:
        return "sources.yml maps nothing to it"
    if isinstance(spec, str):
        close = difflib.get_close_matches(spec, headers, n=1)
        return f"the file has no column '{spec}'" + (f" (did you mean '{close[0]}'?)" if close else "")
    tried = [
        c if isinstance(c, str) else f"{{sql: ...}} of column(s) {_missing_in_sql(str(c['sql']), headers)}"
        for c in spec
    ]
    close = [m for c in spec if isinstance(c, str) for m in difflib.get_close_matches(c, headers, n=1)]
    return f"the file has none of {tried}" + (f" (did you mean '{close[0]}'?)" if close else "")


def _missing_message(source: Source, column: Column, headers: list[str]) -> str:
    return (
        f"required column '{column.name}' not found: {_unmatched(source, column, headers)}; fix sources.yml "
        f"source '{source.name}' mapping.{column.name}"
    )


def _unmatched_warning(source: Source, column: Column, headers: list[str]) -> str:
    """The note for an optional column whose mapping in sources.yml matches nothing in the file."""
    return (
        f"warning: column '{column.name}' left empty: {_unmatched(source, column, headers)}; fix sources.yml "
        f"source '{source.name}' mapping.{column.name}"
    )


def _headers_hint(source: Source, headers: list[str]) -> str:
    hint = f" (file headers: {headers})"
    if len(headers) == 1:
        found = [d for d in (",", ";", "\t", "|") if d in headers[0]]
        if found:
            hint += (
                f". The file reads as one column whose header holds {found[0]!r}: is the delimiter "
                f"{found[0]!r}? (sources.yml delimiter: {source.delimiter!r})"
            )
    return hint


def _trimmed(expr: str) -> str:
    """`expr` without the spaces around it (DuckDB's trim: the space and Unicode's other spaces, no tab),
    NULL if empty. Most cells are ASCII (as many bytes as characters) with no space at either end: they
    skip the trim, which decodes every character and was the mapping's largest cost (half of it for SF
    10's ticket updates). Only a file's own column takes the test: a `sql:` mapping's expression is
    trimmed as before, not written out three times."""
    if not re.fullmatch(r'"(?:[^"]|"")+"', expr):
        return f"nullif(trim({expr}), '')"
    return (
        f"CASE WHEN strlen({expr}) = length({expr}) AND NOT ({expr} LIKE ' %' OR {expr} LIKE '% ') "
        f"THEN nullif({expr}, '') ELSE nullif(trim({expr}), '') END"
    )


def _text(expr: str, value_map: dict[str, object] | None) -> str:
    text = _trimmed(expr)
    if not value_map:
        return text
    cases = " ".join(f"WHEN {lit(str(k).lower())} THEN {lit(v)}" for k, v in value_map.items())
    return f"(CASE lower({text}) {cases} ELSE {text} END)"


_TIME = ":\\d\\d(\\.\\d+)?"  # the end of a time of day: its minutes or seconds
_OFFSET = (
    "(?i)" + _TIME + "\\s*((UTC|GMT)\\s*)?(Z|[+-]\\d\\d(:?\\d\\d)?)$"
)  # Z, +02:00, +0200, +00, GMT+01:00
_ZONE_NAME = "(?i)" + _TIME + "\\s+(UTC|GMT|[A-Za-z]+(/[A-Za-z0-9_+-]+)+)$"  # UTC, Europe/Paris
_ZONE_ABBREVIATION = _TIME + "\\s+[A-Z]{2,5}$"  # CET, BST, EST (AM and PM aside)
_HALF_DAY = "\\s[AaPp][Mm]$"
_DAY_OR_MONTH_FIRST = (
    "^\\s*\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2,4}(\\s|$)"  # 06/01/2026, 6.1.26: which is the month?
)
# a time in Z (UTC) as ISO writes it (RFC 3339 allows a lower-case z)
_ZULU_FORMATS = tuple(f"%Y-%m-%d{t}%H:%M:%S{f}{z}" for z in "Zz" for t in "T " for f in ("", ".%f"))
# what DuckDB's own cast may read when no format does: ISO dates and times only (it ignores what follows
# a time, e.g. ' PM' or ' Uhr', and would read 10:00 PM as 10:00)
_ISO = "^\\s*\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?\\s*$"


_SPACES = " \u00a0\u202f"  # a space as a digit group separator: also the no-break spaces of French exports
# text a number's writing may explain: digits with signs, marks, spaces, a percent sign (regex, unquoted)
_NUMBER_LIKE = r"^[+-]?[0-9.,'" + _SPACES + r"]*[0-9][0-9.,'" + _SPACES + r"]*\s*%?$"


def _number_text(text: str, source: Source) -> str:
    """`text` as DuckDB casts a number ('.' before the decimals, no digit groups), from the way the source
    writes numbers (sources.yml `decimal`, `thousands`). Digit groups are only read where they are whole
    (1,234,567: groups of three): 1,23 is no number. What the options do not explain is left as it is, so
    a typed XLSX cell (4.5) still reads in a source that writes 4,5 (but a typed 1.234 reads as 1234 where
    `thousands: '.'`). Except dot-separated groups of three (1.234, 1.234.567) where the decimal is ',' and
    no thousands mark is set: in such an export that is 1234 as often as 1.234, so it is no number (the row
    is quarantined with the hint to set `thousands`)."""
    if source.decimal == "." and source.thousands is None:
        return text
    if source.decimal == "," and source.thousands is None:
        ambiguous = r"^[+-]?\d{1,3}(\.\d{3})+$"
        text = f"CASE WHEN NOT regexp_matches({text}, {lit(ambiguous)}) THEN {text} END"
    group = (
        ("[" + _SPACES + "]" if source.thousands == " " else re.escape(source.thousands))
        if source.thousands
        else ""
    )
    whole = rf"(\d{{1,3}}({group}\d{{3}})+|\d*)" if group else r"\d*"
    pattern = rf"^[+-]?{whole}({re.escape(source.decimal)}\d+)?$"
    read = f"regexp_replace({text}, {lit(group)}, '', 'g')" if group else text
    if source.decimal != ".":
        read = f"replace({read}, {lit(source.decimal)}, '.')"
    return f"CASE WHEN regexp_matches({text}, {lit(pattern)}) THEN {read} ELSE {text} END"


def _list(formats: Sequence[str]) -> str:
    """A SQL list of format strings."""
    return "[" + ", ".join(lit(f) for f in formats) + "]"


def _typed(column: Column, text: str, source: Source) -> str:
    if column.type == "VARCHAR":
        return text
    if column.type == "DOUBLE" and source.kind == "dashboard_kpis" and column.name == "value":
        # a trailing % is the number a dashboard shows: 4.5% is 4.5 (its unit %); elsewhere it is no number
        # (coalesce reads its second argument only where the first is NULL)
        shown = f"CASE WHEN right({text}, 1) = '%' THEN rtrim(substr({text}, 1, length({text}) - 1)) END"
        return (
            f"coalesce(try_cast({_number_text(text, source)} AS DOUBLE), "
            f"try_cast({_number_text(shown, source)} AS DOUBLE))"
        )
    if column.type == "DOUBLE":
        return f"try_cast({_number_text(text, source)} AS DOUBLE)"
    if column.type == "BIGINT":  # 12.0 is 12; 1.234 (a thousands separator?) is no whole number
        # (DuckDB's own cast rounds text: '1.234' -> 1)
        number = _number_text(text, source)
        return (
            f"CASE WHEN strpos({number}, '.') = 0 THEN try_cast({number} AS BIGINT) "
            f"WHEN try_cast({number} AS DOUBLE) = trunc(try_cast({number} AS DOUBLE)) THEN try_cast({number} AS BIGINT) END"
        )
    if column.type == "DATE":
        return f"coalesce(try_strptime({text}, {_list(source.date_formats)})::DATE, try_cast({text} AS DATE))"
    if column.type == "TIMESTAMP":
        # what the source's formats read is local time, unless the value ends in Z (a format may spell the Z
        # out); a file's own typed timestamps (Parquet, XLSX cells) arrive as ISO text, whatever the formats say.
        # A format with %z reads the offset itself: an instant, apart from the local ones (DuckDB would read
        # every format of a list holding one as UTC)
        local = [f for f in source.timestamp_formats if "%z" not in f.lower()]
        offset = [f for f in source.timestamp_formats if "%z" in f.lower()]
        formatted = (
            f"CASE WHEN right({text}, 1) NOT IN ('Z', 'z') THEN try_strptime({text}, {_list(local)}) END"
            if local
            else "CAST(NULL AS TIMESTAMP)"
        )
        iso = f"CASE WHEN regexp_matches({text}, '{_ISO}') THEN try_cast({text} AS TIMESTAMP) END"
        if source.timezone != "UTC":
            formatted = f"timezone('UTC', timezone({lit(source.timezone)}, {formatted}))"
            iso = f"timezone('UTC', timezone({lit(source.timezone)}, {iso}))"
        if offset:
            formatted = f"coalesce(timezone('UTC', try_strptime({text}, {_list(offset)})), {formatted})"
        # after a time of day, an offset (Z, +02:00, +0200, or +00: DuckDB's text of a TIMESTAMPTZ; a space
        # before it is dropped) or a zone name (UTC, GMT, Europe/Paris) states the instant; a zone
        # abbreviation (CET, BST: British or Bangladesh?) is ambiguous and reads as nothing (quarantined)
        unspaced = f"regexp_replace({text}, '\\s+([+-]\\d\\d(:?\\d\\d)?|Z)$', '\\1')"
        # an ISO time in Z (UTC) reads by one strptime, apart from the general offset's regexes
        zulu = (
            f"CASE WHEN right({text}, 1) IN ('Z', 'z') THEN try_strptime({text}, {_list(_ZULU_FORMATS)}) END"
        )
        # (coalesce reads its second argument only where the first is NULL: most values take one strptime)
        return (
            f"coalesce({zulu}, {formatted}, CASE WHEN regexp_matches({text}, '{_OFFSET}') "
            f"THEN timezone('UTC', try_cast({unspaced} AS TIMESTAMPTZ)) "
            f"WHEN regexp_matches({text}, '{_ZONE_NAME}') THEN timezone('UTC', try_cast({text} AS TIMESTAMPTZ)) "
            f"WHEN regexp_matches({text}, '{_ZONE_ABBREVIATION}') AND NOT regexp_matches({text}, '{_HALF_DAY}') "
            f"THEN NULL ELSE {iso} END)"
        )
    raise ValueError(f"unsupported contract type {column.type}")


def _expected(column: Column, source: Source) -> str:
    if column.type == "TIMESTAMP":
        return f"a timestamp like {', '.join(source.timestamp_formats[:3])} ({source.timezone})"
    if column.type == "DATE":
        return f"a date like {', '.join(source.date_formats[:3])}"
    return {"DOUBLE": "a number", "BIGINT": "a whole number"}.get(column.type, column.type)


def _checks(c: CompiledColumn, source: Source) -> list[str]:
    """SQL expressions, each NULL or the reason one expectation on this column is broken."""
    name = c.column.name
    where = f"column '{name}' ({c.origin})"
    t, v = q("t__" + name), q("v__" + name)
    reasons = []
    if c.column.required:
        reasons.append(f"CASE WHEN {t} IS NULL THEN {lit(where + ': required value is missing')} END")
    if c.column.type != "VARCHAR":
        hint = "''"
        if c.column.type in ("TIMESTAMP", "DATE"):
            option = "timestamp_formats" if c.column.type == "TIMESTAMP" else "date_formats"
            day_or_month = (
                f" (day or month first? set {option} of sources.yml source '{source.name}' to the order it "
                "writes, e.g. '%d/%m/%Y' or '%m/%d/%Y')"
            )
            hint = (
                f"CASE WHEN regexp_matches({t}, '{_DAY_OR_MONTH_FIRST}') THEN {lit(day_or_month)} ELSE '' END"
            )
        if c.column.type == "TIMESTAMP":
            hint = (
                f"CASE WHEN regexp_matches({t}, '{_ZONE_ABBREVIATION}') AND NOT regexp_matches({t}, "
                f"'{_HALF_DAY}') THEN ' (a zone abbreviation is ambiguous: write an offset, +01:00, or a zone "
                f"name, Europe/London)' ELSE {hint} END"
            )
        elif c.column.type in ("DOUBLE", "BIGINT"):
            groups = f"thousands: '{source.thousands}'" if source.thousands else "no thousands"
            says = f"sources.yml source '{source.name}' has decimal: '{source.decimal}' and {groups}"
            hint = f"CASE WHEN regexp_matches({t}, {lit(_NUMBER_LIKE)}) THEN {lit(f' (a decimal comma or digit groups? {says})')} ELSE '' END"
            if c.column.type == "BIGINT":
                whole = f" (not whole: a thousands separator? {says})"
                hint = f"CASE WHEN try_cast({_number_text(t, source)} AS DOUBLE) IS NOT NULL THEN {lit(whole)} ELSE {hint} END"
        reasons.append(
            f"CASE WHEN {t} IS NOT NULL AND {v} IS NULL THEN "
            f"{lit(where + ': expected ' + _expected(c.column, source) + ', got ')} "
            f"|| '''' || left({t}, 80) || '''' || {hint} END"
        )
    if c.column.type in ("TIMESTAMP", "DATE"):
        # strptime's %Y takes '26' as the year 26: a two-digit year read by a four-digit format
        # (not the value read: a misread birth date would be published beside its masked text)
        too_early = f" (a year before {EARLIEST_DATE[:4]}: a two-digit year? %Y takes four digits, %y two)"
        expected = f": expected a date from {EARLIEST_DATE[:4]}, got "
        reasons.append(
            f"CASE WHEN {v} < DATE '{EARLIEST_DATE}' THEN {lit(where + expected)} "
            f"|| '''' || left({t}, 80) || '''' || {lit(too_early)} END"
        )
    if c.column.type in ("TIMESTAMP", "DATE") and name != "period_end":
        reasons.append(
            f"CASE WHEN {v} > now()::TIMESTAMP + INTERVAL 1 DAY THEN "
            f"{lit(where + ': expected a time up to now, got ')} || '''' || left({t}, 80) || ''' (in the future)' END"
        )
    if name == "customer_phone_region":  # the country phonenumbers reads a national number in
        regions = ", ".join(lit(r) for r in sorted(SUPPORTED_REGIONS))
        reasons.append(
            f"CASE WHEN nullif(trim({v}), '') IS NOT NULL AND upper(trim({v})) NOT IN ({regions}) THEN "
            f"{lit(where + ': expected a two-letter country code (ISO 3166: US, DE, GB), got ')} "
            f"|| '''' || left({v}, 80) || '''' END"
        )
    if c.column.non_negative:
        reasons.append(
            f"CASE WHEN {v} < 0 THEN {lit(where + ': expected a count or duration from 0, got ')} "
            f"|| '''' || left({t}, 80) || '''' END"
        )
    if c.column.allowed:
        allowed = ", ".join(lit(a) for a in c.column.allowed)
        reasons.append(
            f"CASE WHEN {v} NOT IN ({allowed}) THEN "
            f"{lit(where + ': expected one of ' + ', '.join(c.column.allowed) + ', got ')} "
            f"|| '''' || left({v}, 80) || '''' END"
        )
    return reasons


def compile_select(
    source: Source, headers: list[str], table: str, empty_columns: tuple[str, ...] | list[str] = ()
) -> CompiledSelect:
    """SQL selecting the contract columns, `_row`, `_extra`, `_raw_record` and `_reason` from `table`.
    `empty_columns` (no header, empty in the sample) stay out of `_extra`; a value in one is a reason."""
    contract = CONTRACTS[source.kind]
    compiled: list[CompiledColumn] = []
    missing: list[str] = []
    warnings: list[str] = []
    for column in contract.columns:
        resolved = _resolve(source, column, headers)
        if resolved is None:
            if column.required:
                missing.append(_missing_message(source, column, headers))
                continue
            if column.name in source.mapped_here and source.mapping.get(column.name) is not None:
                # a preset maps what some exports carry; a mapping written for this source names a header
                warnings.append(_unmatched_warning(source, column, headers))
            resolved = CompiledColumn(column, "NULL", "not mapped", None)
        compiled.append(resolved)
    if missing:
        raise MappingError("; ".join(missing) + _headers_hint(source, headers))

    text_cols, typed_cols, reasons = [], [], []
    for c in compiled:
        name = c.column.name
        text_cols.append(f"{_text(c.text_sql, source.value_maps.get(name))} AS {q('t__' + name)}")
        typed_cols.append(f"{_typed(c.column, q('t__' + name), source)} AS {q('v__' + name)}")
        reasons += _checks(c, source)
    by_name = {c.column.name: c for c in compiled}
    if source.kind == "survey_responses":
        score = q("v__score")
        scale = q("v__scale")
        where = f"column 'score' ({by_name['score'].origin})"
        bounds = " ".join(
            f"WHEN {lit(s)} THEN {lo} <= {score} AND {score} <= {hi}" for s, (lo, hi) in SCALES.items()
        )
        ranges = " ".join(f"WHEN {lit(s)} THEN '{lo:g} to {hi:g}'" for s, (lo, hi) in SCALES.items())
        reasons.append(
            f"CASE WHEN {scale} IS NOT NULL AND {scale} NOT IN ({', '.join(lit(s) for s in SCALES)})"
            f" THEN 'column ''scale'': expected one of {', '.join(SCALES)}, got ''' || {scale} || ''''"
            f" WHEN {score} IS NOT NULL AND NOT (CASE {scale} {bounds} ELSE true END) THEN "
            f"{lit(where + ': ')} || {score}::VARCHAR || ' is outside the ' || {scale} || ' scale (expected '"
            f" || (CASE {scale} {ranges} END) || ')' END"
        )
    for name in empty_columns:  # no header and empty so far: a value here would otherwise be lost
        reasons.append(
            f"CASE WHEN {q(name)} IS NOT NULL THEN {lit(f'column {name!r} has no header: expected it empty, got ')}"
            f" || '''' || left({q(name)}, 80) || '''' END"
        )

    used = {c.header for c in compiled if c.header}
    for c in compiled:  # columns an {sql: ...} mapping reads are used too
        if c.origin.startswith("sql "):
            used |= _sql_headers(c.text_sql, headers)
    extra_headers = [h for h in headers if h not in used]
    if source.extra_columns == "keep" and extra_headers:
        extra = "to_json(struct_pack(" + ", ".join(f"{q(h)} := {q(h)}" for h in extra_headers) + "))::VARCHAR"
    else:
        extra = "NULL::VARCHAR"
    names = ", ".join(f"{q('v__' + c.column.name)} AS {q(c.column.name)}" for c in compiled)
    raw_columns = [*headers, *empty_columns]
    raw_record = "to_json(struct_pack(" + ", ".join(f"{q(h)} := {q(h)}" for h in raw_columns) + "))::VARCHAR"
    sql = f"""
WITH texts AS (
  SELECT *, {", ".join(text_cols)} FROM {table}
), typed AS (
  SELECT *, {", ".join(typed_cols)} FROM texts
), checked AS (
  SELECT *,
    nullif(concat_ws('; ', {", ".join(reasons) or "NULL"}), '') AS _reason
  FROM typed
)
SELECT {names}, _row, {extra} AS _extra,
  CASE WHEN _reason IS NOT NULL THEN {raw_record} END AS _raw_record, _reason
FROM checked"""
    return CompiledSelect(sql, compiled, extra_headers, raw_record, warnings)


def duplicates_update(source: Source, compiled: CompiledSelect, mapped: str) -> str | None:
    """UPDATE giving every repeat of a record id within the file (after its first row) a reason."""
    rid = CONTRACTS[source.kind].record_id
    origin = next((c.origin for c in compiled.columns if c.column.name == rid), None)
    if rid is None or origin is None:
        return None
    where = f"column {rid!r} ({origin}): expected a value unique within the file, got "
    return f"""
UPDATE {mapped} SET _reason = concat_ws('; ', _reason, {lit(where)} || '''' || _dups._id
  || ''' again (duplicate value, first at row ' || _dups._first || ')')
FROM (SELECT {q(rid)} AS _id, min(_row) AS _first FROM {mapped} WHERE {q(rid)} IS NOT NULL
      GROUP BY ALL HAVING count(*) > 1) _dups
WHERE {mapped}.{q(rid)} = _dups._id AND {mapped}._row > _dups._first"""
