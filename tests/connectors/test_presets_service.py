"""The service-side presets on real and vendor-shaped exports: zendesk_tickets (Fivetran table,
incremental-export JSON, the generator's view export), zendesk_field_history and qualtrics_export.
Real files: tests/fixtures/real (copied with their SOURCE.txt); vendor shapes: tests/fixtures/vendor."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from connectors.ingest import FileResult, ingest_sources
from connectors.sources import load_sources

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REAL = FIXTURES / "real"
VENDOR = FIXTURES / "vendor"


def ingest(con: duckdb.DuckDBPyConnection, tmp_path: Path, yaml: str, landing: Path) -> list[FileResult]:
    sources_yml = tmp_path / "sources.yml"
    sources_yml.write_text(yaml, encoding="utf-8")
    results = ingest_sources(con, load_sources(sources_yml), landing)
    for r in results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined, r
    return results


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# --- zendesk_tickets --------------------------------------------------------------------------------


def test_zendesk_tickets_fivetran_table(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    yaml = """sources:
  - name: zendesk_fivetran
    path: zendesk_fivetran_seeds/ticket_data.csv
    preset: zendesk_tickets
"""
    [result] = ingest(con, tmp_path, yaml, REAL)
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 10, 10)
    ticket = rows(
        con,
        "SELECT created_at, updated_at, status, priority, channel, team, owner, customer_id, customer_email,"
        " _extra FROM raw.complaints WHERE complaint_id = '11071'",
    )
    assert ticket[0][:9] == (
        datetime(2020, 8, 28, 18, 6, 36),
        datetime(2020, 11, 15, 11, 1, 27),
        "closed",
        "urgent",
        "email",
        "360006965034",
        "1111",
        "2222",
        None,  # `recipient` is the support address the customer wrote to, not the customer's
    )
    extra = json.loads(ticket[0][9])
    assert (
        extra["_fivetran_synced"] == "2020-10-02 14:08:33.216"
    )  # unmapped columns are kept, even _-prefixed
    assert extra["recipient"] == "email@email.com"


def test_a_fivetran_table_read_in_a_local_zone_is_warned_of(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Landed in the help desk's CSV-export source (Europe/London), the Fivetran table's UTC times moved by
    an hour in summer without a word."""
    yaml = """sources:
  - name: zendesk_tickets
    path: zendesk_fivetran_seeds/ticket_data.csv
    preset: zendesk_tickets
    timezone: Europe/London
"""
    [result] = ingest(con, tmp_path, yaml, REAL)
    assert result.notes[0] == (
        "warning: a Fivetran table (column _fivetran_synced), whose times are UTC, read in this source's time "
        "zone Europe/London: give it a source of its own with timezone: UTC in sources.yml"
    )
    assert [
        n
        for n in ingest(con, tmp_path, yaml.replace("Europe/London", "UTC"), REAL)[0].notes
        if "Fivetran" in n
    ] == []


def test_zendesk_tickets_incremental_export_json(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    yaml = """sources:
  - name: zendesk_api
    path: "zendesk/tickets_incremental_*"
    preset: zendesk_tickets          # json_path: tickets (the records of each page) comes with the preset
    timezone: Europe/London          # API timestamps carry Z: the zone is not applied to them
"""
    results = ingest(con, tmp_path, yaml, VENDOR)
    assert [(r.file, r.status, r.rows_read, r.rows_loaded) for r in results] == [
        ("zendesk/tickets_incremental_page.json", "loaded", 3, 3),
        ("zendesk/tickets_incremental_pages.jsonl", "loaded", 3, 3),  # two pages, one per line
    ]
    got = rows(
        con,
        "SELECT complaint_id, _row, created_at, status, channel, team, owner, customer_id, customer_email,"
        " customer_name, satisfaction_score FROM raw.complaints ORDER BY complaint_id",
    )
    assert got == [
        (
            "5101",
            1,
            datetime(2026, 5, 1, 8, 15),
            "solved",
            "email",
            "360006965034",
            "7001",
            "9001",
            "ana.lima@example.com",
            "Ana Lima",
            1.0,
        ),
        (
            "5102",
            2,
            datetime(2026, 5, 1, 9, 30),
            "open",
            "web",
            "360006965034",
            None,
            "9002",
            None,
            None,
            None,
        ),
        (
            "5103",
            3,
            datetime(2026, 5, 2, 12, 0),
            "closed",
            "api",
            "360013366274",
            "7002",
            "9003",
            None,
            None,
            0.0,
        ),
        (
            "5104",
            1,
            datetime(2026, 5, 3, 7, 0),
            "pending",
            "email",
            "360006965034",
            "7001",
            "9004",
            "dana.cruz@example.com",
            "Dana Cruz",
            None,
        ),
        (
            "5105",
            2,
            datetime(2026, 5, 3, 11, 20),
            "new",
            "mobile",
            "360013366274",
            None,
            "9005",
            None,
            None,
            None,
        ),
        (
            "5106",
            3,
            datetime(2026, 5, 4, 15, 45),
            "solved",
            "chat",
            "360006965034",
            "7002",
            "9006",
            None,
            None,
            1.0,
        ),
    ]
    extra = json.loads(rows(con, "SELECT _extra FROM raw.complaints WHERE complaint_id = '5101'")[0][0])
    assert json.loads(extra["custom_fields"]) == [
        {"id": 360001234567, "value": "billing"},
        {"id": 360007654321, "value": None},
    ]
    assert json.loads(extra["tags"]) == ["billing", "web_form"]
    assert extra["recipient"] == "support@acme.example"


def test_zendesk_tickets_generator_view_export(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, clean_landing: Path
) -> None:
    """The display-header CSV the generator writes: local (Europe/London) times become UTC."""
    first = sorted((clean_landing / "zendesk").glob("tickets_*.csv"))[0]
    yaml = f"""sources:
  - name: zendesk_view
    path: zendesk/{first.name}
    preset: zendesk_tickets
    timezone: Europe/London
"""
    [result] = ingest(con, tmp_path, yaml, clean_landing)
    frame = pl.read_csv(first, infer_schema_length=0)
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", frame.height, frame.height)
    expected = (
        frame.select(
            pl.col("Id"),
            pl.col("Created at")
            .str.to_datetime("%Y-%m-%d %H:%M:%S")
            .dt.replace_time_zone("Europe/London")
            .dt.convert_time_zone("UTC")
            .dt.replace_time_zone(None),
            pl.col("Satisfaction Score").replace_strict(
                {"Good": 1.0, "Bad": 0.0}, default=None, return_dtype=pl.Float64
            ),
            pl.col("Status"),
        )
        .sort("Id")
        .rows()
    )
    got = rows(
        con, "SELECT complaint_id, created_at, satisfaction_score, status FROM raw.complaints ORDER BY 1"
    )
    assert got == expected


# --- zendesk_field_history ------------------------------------------------------------------------


def test_zendesk_field_history_fivetran_table(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    yaml = """sources:
  - name: zendesk_history
    path: zendesk_fivetran_seeds/ticket_field_history_data.csv
    preset: zendesk_field_history
"""
    [result] = ingest(con, tmp_path, yaml, REAL)
    # 38 changes: status 30, priority 5, assignee_id 2 are tracked; requester_id is not, and loads all the same
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        38,
        38,
        0,
    )
    assert rows(con, "SELECT field, count(*) FROM raw.complaint_events GROUP BY 1 ORDER BY 1") == [
        ("assignee", 2),
        ("priority", 5),
        ("requester_id", 1),
        ("status", 30),
    ]
    assert "1 change of fields staging does not track (requester_id 1) kept in raw, left out of staging" in (
        result.notes
    )
    assert rows(
        con,
        "SELECT event_at, field, old_value, new_value, actor FROM raw.complaint_events "
        "WHERE complaint_id = '11071' ORDER BY _row LIMIT 2",
    ) == [
        (datetime(2020, 8, 28, 11, 1, 27), "status", None, "open", None),
        (datetime(2020, 8, 28, 11, 1, 27), "assignee", None, "1111", None),
    ]
    assert rows(con, "SELECT count(*) FROM ops.quarantine") == [(0,)]


# --- qualtrics_export -----------------------------------------------------------------------------


def test_qualtrics_current_and_legacy_told_apart_by_content(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    (landing / "qualtrics").mkdir(parents=True)
    # names that say nothing about the layout: detection reads the header rows
    shutil.copy(REAL / "qualtrics_exports" / "sample.csv", landing / "qualtrics" / "responses_a.csv")
    shutil.copy(REAL / "qualtrics_exports" / "sample_legacy.csv", landing / "qualtrics" / "responses_b.csv")
    yaml = """sources:
  - name: qualtrics_nps
    path: "qualtrics/responses_*.csv"
    preset: qualtrics_export
    timezone: Europe/Zurich          # the account's zone (a Swiss, German-language account)
    constants: {survey: Sample, scale: nps_10}
"""
    current, legacy = ingest(con, tmp_path, yaml, landing)
    assert (current.rows_read, current.rows_loaded, legacy.rows_read, legacy.rows_loaded) == (1, 1, 1, 1)
    assert "header_rows auto: 3 header rows (names, question text, ImportId)" in current.notes
    assert "header_rows auto: 2 header rows (V1..Vn placeholders above the names)" in legacy.notes
    assert "encoding utf-8 (byte-order mark)" in legacy.notes
    got = rows(
        con,
        "SELECT _file, _row, response_id, submitted_at, score, comment, customer_name FROM raw.survey_responses "
        "ORDER BY _file",
    )
    same = ("R_2YPOQ602ER1jkf1", datetime(2017, 7, 18, 6, 28, 48), 2.0, "Hello World!")  # 08:28:48 CEST
    assert got == [
        ("qualtrics/responses_a.csv", 1, *same, None),
        ("qualtrics/responses_b.csv", 1, *same, "Anonym"),
    ]
    legacy_extra = json.loads(
        rows(con, "SELECT _extra FROM raw.survey_responses WHERE _file LIKE '%_b.csv'")[0][0]
    )
    assert legacy_extra["ResponseSet"] == "Standard-Antwortsatz"  # placeholders V1..V10 took the names below
    assert not any(
        k.startswith("V") or k.startswith("column") for k in legacy_extra
    )  # nor the trailing comma
