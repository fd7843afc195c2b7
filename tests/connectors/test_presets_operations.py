"""The operations and management presets: call_centre_log on the real bank log (contacts, and the
per queue-day workload checked against an independent count) and bi_kpi_export, long and wide (CSV, XLSX)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from connectors.ingest import FileResult, ingest_sources
from connectors.readers import xlsx_headers
from connectors.sources import load_sources
from tests.fixtures.xlsx_writer import write_xlsx

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REAL = FIXTURES / "real"
VENDOR = FIXTURES / "vendor"
BANK_LOG = REAL / "call_centre_anonymous_bank" / "data_anonymous_bank_february.txt.gz"


def ingest(con: duckdb.DuckDBPyConnection, tmp_path: Path, yaml: str, landing: Path) -> list[FileResult]:
    sources_yml = tmp_path / "sources.yml"
    sources_yml.write_text(yaml, encoding="utf-8")
    results = ingest_sources(con, load_sources(sources_yml), landing)
    for r in results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined, r
    return results


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# --- call_centre_log ------------------------------------------------------------------------------

BANK_YAML = """sources:
  - name: bank_calls
    team: operations
    kind: contacts
    path: "call_centre_anonymous_bank/*.txt.gz"
    preset: call_centre_log
    timezone: Asia/Jerusalem
"""


def _bank_frame() -> pl.DataFrame:
    data = gzip.decompress(BANK_LOG.read_bytes())
    assert (
        hashlib.sha256(data).hexdigest() == "4004237dcb32355816e9bf98b9a61401ec4ded56c5c66c4a51d3e78f9802cf46"
    )
    return pl.read_csv(data, separator="\t", infer_schema_length=0).with_columns(
        started_utc=(pl.col("date") + " " + pl.col("vru_entry"))
        .str.to_datetime("%y%m%d %H:%M:%S")
        .dt.replace_time_zone("Asia/Jerusalem")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )


def test_call_centre_log_real_bank_contacts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    [result] = ingest(con, tmp_path, BANK_YAML, REAL)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        33344,
        33344,
        0,
    )
    assert result.notes == ["gzip decompressed"]
    assert rows(con, "SELECT outcome, count(*) FROM raw.contacts GROUP BY 1 ORDER BY 1") == [
        ("AGENT", 27162),
        ("HANG", 5904),
        ("PHANTOM", 278),  # kept in raw.contacts, left out of workload
    ]
    # customer id 0 = unknown caller -> NULL; 4,081 distinct known customers (SOURCE.txt)
    assert rows(
        con, "SELECT count(DISTINCT customer_id), count(*) FILTER (customer_id = '0') FROM raw.contacts"
    ) == [(4081, 0)]
    first = rows(
        con,
        "SELECT contact_id, started_at, queue, channel, outcome, wait_seconds, handle_seconds, agent, _extra "
        "FROM raw.contacts WHERE _row = 1",
    )[0]
    # 990201 7:02:47 in Israel (UTC+2 in February) is 05:02:47 UTC
    assert first[:8] == (
        "AA0101-34536",
        datetime(1999, 2, 1, 5, 2, 47),
        "PS",
        "phone",
        "AGENT",
        0.0,
        166.0,
        "DORIT",
    )
    # the 0:00:00 placeholders of stages that did not happen stay as exported in _extra, never parsed
    assert json.loads(first[8])["q_start"] == "0:00:00"
    frame = _bank_frame()
    assert rows(con, "SELECT min(started_at), max(started_at) FROM raw.contacts")[0] == (
        frame["started_utc"].min(),
        frame["started_utc"].max(),
    )


def test_call_centre_log_workload_matches_an_independent_count(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    ingest(con, tmp_path, BANK_YAML, REAL)
    expected = (
        _bank_frame()
        .filter(pl.col("outcome").is_in(["AGENT", "HANG"]))
        .group_by(queue=pl.col("type"), day=pl.col("started_utc").dt.date())
        .agg(
            offered=pl.len(),
            handled=(pl.col("outcome") == "AGENT").sum(),
            abandoned=(pl.col("outcome") == "HANG").sum(),
            avg_wait=pl.col("q_time").cast(pl.Float64).mean(),
            agents=pl.col("server").filter(pl.col("server") != "NO_SERVER").n_unique(),
        )
        .sort("queue", "day")
    )
    got = pl.DataFrame(
        rows(
            con,
            "SELECT queue, period_start::DATE, contacts_offered, contacts_handled, contacts_abandoned, "
            "avg_wait_seconds, agents_staffed FROM raw.workload WHERE contacts_offered > 0 ORDER BY 1, 2",
        ),
        schema=["queue", "day", "offered", "handled", "abandoned", "avg_wait", "agents"],
        orient="row",
    )
    assert got.height == expected.height > 100
    for column in ("queue", "day", "offered", "handled", "abandoned", "agents"):
        assert got[column].cast(pl.String).to_list() == expected[column].cast(pl.String).to_list(), column
    assert (got["avg_wait"] - expected["avg_wait"]).abs().max() < 1e-9
    assert rows(
        con, "SELECT sum(contacts_offered), sum(contacts_handled), sum(contacts_abandoned) FROM raw.workload"
    ) == [(33066, 27162, 5904)]
    # days that had only PHANTOM calls of a queue still get a row, with nothing offered
    assert rows(con, "SELECT count(*) FROM raw.workload WHERE contacts_offered = 0") == [
        (rows(con, "SELECT count(*) FROM raw.workload")[0][0] - expected.height,)
    ]
    assert rows(con, "SELECT min(period_start), max(period_end) FROM raw.workload") == [
        (
            datetime(1999, 1, 31),
            datetime(1999, 3, 1),
        )  # the first calls after midnight Israel time are on 31 Jan UTC
    ]


def test_call_centre_log_ids_are_unique_per_vru_line(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """The bank log reuses call ids across VRU lines (33,344 calls, 15,516 distinct call_id): the preset's
    contact_id is "vru+line"-call_id, so every call loads and none is mistaken for a duplicate."""
    [result] = ingest(con, tmp_path, BANK_YAML, REAL)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (33344, 33344, 0)
    assert rows(con, "SELECT count(DISTINCT contact_id) FROM raw.contacts")[0][0] == 33344


# --- bi_kpi_export --------------------------------------------------------------------------------

KPI_WIDE = [  # (metric, team, unit, period_start, period_end, value)
    ("Abandon Rate", "Cards", "%", date(2026, 5, 1), date(2026, 5, 31), 12.5),
    ("Abandon Rate", "Cards", "%", date(2026, 6, 1), date(2026, 6, 30), 11.75),
    ("Abandon Rate", "Cards", "%", date(2026, 7, 1), date(2026, 7, 31), 13.0),
    ("Avg CSAT", "Billing", "score", date(2026, 5, 1), date(2026, 5, 31), 4.1),
    ("Avg CSAT", "Billing", "score", date(2026, 6, 1), date(2026, 6, 30), 4.3),
    ("Avg CSAT", "Billing", "score", date(2026, 7, 1), date(2026, 7, 31), 4.0),
    ("Tickets Created", "Billing", "count", date(2026, 5, 1), date(2026, 5, 31), 120.0),
    ("Tickets Created", "Billing", "count", date(2026, 6, 1), date(2026, 6, 30), 135.0),
    ("Tickets Created", "Billing", "count", date(2026, 7, 1), date(2026, 7, 31), 128.0),
    ("Tickets Created", "Cards", "count", date(2026, 5, 1), date(2026, 5, 31), 80.0),
    ("Tickets Created", "Cards", "count", date(2026, 7, 1), date(2026, 7, 31), 91.0),  # June was empty
]
KPI_SQL = (
    "SELECT metric, dimension_value, unit, period_start, period_end, value FROM raw.dashboard_kpis "
    "WHERE _file = ? ORDER BY 1, 2, 4"
)


def test_bi_kpi_export_wide_csv_and_xlsx(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    yaml = """sources:
  - name: service_kpis
    team: management
    path: "bi/service_kpis_wide.*"
    preset: bi_kpi_export            # period columns (2026-05, May 2026) are unpivoted into rows
    sheet: KPIs                      # XLSX only: the data sheet follows a cover sheet
    constants: {dashboard: Service Performance}
"""
    results = ingest(con, tmp_path, yaml, VENDOR)
    assert [(r.file, r.status, r.rows_read, r.rows_loaded) for r in results] == [
        ("bi/service_kpis_wide.csv", "loaded", 11, 11),
        ("bi/service_kpis_wide.xlsx", "loaded", 11, 11),
    ]
    for r in results:
        assert rows(con, KPI_SQL.replace("?", f"'{r.file}'")) == KPI_WIDE
    assert "sheet 'KPIs' read; other sheets ignored: ['Cover']" in results[1].notes
    # the Total column is no period: it stays on each row, in _extra
    assert rows(
        con, "SELECT DISTINCT _extra FROM raw.dashboard_kpis WHERE _file LIKE '%.csv' ORDER BY 1"
    ) == [
        ('{"Total":"171"}',),
        ('{"Total":"383"}',),
        ('{"Total":null}',),
    ]
    # a crosstab says nothing of when it was exported: the file's modification time (UTC) stands in
    modified = int((VENDOR / "bi" / "service_kpis_wide.xlsx").stat().st_mtime)
    mtime = datetime.fromtimestamp(modified, UTC).replace(tzinfo=None)
    assert rows(
        con, "SELECT DISTINCT dashboard, exported_at FROM raw.dashboard_kpis WHERE _file LIKE '%.xlsx'"
    ) == [("Service Performance", mtime)]


def test_bi_kpi_export_xlsx_with_period_headers_stored_as_dates(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Excel keeps a crosstab's period headers as dates ("May-26" shown, 2026-05-01 stored), which the
    workbook reader named __UNNAMED__3.. and the file failed. First-of-month dates are months; other
    dates are days."""
    landing = tmp_path / "landing"
    (landing / "bi").mkdir(parents=True)
    wide = list(csv.reader((VENDOR / "bi" / "service_kpis_wide.csv").read_text().splitlines()))
    months = [date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1)]
    body = [[c if i < 3 or c == "" else float(c) for i, c in enumerate(row)] for row in wide[1:]]
    write_xlsx(landing / "bi" / "monthly.xlsx", {"KPIs": [wide[0][:3] + months + ["Total"], *body]})
    days = [date(2026, 5, 1), date(2026, 5, 2)]
    write_xlsx(
        landing / "bi" / "daily.xlsx",
        {"KPIs": [["Metric", "Team", "Unit", *days], ["Calls", "Cards", "count", 7, 9]]},
    )
    yaml = "sources:\n  - {name: kpis, path: 'bi/*.xlsx', preset: bi_kpi_export, constants: {dashboard: D}}\n"
    daily, monthly = ingest(con, tmp_path, yaml, landing)
    assert (monthly.status, monthly.rows_loaded) == ("loaded", 11)
    assert "3 header(s) stored as Excel dates read as months (2026-05)" in "; ".join(monthly.notes)
    assert rows(con, KPI_SQL.replace("?", "'bi/monthly.xlsx'")) == KPI_WIDE
    assert (daily.status, daily.rows_loaded) == ("loaded", 2)
    assert rows(con, KPI_SQL.replace("?", "'bi/daily.xlsx'")) == [
        ("Calls", "Cards", "count", date(2026, 5, 1), date(2026, 5, 1), 7.0),
        ("Calls", "Cards", "count", date(2026, 5, 2), date(2026, 5, 2), 9.0),
    ]


def test_xlsx_headers_keep_fastexcels_names() -> None:
    names, note = xlsx_headers(["kpi", "kpi", None, "", "kpi", "2026-05-03 10:30:00", "2026-05-01 00:00:00"])
    assert names == [
        "kpi",
        "kpi_1",
        "__UNNAMED__2",
        "__UNNAMED__3",
        "kpi_2",
        "2026-05-03 10:30:00",
        "2026-05",
    ]
    assert note == "1 header(s) stored as Excel dates read as months (2026-05)"
    assert xlsx_headers(["a", "b"]) == (["a", "b"], None)


def test_unpivot_spelled_out_in_yaml(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    yaml = """sources:
  - name: service_kpis
    path: "bi/service_kpis_wide.csv"
    preset: generic
    kind: dashboard_kpis
    unpivot: {id_columns: [Metric, Team, Unit, Total], variable_name: month, value_name: shown}
    date_formats: ["%Y-%m"]
    mapping:
      metric: Metric
      dimension_value: Team
      unit: Unit
      value: shown
      period_start: month
      period_end: {sql: "last_day(strptime(month, '%Y-%m'))"}
    constants: {dashboard: Service Performance, exported_at: "2026-08-01 06:00:00", dimension_name: team}
"""
    [result] = ingest(con, tmp_path, yaml, VENDOR)
    assert (result.rows_read, result.rows_loaded) == (11, 11)
    assert rows(con, KPI_SQL.replace("?", "'bi/service_kpis_wide.csv'")) == KPI_WIDE


def test_bi_kpi_export_long_layout_is_not_unpivoted(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "bi").mkdir(parents=True)
    (landing / "bi" / "contact_centre.csv").write_text(
        "Dashboard,Exported At,Period Start,Period End,Metric,Team,Value,Unit\n"
        "Contact Centre,2026-10-21 06:00:00,2026-05-01,2026-05-31,Abandon Rate,Accounts,15.01,%\n"
        "Contact Centre,2026-10-21 06:00:00,2026-06-01,2026-06-30,Abandon Rate,Accounts,16.65,%\n"
    )
    yaml = "sources:\n  - {name: bi, path: 'bi/*.csv', preset: bi_kpi_export, timezone: Europe/London}\n"
    [result] = ingest(con, tmp_path, yaml, landing)
    assert (result.rows_loaded, result.notes) == (2, [])
    assert rows(
        con, "SELECT exported_at, period_start, value FROM raw.dashboard_kpis ORDER BY period_start"
    ) == [
        (datetime(2026, 10, 21, 5, 0), date(2026, 5, 1), 15.01),
        (datetime(2026, 10, 21, 5, 0), date(2026, 6, 1), 16.65),
    ]


def test_a_reason_names_a_long_sql_mapping_by_the_headers_it_reads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A period the preset's parsing cannot read is quarantined with a reason of a line, not ~2,000
    characters of the preset's SQL."""
    landing = tmp_path / "landing"
    (landing / "bi").mkdir(parents=True)
    (landing / "bi" / "wide.csv").write_text("Metric,Team,2026-05,2026-13\nCalls,Cards,7,9\n")
    yaml = "sources:\n  - {name: kpis, path: 'bi/*.csv', preset: bi_kpi_export, constants: {dashboard: D}}\n"
    [result] = ingest(con, tmp_path, yaml, landing)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    [reason] = con.execute("SELECT reason FROM ops.quarantine").fetchone()
    assert reason.startswith("column 'period_start' (sql of ['period']): required value is missing"), reason
    assert len(reason) < 300, reason
