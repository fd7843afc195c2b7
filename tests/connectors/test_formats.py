"""The same three tickets in every format, compression and encoding the connectors read: each lands the
same rows. Files are written here from one table; XLSX comes from the committed corpus workbook."""

from __future__ import annotations

import codecs
import gzip
import json
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from connectors.ingest import ingest_sources
from connectors.sources import load_sources

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "bad_inputs"
HEADER = ["id", "created", "status", "email"]
TICKETS = [
    ["1", "2026-05-01 09:00:00", "open", "ana@example.com"],
    ["2", "2026-05-01 10:30:00", "solved", "ben@example.com"],
    ["3", "2026-05-02 08:15:00", "pending", "chen@example.com"],
]
EXPECTED = [
    ("1", datetime(2026, 5, 1, 9, 0), "open", "ana@example.com", 1),
    ("2", datetime(2026, 5, 1, 10, 30), "solved", "ben@example.com", 2),
    ("3", datetime(2026, 5, 2, 8, 15), "pending", "chen@example.com", 3),
]
SOURCE = """sources:
  - name: tickets
    kind: complaints
    path: "tickets*"
    mapping: {complaint_id: id, created_at: created, status: status, customer_email: email}
"""


def _csv(delimiter: str = ",") -> bytes:
    return "".join(delimiter.join(r) + "\r\n" for r in [HEADER, *TICKETS]).encode()


def _records() -> list[dict[str, object]]:
    return [{**dict(zip(HEADER, r, strict=True)), "id": int(r[0])} for r in TICKETS]


def _parquet(path: Path) -> None:
    con = duckdb.connect()
    values = ", ".join(f"({r[0]}, '{r[1]}', '{r[2]}', '{r[3]}')" for r in TICKETS)
    con.execute(
        f"COPY (SELECT id, created, status, email FROM (VALUES {values}) t(id, created, status, email)) "
        f"TO '{path}' (FORMAT parquet)"
    )
    con.close()


WRITERS: dict[str, Callable[[Path], None]] = {
    "tickets.csv": lambda p: p.write_bytes(_csv()),
    "tickets.tsv": lambda p: p.write_bytes(_csv("\t")),
    "tickets.txt": lambda p: p.write_bytes(_csv("|")),  # pipe-delimited, sniffed
    "tickets.json": lambda p: p.write_text(json.dumps(_records(), indent=1)),
    "tickets.jsonl": lambda p: p.write_text("\n".join(json.dumps(r) for r in _records()) + "\n"),
    "tickets.ndjson": lambda p: p.write_text("\n".join(json.dumps(r) for r in _records())),
    "tickets.parquet": _parquet,
    "tickets.xlsx": lambda p: shutil.copy(CORPUS / "xlsx_second_sheet.xlsx", p),
}


def _land(tmp_path: Path, name: str, compress: bool) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    plain = landing / name
    WRITERS[name](plain)
    if compress:
        with gzip.open(landing / (name + ".gz"), "wb") as handle:
            handle.write(plain.read_bytes())
        plain.unlink()
    return landing


def _ingest(tmp_path: Path, landing: Path, yaml: str = SOURCE) -> tuple[list, list[tuple]]:
    (tmp_path / "sources.yml").write_text(yaml)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    results = ingest_sources(con, load_sources(tmp_path / "sources.yml"), landing)
    got = con.execute(
        "SELECT complaint_id, created_at, status, customer_email, _row FROM raw.complaints ORDER BY _row"
    ).fetchall()
    con.close()
    return results, got


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("name", list(WRITERS))
def test_every_format_plain_or_gzipped_lands_the_same_rows(name: str, compress: bool, tmp_path: Path) -> None:
    results, got = _ingest(tmp_path, _land(tmp_path, name, compress))
    assert [(r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) for r in results] == [
        ("loaded", 3, 3, 0)
    ]
    assert got == EXPECTED
    assert ("gzip decompressed" in results[0].notes) == compress


ENCODINGS = {  # name: (bytes of the file, encoding configured or None, note the manifest carries)
    "utf-8": (_csv().replace(b"ana@", "anaïs@".encode()), None, None),
    "utf-8 with BOM": (codecs.BOM_UTF8 + _csv().replace(b"ana@", "anaïs@".encode()), None, "byte-order mark"),
    "utf-16 LE with BOM": (
        _csv().decode().replace("ana@", "anaïs@").encode("utf-16"),
        None,
        "utf-16-le (byte-order mark)",
    ),
    "utf-16 BE with BOM": (
        codecs.BOM_UTF16_BE + _csv().decode().replace("ana@", "anaïs@").encode("utf-16-be"),
        None,
        "utf-16-be (byte-order mark)",
    ),
    "utf-16 LE without BOM": (
        _csv().decode().replace("ana@", "anaïs@").encode("utf-16-le"),
        None,
        "utf-16-le (detected: NUL bytes",
    ),
    "cp1252 detected": (_csv().decode().replace("ana@", "anaïs@").encode("cp1252"), None, "cp1252 (detected"),
    "latin-1 configured": (
        _csv().decode().replace("ana@", "anaïs@").encode("latin-1"),
        "latin-1",
        "iso8859-1 (configured)",
    ),
    "utf-16 configured": (
        _csv().decode().replace("ana@", "anaïs@").encode("utf-16"),
        "utf-16",
        "utf-16 (configured)",
    ),
    # a vendor whose exports moved from cp1252 to UTF-8 or UTF-16 under the same path: the BOM says so
    "utf-8 with BOM, cp1252 configured": (
        codecs.BOM_UTF8 + _csv().replace(b"ana@", "anaïs@".encode()),
        "cp1252",
        "utf-8 (byte-order mark; the configured cp1252 is for files without one)",
    ),
    "utf-16 with BOM, cp1252 configured": (
        _csv().decode().replace("ana@", "anaïs@").encode("utf-16"),
        "cp1252",
        "(byte-order mark; the configured cp1252 is for files without one)",
    ),
}


def test_a_cp1252_file_holding_a_utf8_pair_by_accident_is_read_as_cp1252(tmp_path: Path) -> None:
    """In cp1252, É then ’ (C9 92) is also a valid UTF-8 pair: such a file was taken for damaged UTF-8, its
    accented records quarantined and the pair loaded as 'ɒ'. Mostly invalid bytes make it cp1252; a UTF-8
    file with a stray byte among its accents stays UTF-8 (its damaged record quarantined)."""
    landing = tmp_path / "landing"
    landing.mkdir()
    text = _csv().decode().replace("ana@", "CAFÉ’s.anaïs@").replace("ben@", "benoît@")
    (landing / "tickets.csv").write_bytes(text.encode("cp1252"))
    results, got = _ingest(tmp_path, landing, SOURCE)
    assert [(r.status, r.rows_loaded) for r in results] == [("loaded", 3)], results
    assert [row[3] for row in got] == ["CAFÉ’s.anaïs@example.com", "benoît@example.com", "chen@example.com"]
    assert any("cp1252 (detected" in n for n in results[0].notes), results[0].notes


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_encodings_are_detected_or_configured(name: str, tmp_path: Path) -> None:
    data, configured, note = ENCODINGS[name]
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "tickets.csv").write_bytes(data)
    yaml = SOURCE + (f"    encoding: {configured}\n" if configured else "")
    results, got = _ingest(tmp_path, landing, yaml)
    assert [(r.status, r.rows_loaded, r.rows_quarantined) for r in results] == [("loaded", 3, 0)], results
    assert got == [("1", EXPECTED[0][1], "open", "anaïs@example.com", 1), *EXPECTED[1:]]
    if note:
        assert any(note in n for n in results[0].notes), results[0].notes


def test_json_nested_objects_are_flattened_and_every_key_is_kept(tmp_path: Path) -> None:
    """Keys that appear only in late records are not lost to schema sampling."""
    landing = tmp_path / "landing"
    landing.mkdir()
    records = [
        {"id": i, "created": "2026-05-01 09:00:00", "status": "open", "via": {"channel": "web"}}
        for i in range(30000)
    ]
    records.append(
        {"id": 30000, "created": "2026-05-01 09:00:00", "status": "open", "late_key": {"x": [1, 2]}}
    )
    (landing / "tickets.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    yaml = SOURCE.replace("customer_email: email", "channel: via.channel")
    (tmp_path / "sources.yml").write_text(yaml)
    con = duckdb.connect()
    [result] = ingest_sources(con, load_sources(tmp_path / "sources.yml"), landing)
    assert (result.rows_read, result.rows_loaded) == (30001, 30001)
    assert con.execute(
        "SELECT channel, _extra FROM raw.complaints WHERE complaint_id = '30000'"
    ).fetchall() == [(None, '{"late_key.x":"[1,2]"}')]
    assert con.execute("SELECT count(*) FROM raw.complaints WHERE channel = 'web'").fetchall() == [(30000,)]


def test_parquet_nested_columns_are_flattened(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 7 AS id, TIMESTAMP '2026-05-01 09:00:00' AS created, 'open' AS status, "
        f"{{'channel': 'email', 'source': {{'address': 'x@example.com'}}}} AS via, [1, 2] AS tags) "
        f"TO '{landing / 'tickets.parquet'}' (FORMAT parquet)"
    )
    yaml = SOURCE.replace("customer_email: email", "customer_email: via.source.address, channel: via.channel")
    (tmp_path / "sources.yml").write_text(yaml)
    [result] = ingest_sources(con, load_sources(tmp_path / "sources.yml"), landing)
    assert result.rows_loaded == 1
    assert con.execute(
        "SELECT created_at, channel, customer_email, _extra FROM raw.complaints"
    ).fetchall() == [(datetime(2026, 5, 1, 9, 0), "email", "x@example.com", '{"tags":"[1,2]"}')]


def test_json_records_wrapped_in_an_object_fail_with_the_json_path_to_set(tmp_path: Path) -> None:
    """{"tickets": [...], "count": 2} failed with "required column not found" and its headers, and nothing
    said where the records were: the message names the list to give as json_path; set, the file loads."""
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "tickets.json").write_text(json.dumps({"tickets": _records(), "count": len(TICKETS)}))
    [result], _ = _ingest(tmp_path, landing, SOURCE)
    assert result.status == "failed"
    assert result.error is not None and result.error.endswith(
        "The file's records may sit in the list under 'tickets': set json_path: tickets for sources.yml source "
        "'tickets'"
    ), result.error
    results, got = _ingest(tmp_path, landing, SOURCE + "    json_path: tickets\n")
    assert [(r.status, r.rows_loaded) for r in results] == [("loaded", 3)], results
