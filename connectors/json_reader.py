"""JSON and JSON Lines into a DuckDB temp table of text columns, one row per record, nested objects flattened.

A file is one JSON document (an array of records, one record, or with `json_path` a page holding the
array, e.g. Zendesk's {"tickets": [...], "next_page": ..., "end_of_stream": ...}) or JSON Lines (one
document per line; with `json_path`, one page per line). Nested objects become dotted columns
(`via.channel`, `satisfaction_rating.score`); arrays stay as JSON text (`custom_fields`, `tags`).
Every key of every record is kept: the schema is the union over all records (json_group_structure),
not a sample. In JSON Lines a line that is not valid JSON is one rejected record; a single document
that is not valid JSON cannot be split into records and makes the file unreadable.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from connectors.mapping import lit, q
from connectors.sources import Source
from connectors.textfiles import Prepared, UnreadableFile, first_line

Structure = dict[str, Any] | str


def _json_path(path: str | None) -> str:
    if not path:
        return "$"
    return "$" + "".join('."' + key.replace('"', '\\"') + '"' for key in path.split(".") if key)


def _to_text(structure: Any) -> Structure:
    """json_group_structure -> the target of json_transform: objects kept, arrays and scalars as text."""
    if isinstance(structure, dict) and structure:
        return {key: _to_text(value) for key, value in structure.items()}
    if isinstance(structure, (list, dict)):
        return "JSON"
    return "VARCHAR"


def _objects_where_mixed(
    con: duckdb.DuckDBPyConnection,
    records: str,
    structure: dict[str, Any],
    keys: list[str],
    mixed: list[list[str]],
) -> dict[str, Any]:
    """The records' structure with a key that holds an object in some records and a plain value in others
    (json_group_structure gives it as JSON) read as the objects' structure, so their fields become dotted
    columns (one odd record, "requester": "anonymous", left every record without requester.email); such
    keys are listed in `mixed`, whose plain values load under the key's own name."""
    out: dict[str, Any] = {}
    for key, sub in structure.items():
        path = [*keys, key]
        if isinstance(sub, dict):
            out[key] = _objects_where_mixed(con, records, sub, path, mixed)
            continue
        if sub == "JSON":
            at = lit(_json_path(".".join(path)))
            row = con.execute(
                f"SELECT json_group_structure(json_extract(_rec_text, {at})) FROM {records} "
                f"WHERE _ok AND json_type(_rec_text, {at}) = 'OBJECT'"
            ).fetchone()
            objects = json.loads(row[0]) if row and row[0] else None
            if isinstance(objects, dict) and objects:
                mixed.append(path)
                out[key] = _objects_where_mixed(con, records, objects, path, mixed)
                continue
        out[key] = sub
    return out


def _flatten(structure: Structure, expr: str, prefix: str) -> list[tuple[str, str]]:
    if isinstance(structure, dict):
        columns: list[tuple[str, str]] = []
        for key, sub in structure.items():
            columns += _flatten(sub, f"struct_extract({expr}, {lit(key)})", f"{prefix}{key}.")
        return columns
    name = prefix[:-1]
    return [(f"{expr}::VARCHAR", name + "_" if name == "_row" else name)]  # "_row" is the record number


def load_json(con: duckdb.DuckDBPyConnection, prepared: Prepared, source: Source, fmt: str, src: str) -> str:
    """Creates temp table `src` (text columns and `_row`) and `src`_rejects (_rec, raw_record, reason)."""
    docs, records = f"{src}_docs", f"{src}_records"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {docs} AS SELECT ltrim(content, chr(65279)) AS content "
        f"FROM read_text({lit(str(prepared.path))})"
    )
    row = con.execute(f"SELECT json_valid(content), left(ltrim(content), 1) FROM {docs}").fetchone()
    assert row is not None
    whole_valid, first_char = bool(row[0]), str(row[1] or "")
    if fmt == "jsonl" or (not whole_valid and first_char == "{"):
        # JSON Lines: one document per non-blank line, numbered in order
        con.execute(f"""
CREATE OR REPLACE TEMP TABLE {docs} AS
SELECT row_number() OVER (ORDER BY _line) AS _doc, _text FROM (
  SELECT generate_subscripts(lines, 1) AS _line, unnest(lines) AS _text
  FROM (SELECT string_split(content, chr(10)) AS lines FROM {docs})
) WHERE trim(_text, ' ' || chr(9) || chr(13)) <> ''""")
        mode = "lines"
        valid = con.execute(
            f"SELECT count(*) FILTER (WHERE json_valid(_text)), count(*) FROM {docs}"
        ).fetchone()
        assert valid is not None
        if valid[1] and not valid[0]:
            raise UnreadableFile("not valid JSON or JSON Lines: no line holds a JSON document")
    elif whole_valid:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {docs} AS SELECT 1::BIGINT AS _doc, content AS _text FROM {docs}"
        )
        mode = "document"
    else:
        try:
            con.execute(f"SELECT json(content) FROM {docs}").fetchall()
        except duckdb.Error as exc:
            raise UnreadableFile(f"not valid JSON: {first_line(exc)}") from exc
        raise UnreadableFile("not valid JSON")
    path = _json_path(source.json_path)
    # records: with json_path, the array at that path in each document; without, a top-level array's
    # elements, or the document itself
    if source.json_path:
        selector = f"CASE WHEN json_type(_text, {lit(path)}) = 'ARRAY' THEN json_extract(_text, {lit(path + '[*]')}) END"
    else:
        selector = (
            "CASE WHEN json_type(_text) = 'ARRAY' THEN json_extract(_text, '$[*]') ELSE [_text::JSON] END"
        )
    con.execute(f"""
CREATE OR REPLACE TEMP TABLE {records} AS
WITH parsed AS (
  SELECT _doc, _text, json_valid(_text) AS _valid FROM {docs}
), listed AS (
  SELECT _doc, _text, _valid, CASE WHEN _valid THEN {selector} END AS _list FROM parsed
), flat AS (
  SELECT _doc, 0 AS _idx, _text AS _rec_text, _valid, _list IS NOT NULL AS _found FROM listed
    WHERE NOT _valid OR _list IS NULL
  UNION ALL
  SELECT _doc, generate_subscripts(_list, 1) AS _idx, unnest(_list)::VARCHAR, true, true FROM listed
    WHERE _valid AND _list IS NOT NULL
)
SELECT row_number() OVER (ORDER BY _doc, _idx) AS _row, _rec_text, _valid, _found,
  CASE WHEN _found THEN json_type(_rec_text) = 'OBJECT' ELSE false END AS _ok
FROM flat""")
    total = con.execute(f"SELECT count(*), coalesce(bool_or(_found), false) FROM {records}").fetchone()
    assert total is not None
    if source.json_path and total[0] and not total[1]:
        keys = con.execute(f"SELECT json_keys(_text) FROM {docs} WHERE json_valid(_text) LIMIT 1").fetchone()
        raise UnreadableFile(
            f"json_path '{source.json_path}' names no array in the file (top-level keys: "
            f"{keys[0] if keys else []}); fix json_path in sources.yml"
        )
    if mode == "document" and total[0] == 0 and not source.json_path:
        raise UnreadableFile("the JSON document holds no records (an empty array)")
    con.execute(f"""
CREATE OR REPLACE TEMP TABLE {src}_rejects AS
SELECT _row AS _rec, _rec_text AS raw_record,
  CASE WHEN NOT _valid THEN 'record could not be parsed: expected a valid JSON document on its line, found broken JSON'
       WHEN NOT _found THEN 'record could not be parsed: expected an array at json_path {source.json_path}'
       ELSE 'record could not be parsed: expected a JSON object, found ' || json_type(_rec_text) END AS reason
FROM {records} WHERE NOT _ok""")
    structure_row = con.execute(
        f"SELECT json_group_structure(_rec_text::JSON) FROM {records} WHERE _ok"
    ).fetchone()
    grouped = json.loads(structure_row[0]) if structure_row and structure_row[0] else {}
    mixed: list[list[str]] = []
    if isinstance(grouped, dict):
        grouped = _objects_where_mixed(con, records, grouped, [], mixed)
    structure = _to_text(grouped)
    if not isinstance(structure, dict) or not structure:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {src} AS SELECT _row FROM {records} WHERE _ok")
    else:
        columns = _flatten(structure, "_r", "")
        for mixed_keys in mixed:  # the plain values beside the objects, under the key's own name
            at = lit(_json_path(".".join(mixed_keys)))
            columns.append(
                (
                    f"CASE WHEN json_type(_rec_text, {at}) NOT IN ('OBJECT', 'NULL') "
                    f"THEN json_extract_string(_rec_text, {at}) END",
                    ".".join(mixed_keys),
                )
            )
        select = ", ".join(f"{expr} AS {q(name)}" for expr, name in columns)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {src} AS SELECT {select}, _row FROM "
            f"(SELECT _row, _rec_text, json_transform(_rec_text, {lit(json.dumps(structure))}) AS _r FROM {records} "
            f"WHERE _ok) ORDER BY _row"
        )
    con.execute(f"DROP TABLE {docs}")
    con.execute(f"DROP TABLE {records}")
    return f"{src}_rejects"
