"""The bad-input corpus (tests/fixtures/bad_inputs, built by its make_fixtures.py): one table of cases,
each a fixture file, the source YAML that reads it, and the exact outcome — status, rows read / loaded /
quarantined, every quarantine reason (column and expectation) or the error — plus the accounting rule
rows_read = rows_loaded + rows_quarantined, checked against raw.* and ops.quarantine too."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from connectors import csv_reader
from connectors.ingest import ingest_sources
from connectors.sources import load_sources

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "bad_inputs"

TICKETS = """kind: complaints
mapping: {complaint_id: id, created_at: created, status: status, customer_email: email, subject: subject}"""
SURVEYS = """kind: survey_responses
mapping: {response_id: id, submitted_at: submitted, score: score}
constants: {survey: Post-ticket CSAT, scale: csat_5}"""
BROKEN_QUOTE_REASON = "record could not be parsed: column 'subject': expected a quoted value, found a quote inside an unquoted value"
TS = "expected a timestamp like %Y-%m-%d %H:%M:%S, %Y-%m-%dT%H:%M:%S, %Y-%m-%dT%H:%M:%SZ (UTC)"


@dataclass
class Case:
    name: str
    path: str  # glob under the corpus folder
    yaml: str  # the source's keys besides name and path
    outcomes: list[tuple[str, str, int, int, int]]  # (file, status, rows_read, rows_loaded, rows_quarantined)
    reasons: list[tuple[int, str]] = field(default_factory=list)  # (row, reason) in ops.quarantine
    error: str | None = None  # the start of the error, after the file name, for a failed file
    error_also: str | None = None  # a later part of that error
    check: tuple[str, object] | None = None  # (SQL returning one value, expected value)
    notes: str | None = None  # a note the manifest must carry


CASES = [
    Case(
        "truncated file: the last record is cut short",
        "truncated.csv",
        TICKETS,
        [("truncated.csv", "loaded", 4, 3, 1)],
        [
            (
                4,
                "record could not be parsed: column 'status' and the 1 after it missing: expected 4 columns "
                "as in the header, found 2 (the record is cut short)",
            )
        ],
    ),
    Case(
        "wrong delimiter configured: the file reads as one column",
        "wrong_delimiter.csv",
        TICKETS + "\ndelimiter: ','",
        [("wrong_delimiter.csv", "failed", 0, 0, 0)],
        error="required column 'complaint_id' not found: the file has no column 'id'; fix sources.yml source "
        "'case' mapping.complaint_id;",
        error_also="(file headers: ['id;created;status;email']). The file reads as one column whose header "
        "holds ';': is the delimiter ';'? (sources.yml delimiter: ',')",
    ),
    Case(
        "semicolons with no delimiter configured are sniffed",
        "semicolon_sniffed.csv",
        TICKETS,
        [("semicolon_sniffed.csv", "loaded", 3, 3, 0)],
        check=("SELECT string_agg(status, ',' ORDER BY _row) FROM raw.complaints", "open,solved,pending"),
    ),
    Case("header only", "header_only.csv", TICKETS, [("header_only.csv", "loaded", 0, 0, 0)]),
    Case(
        "empty file (0 bytes)",
        "empty.csv",
        TICKETS,
        [("empty.csv", "failed", 0, 0, 0)],
        error="the file is empty (0 bytes)",
    ),
    Case(
        "missing required column names the column and the mapping key",
        "missing_required_column.csv",
        TICKETS,
        [("missing_required_column.csv", "failed", 0, 0, 0)],
        error="required column 'created_at' not found: the file has no column 'created'; fix sources.yml "
        "source 'case' mapping.created_at (file headers: ['id', 'status', 'email'])",
    ),
    Case(
        "unparseable date",
        "unparseable_dates.csv",
        TICKETS,
        [("unparseable_dates.csv", "loaded", 2, 1, 1)],
        [(2, f"column 'created_at' (header 'created'): {TS}, got 'yesterday'")],
    ),
    Case(
        "mixed date formats: the configured ones parse, the unknown one is quarantined",
        "mixed_date_formats.csv",
        TICKETS + "\ntimestamp_formats: ['%Y-%m-%d %H:%M:%S', '%d/%m/%Y %H:%M']",
        [("mixed_date_formats.csv", "loaded", 3, 2, 1)],
        [
            (
                3,
                "column 'created_at' (header 'created'): expected a timestamp like %Y-%m-%d %H:%M:%S, "
                "%d/%m/%Y %H:%M (UTC), got 'May 3 2026 8:15AM'",
            )
        ],
        check=("SELECT strftime(max(created_at), '%Y-%m-%d %H:%M') FROM raw.complaints", "2026-05-02 10:30"),
    ),
    Case(
        "future date",
        "future_dates.csv",
        TICKETS,
        [("future_dates.csv", "loaded", 2, 1, 1)],
        [
            (
                2,
                "column 'created_at' (header 'created'): expected a time up to now, got '2999-01-01 00:00:00' (in the future)",
            )
        ],
    ),
    Case(
        "required value missing",
        "missing_id.csv",
        TICKETS,
        [("missing_id.csv", "loaded", 2, 1, 1)],
        [(2, "column 'complaint_id' (header 'id'): required value is missing")],
    ),
    Case(
        "non-numeric score",
        "score_not_numeric.csv",
        SURVEYS,
        [("score_not_numeric.csv", "loaded", 2, 1, 1)],
        [(2, "column 'score' (header 'score'): expected a number, got 'five'")],
    ),
    Case(
        "score out of its scale",
        "score_out_of_scale.csv",
        SURVEYS,
        [("score_out_of_scale.csv", "loaded", 2, 1, 1)],
        [(2, "column 'score' (header 'score'): 7.0 is outside the csat_5 scale (expected 1 to 5)")],
    ),
    Case(
        "duplicate id within a file: the repeat is quarantined",
        "duplicate_ids.csv",
        TICKETS,
        [("duplicate_ids.csv", "loaded", 4, 3, 1)],
        [
            (
                4,
                "column 'complaint_id' (header 'id'): expected a value unique within the file, got '2' again "
                "(duplicate value, first at row 2)",
            )
        ],
    ),
    Case(
        "duplicate id across files: both load (a later export re-sends a changed ticket; staging keeps the newest)",
        "duplicate_across_*.csv",
        TICKETS,
        [("duplicate_across_a.csv", "loaded", 2, 2, 0), ("duplicate_across_b.csv", "loaded", 2, 2, 0)],
        check=(
            "SELECT string_agg(status, ',' ORDER BY _file) FROM raw.complaints WHERE complaint_id = '2'",
            "solved,closed",
        ),
    ),
    Case(
        "invalid UTF-8 bytes in a UTF-8 file: that record is quarantined",
        "invalid_utf8.csv",
        TICKETS,
        [("invalid_utf8.csv", "loaded", 3, 2, 1)],
        [
            (
                2,
                "record could not be parsed: column 'status': expected UTF-8 text, found invalid bytes (set "
                "encoding: in sources.yml if the file is not UTF-8)",
            )
        ],
        check=(
            "SELECT string_agg(_row || ':' || status, ',' ORDER BY _row) FROM raw.complaints",
            "1:résolu,3:open",
        ),
        notes="encoding utf-8 with invalid bytes",
    ),
    Case(
        "cp1252 (Windows) export is detected and decoded",
        "cp1252.csv",
        TICKETS,
        [("cp1252.csv", "loaded", 2, 2, 0)],
        check=(
            "SELECT string_agg(status || ' ' || customer_email, ',' ORDER BY _row) FROM raw.complaints",
            "résolu zoë@example.com,€ refund ben@example.com",
        ),
        notes="encoding cp1252 (detected",
    ),
    Case(
        "embedded newlines and doubled quotes in quoted fields",
        "embedded_newlines.csv",
        TICKETS,
        [("embedded_newlines.csv", "loaded", 3, 3, 0)],
        check=("SELECT subject FROM raw.complaints WHERE _row = 2", 'say "hi",\nthen bye'),
    ),
    Case(
        "one broken quote: the other records keep their quoting, the broken one is refused with the next line",
        "broken_quote.csv",
        TICKETS,
        [("broken_quote.csv", "loaded", 3, 2, 1)],
        [(3, BROKEN_QUOTE_REASON)],
        check=("SELECT string_agg(subject, '|' ORDER BY _row) FROM raw.complaints", 'a, b|say "hi"'),
        notes="a broken quote in the first records: read with double quotes",
    ),
    Case(
        "a broken quote a quoted read would let swallow the rest of the file: read without quotes",
        "broken_quote_swallows.tsv",
        TICKETS.replace("customer_email: email, ", ""),
        [("broken_quote_swallows.tsv", "loaded", 30, 30, 0)],
        check=("SELECT subject FROM raw.complaints WHERE _row = 1", '"unclosed'),
        notes="a broken quote: read without quotes, as the sniffer read it",
    ),
    Case(
        "quoted headers beside a broken quote: named as DuckDB names them",
        "broken_quote_quoted_headers.csv",
        "kind: complaints\nmapping: {complaint_id: id, created_at: created, status: status, subject: 'Sub, ject'}",
        [("broken_quote_quoted_headers.csv", "loaded", 2, 1, 1)],
        [
            (
                2,
                "record could not be parsed: column 'Sub, ject': expected a quoted value, found a quote inside an unquoted value",
            )
        ],
        check=("SELECT subject FROM raw.complaints", "a, b"),
        notes="a broken quote in the first records: read with double quotes",
    ),
    Case(
        "a 1 MB field (gzip-compressed file)",
        "huge_field.csv.gz",
        TICKETS,
        [("huge_field.csv.gz", "loaded", 2, 2, 0)],
        check=("SELECT length(subject) FROM raw.complaints WHERE complaint_id = '1'", 1_000_000),
    ),
    Case(
        "UTF-8 byte-order mark before the first header",
        "bom.csv",
        TICKETS,
        [("bom.csv", "loaded", 3, 3, 0)],
        check=("SELECT string_agg(complaint_id, ',' ORDER BY _row) FROM raw.complaints", "1,2,3"),
    ),
    Case(
        "UTF-16 with BOM, tab-separated (Excel 'Unicode text')",
        "utf16.tsv",
        TICKETS,
        [("utf16.tsv", "loaded", 3, 3, 0)],
        check=("SELECT customer_email FROM raw.complaints WHERE complaint_id = '1'", "anaïs@example.com"),
    ),
    Case(
        "gzip cut short",
        "gzip_cut_short.csv.gz",
        TICKETS,
        [("gzip_cut_short.csv.gz", "failed", 0, 0, 0)],
        error="the gzip stream is cut short or damaged",
    ),
    Case(
        "JSON Lines with one broken record",
        "json_broken_record.jsonl",
        TICKETS,
        [("json_broken_record.jsonl", "loaded", 3, 2, 1)],
        [(2, "record could not be parsed: expected a valid JSON document on its line, found broken JSON")],
        check=(
            "SELECT string_agg(_row || ':' || complaint_id, ',' ORDER BY _row) FROM raw.complaints",
            "1:1,3:3",
        ),
    ),
    Case(
        "JSON Lines with an invalid UTF-8 byte: replaced by U+FFFD, with a warning",
        "json_invalid_utf8.jsonl",
        TICKETS,
        [("json_invalid_utf8.jsonl", "loaded", 2, 2, 0)],
        check=("SELECT string_agg(status, ',' ORDER BY _row) FROM raw.complaints", "résolu,r\ufffdsolu"),
        notes="warning: invalid UTF-8 bytes replaced by U+FFFD",
    ),
    Case(
        "JSON array with one broken record: the document cannot be split, the file fails",
        "json_broken_array.json",
        TICKETS,
        [("json_broken_array.json", "failed", 0, 0, 0)],
        error="not valid JSON: Malformed JSON at byte 85",
    ),
    Case(
        "XLSX: the first sheet is read, the second ignored (and said so)",
        "xlsx_second_sheet.xlsx",
        TICKETS,
        [("xlsx_second_sheet.xlsx", "loaded", 3, 3, 0)],
        notes="sheet 'Tickets' read; other sheets ignored: ['Pivot']",
    ),
    Case(
        "XLSX: `sheet:` selects the data sheet",
        "xlsx_sheet_selected.xlsx",
        TICKETS + "\nsheet: Data",
        [("xlsx_sheet_selected.xlsx", "loaded", 3, 3, 0)],
        check=(
            "SELECT strftime(min(created_at), '%Y-%m-%d %H:%M:%S') FROM raw.complaints",
            "2026-05-01 09:00:00",
        ),
    ),
    Case(
        "trailing delimiters: the empty, unnamed columns leave _extra alone",
        "trailing_delimiters.csv",
        TICKETS,
        [("trailing_delimiters.csv", "loaded", 3, 3, 0)],
        check=("SELECT count(*) FROM raw.complaints WHERE _extra IS NOT NULL", 0),
    ),
    Case(
        "a record with more fields than the header",
        "too_many_fields.csv",
        TICKETS,
        [("too_many_fields.csv", "loaded", 2, 1, 1)],
        [
            (
                2,
                "record could not be parsed: column 5 has no header: expected 4 columns as in the header, "
                "found 5 (an unquoted delimiter inside a value?)",
            )
        ],
    ),
    Case(
        "extra columns are kept in _extra",
        "extra_columns.csv",
        TICKETS,
        [("extra_columns.csv", "loaded", 1, 1, 0)],
        check=("SELECT _extra FROM raw.complaints", '{"channel":"web"}'),
    ),
    Case(
        "extra columns ignored on request, with a warning",
        "extra_columns.csv",
        TICKETS + "\nextra_columns: ignore",
        [("extra_columns.csv", "loaded", 1, 1, 0)],
        check=("SELECT count(_extra) FROM raw.complaints", 0),
        notes="warning: 1 column(s) not in the mapping ignored: ['channel']",
    ),
    Case(
        "binary content",
        "binary_garbage.csv",
        TICKETS,
        [("binary_garbage.csv", "failed", 0, 0, 0)],
        error="binary content (a NUL byte at offset 0): not a text export",
    ),
    Case(
        "a CSV named .xlsx",
        "not_a_workbook.xlsx",
        TICKETS,
        [("not_a_workbook.xlsx", "failed", 0, 0, 0)],
        error="not a readable XLSX workbook: calamine error: Xlsx error: Zip error",
    ),
    Case(
        "blank lines only: no header",
        "blank_lines_only.csv",
        TICKETS,
        [("blank_lines_only.csv", "failed", 0, 0, 0)],
        error="no header: the file holds no column names (only empty lines?)",
    ),
    Case(
        "awkward headers (repeated, case-twins, named like a lineage column, quoted) keep their data",
        "awkward_headers.csv",
        TICKETS,
        [("awkward_headers.csv", "loaded", 1, 1, 0)],
        check=(
            "SELECT status || ' ' || _row || ' ' || _extra FROM raw.complaints",
            'open 1 {"Status_1":"x","note":"a","note_1":"b","_row_":"r","say \\"hi\\"":"w"}',
        ),
    ),
    Case(
        "field history: a change of a field staging does not track loads into raw (no error, nothing lost)",
        "unknown_field_history.csv",
        "preset: zendesk_field_history",
        [("unknown_field_history.csv", "loaded", 2, 2, 0)],
        [],
        check=(
            "SELECT string_agg(field, ' ' ORDER BY _row) FROM raw.complaint_events",
            "status custom_360001234567",
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.path + ": " + c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    sources_yml = tmp_path / "sources.yml"
    body = "\n".join("    " + line for line in case.yaml.splitlines())
    sources_yml.write_text(f"sources:\n  - name: case\n    path: {case.path!r}\n{body}\n", encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    results = ingest_sources(con, load_sources(sources_yml), CORPUS)

    assert [
        (r.file, r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) for r in results
    ] == case.outcomes
    kind = results[0].kind
    for r in results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined
        raw = con.execute(f'SELECT count(*) FROM raw."{kind}" WHERE _file = ?', [r.file]).fetchall()[0][0]
        quarantined = con.execute("SELECT count(*) FROM ops.quarantine WHERE file = ?", [r.file]).fetchall()[
            0
        ][0]
        assert (raw, quarantined) == (r.rows_loaded, r.rows_quarantined)
        manifest = con.execute(
            "SELECT status, rows_read, rows_loaded, rows_quarantined FROM ops.ingest_files WHERE file = ?",
            [r.file],
        ).fetchall()
        assert manifest == [(r.status, r.rows_read, r.rows_loaded, r.rows_quarantined)]
    reasons = con.execute('SELECT "row", reason FROM ops.quarantine ORDER BY file, "row"').fetchall()
    assert reasons == case.reasons
    assert all(
        raw_record for (raw_record,) in con.execute("SELECT raw_record FROM ops.quarantine").fetchall()
    )
    failed = [r for r in results if r.status == "failed"]
    if case.error:
        assert len(failed) == 1
        assert (failed[0].error or "").startswith(f"{failed[0].file}: {case.error}"), failed[0].error
        assert case.error_also is None or (failed[0].error or "").endswith(case.error_also), failed[0].error
        stored = con.execute("SELECT error FROM ops.ingest_files WHERE status = 'failed'").fetchall()
        assert stored == [(failed[0].error,)]
    else:
        assert not failed, failed
    if case.check:
        sql, expected = case.check
        assert con.execute(sql).fetchall()[0][0] == expected
    if case.notes:
        assert any(case.notes in note for r in results for note in r.notes), [r.notes for r in results]
        stored = con.execute("SELECT notes FROM ops.ingest_files").fetchall()[0][0]
        assert case.notes in stored
    con.close()


def test_corpus_is_large_enough_and_every_fixture_is_used() -> None:
    assert len(CASES) >= 20
    used = {p.name for c in CASES for p in CORPUS.glob(c.path)}
    fixtures = {p.name for p in CORPUS.iterdir() if p.name != "make_fixtures.py"}
    assert fixtures == used


def _over_long_record_file(tmp_path: Path) -> tuple[Path, Path]:
    """A cp1252 ticket file whose second record is 9 MB, over the line limit (so the reader opens a
    transcoded copy in a temporary folder), and its sources.yml."""
    landing = tmp_path / "landing"
    landing.mkdir()
    header = "id,created,status,email,subject\n"
    first = "1,2026-01-01 00:00:00,open,a@example.com,Café\n"
    huge = "2,2026-01-01 00:00:00,open,b@example.com," + "x" * (9 << 20) + "\n"
    last = "3,2026-01-02 00:00:00,open,c@example.com,ok\n"
    (landing / "tickets.csv").write_bytes((header + first + huge + last).encode("cp1252"))
    sources_yml = tmp_path / "sources.yml"
    body = "\n".join("    " + line for line in TICKETS.splitlines())
    sources_yml.write_text(f"sources:\n  - name: case\n    path: 'tickets.csv'\n{body}\n", encoding="utf-8")
    return landing, sources_yml


def test_a_record_over_the_line_limit_is_quarantined_alone_though_the_sniffer_samples_it(
    tmp_path: Path,
) -> None:
    landing, sources_yml = _over_long_record_file(tmp_path)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    (result,) = ingest_sources(con, load_sources(sources_yml), landing)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        3,
        2,
        1,
    )
    assert con.execute("SELECT complaint_id, subject FROM raw.complaints ORDER BY _row").fetchall() == [
        ("1", "Café"),
        ("3", "ok"),
    ]
    assert con.execute('SELECT "row", reason FROM ops.quarantine').fetchall() == [
        (
            2,
            "record could not be parsed: expected a record under 8 MB, found one of 9437225 bytes (raw_record "
            "holds its start; the whole record is in the landed file)",
        )
    ]
    con.close()


def test_a_file_the_csv_reader_refuses_whole_fails_naming_the_landed_file_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a record longer than the sniffer may read past fails the file; DuckDB's own first line says only
    # "CSV Error on Line: 1", and names the transcoded copy
    monkeypatch.setattr(csv_reader, "SNIFF_LINE_LIMIT", 8 << 20)
    landing, sources_yml = _over_long_record_file(tmp_path)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    (result,) = ingest_sources(con, load_sources(sources_yml), landing)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith("tickets.csv: CSV Error on Line: "), result.error
    assert "Maximum line size of 8388608 bytes exceeded" in result.error
    assert ".utf8" not in result.error and str(tmp_path) not in result.error
    assert con.execute("SELECT error FROM ops.ingest_files").fetchall() == [(result.error,)]
    con.close()
