"""Compile a source's mapping into one SQL pass: typed contract columns plus a reason per bad row.

For every contract column the compiled query carries the text as read and the typed value; a row's
`_reason` lists each broken expectation as "column 'x' (header 'H'): expected ..., got '...'", so the
quarantine names file, row, column and expectation.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.contracts import CONTRACTS, SCALES, Column
from connectors.sources import Source


class MappingError(ValueError):
    """The file does not fit the mapping (e.g. a required column is missing)."""


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
    if isinstance(spec, dict) and "sql" in spec:
        return CompiledColumn(column, f"({spec['sql']})::VARCHAR", f"sql {spec['sql']!r}", None)
    candidates = [spec] if isinstance(spec, str) else list(spec)
    lowered = {h.lower().strip(): h for h in headers}
    for candidate in candidates:
        header = candidate if candidate in headers else lowered.get(str(candidate).lower().strip())
        if header is not None:
            return CompiledColumn(column, q(header), f"header '{header}'", header)
    return None


def _text(expr: str, value_map: dict[str, object] | None) -> str:
    text = f"nullif(trim({expr}), '')"
    if not value_map:
        return text
    cases = " ".join(f"WHEN {lit(str(k).lower())} THEN {lit(v)}" for k, v in value_map.items())
    return f"(CASE lower({text}) {cases} ELSE {text} END)"


def _typed(column: Column, text: str, source: Source) -> str:
    if column.type == "VARCHAR":
        return text
    if column.type == "DOUBLE":
        return f"try_cast({text} AS DOUBLE)"
    if column.type == "BIGINT":
        return f"coalesce(try_cast({text} AS BIGINT), try_cast(try_cast({text} AS DOUBLE) AS BIGINT))"
    if column.type == "DATE":
        formats = "[" + ", ".join(lit(f) for f in source.date_formats) + "]"
        return f"coalesce(try_strptime({text}, {formats})::DATE, try_cast({text} AS DATE))"
    if column.type == "TIMESTAMP":
        formats = "[" + ", ".join(lit(f) for f in source.timestamp_formats) + "]"
        local = f"try_strptime({text}, {formats})"
        if source.timezone != "UTC":
            local = f"timezone('UTC', timezone({lit(source.timezone)}, {local}))"
        zoned = f"timezone('UTC', try_cast({text} AS TIMESTAMPTZ))"
        return f"(CASE WHEN regexp_matches({text}, '(Z|[+-]\\d\\d:?\\d\\d)$') THEN {zoned} ELSE {local} END)"
    raise ValueError(f"unsupported contract type {column.type}")


def _expected(column: Column, source: Source) -> str:
    if column.type == "TIMESTAMP":
        return f"a timestamp like {', '.join(source.timestamp_formats[:3])} ({source.timezone})"
    if column.type == "DATE":
        return f"a date like {', '.join(source.date_formats[:3])}"
    return {"DOUBLE": "a number", "BIGINT": "a whole number"}.get(column.type, column.type)


def compile_select(source: Source, headers: list[str], table: str) -> tuple[str, list[CompiledColumn]]:
    """SQL selecting the contract columns, `_row`, `_extra` and `_reason` from the landed table."""
    contract = CONTRACTS[source.kind]
    compiled: list[CompiledColumn] = []
    missing: list[str] = []
    for column in contract.columns:
        resolved = _resolve(source, column, headers)
        if resolved is None:
            if column.required:
                spec = source.mapping.get(column.name)
                missing.append(
                    f"required column '{column.name}' not found: the file has none of "
                    f"{spec if spec is not None else '(no mapping)'}; fix sources.yml source "
                    f"'{source.name}' mapping.{column.name} (file headers: {headers})"
                )
                continue
            resolved = CompiledColumn(column, "NULL", "not mapped", None)
        compiled.append(resolved)
    if missing:
        raise MappingError("; ".join(missing))

    text_cols, typed_cols, reasons = [], [], []
    for c in compiled:
        name = c.column.name
        text = _text(c.text_sql, source.value_maps.get(name))
        text_cols.append(f"{text} AS {q('t__' + name)}")
        typed = _typed(c.column, q("t__" + name), source)
        typed_cols.append(f"{typed} AS {q(name)}")
        where = f"column '{name}' ({c.origin})"
        t, v = q("t__" + name), q(name)
        if c.column.required:
            reasons.append(f"CASE WHEN {t} IS NULL THEN {lit(where + ': required value is missing')} END")
        if c.column.type != "VARCHAR":
            reasons.append(
                f"CASE WHEN {t} IS NOT NULL AND {v} IS NULL THEN "
                f"{lit(where + ': expected ' + _expected(c.column, source) + ', got ')} "
                f"|| '''' || left({t}, 80) || '''' END"
            )
        if c.column.type in ("TIMESTAMP", "DATE") and name not in ("period_end",):
            reasons.append(
                f"CASE WHEN {v} > now()::TIMESTAMP + INTERVAL 1 DAY THEN "
                f"{lit(where + ': ')} || {v}::VARCHAR || ' is in the future' END"
            )
    if source.kind == "survey_responses":
        bounds = " ".join(
            f'WHEN {lit(s)} THEN {lo} <= "score" AND "score" <= {hi}' for s, (lo, hi) in SCALES.items()
        )
        reasons.append(
            f'CASE WHEN "scale" IS NOT NULL AND "scale" NOT IN ({", ".join(lit(s) for s in SCALES)})'
            f" THEN 'column ''scale'': expected one of {', '.join(SCALES)}, got ''' || \"scale\" || ''''"
            f' WHEN "score" IS NOT NULL AND NOT (CASE "scale" {bounds} ELSE true END) THEN '
            f"'column ''score'': ' || \"score\"::VARCHAR || ' is outside the ' || \"scale\" || ' scale' END"
        )
    if contract.record_id:
        rid = q(contract.record_id)
        reasons.append(
            f"CASE WHEN {rid} IS NOT NULL AND row_number() OVER (PARTITION BY {rid} ORDER BY _row) > 1 THEN "
            f"'column ''{contract.record_id}'': duplicate value ''' || {rid} || ''' within the file (first at row '"
            f" || min(_row) OVER (PARTITION BY {rid}) || ')' END"
        )

    used = {c.header for c in compiled if c.header}
    extra_headers = [h for h in headers if h not in used and not h.startswith("_")]
    if source.extra_columns == "keep" and extra_headers:
        extra = "to_json(struct_pack(" + ", ".join(f"{q(h)} := {q(h)}" for h in extra_headers) + "))::VARCHAR"
    else:
        extra = "NULL::VARCHAR"
    names = ", ".join(q(c.column.name) for c in compiled)
    raw_record = "to_json(struct_pack(" + ", ".join(f"{q(h)} := {q(h)}" for h in headers) + "))::VARCHAR"
    sql = f"""
WITH texts AS (
  SELECT _row, {", ".join(text_cols)}, {extra} AS _extra, {raw_record} AS _raw_record FROM {table}
), typed AS (
  SELECT *, {", ".join(typed_cols)} FROM texts
)
SELECT {names}, _row, _extra, _raw_record,
  nullif(array_to_string(list_filter([{", ".join(reasons)}], lambda x: x IS NOT NULL), '; '), '') AS _reason
FROM typed"""
    return sql, compiled
