"""A vendor no preset knows (a Salesforce case report) is onboarded by writing YAML, and nothing else."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb

from connectors.ingest import ingest_sources
from connectors.sources import load_sources

VENDOR = Path(__file__).resolve().parents[1] / "fixtures" / "vendor"

SALESFORCE_YAML = """
defaults:
  timezone: UTC

sources:
  - name: salesforce_cases
    team: customer_service
    kind: complaints
    path: "salesforce/cases_*.csv"
    preset: generic
    timezone: America/New_York                 # the Salesforce org's time zone
    timestamp_formats: ["%m/%d/%Y %I:%M %p"]   # 03/07/2026 11:30 PM (and 3/8/2026 1:05 AM)
    mapping:
      complaint_id: "Case Number"
      created_at: "Date/Time Opened"
      resolved_at: "Date/Time Closed"
      status: Status
      priority: Priority
      channel: "Case Origin"
      subject: Subject
      owner: "Case Owner"
      category: Type
      customer_name: "Contact Name"
      customer_email: "Contact Email"
      customer_phone: "Contact Phone"
    value_maps:
      status: {New: new, Working: open, Escalated: open, Closed: solved}
"""


def test_salesforce_cases_onboarded_by_yaml_alone(tmp_path: Path) -> None:
    sources_yml = tmp_path / "sources.yml"
    sources_yml.write_text(SALESFORCE_YAML, encoding="utf-8")
    [source] = load_sources(sources_yml)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    [result] = ingest_sources(con, [source], VENDOR)

    # 3 cases load; the 5 footer lines Salesforce appends ("Grand Totals", copyright...) are quarantined
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        8,
        3,
        5,
    )
    got = con.execute(
        "SELECT complaint_id, created_at, resolved_at, status, priority, channel, owner, category, customer_name,"
        " customer_email, customer_phone, subject FROM raw.complaints ORDER BY complaint_id"
    ).fetchall()
    assert got == [
        # 11:30 PM on 7 March is EST (UTC-5); 09:15 AM on 9 March is EDT (UTC-4): DST began on 8 March
        (
            "00001026",
            datetime(2026, 3, 8, 4, 30),
            datetime(2026, 3, 9, 13, 15),
            "solved",
            "Medium",
            "Email",
            "Jordan Blake",
            "Billing",
            "Maria Gomez",
            "maria.gomez@example.com",
            "(212) 555-0143",
            "Statement missing",
        ),
        # 1:05 AM on 8 March, before the 2 AM switch: still EST
        (
            "00001027",
            datetime(2026, 3, 8, 6, 5),
            None,
            "open",
            "High",
            "Phone",
            "Sam Reyes",
            "Cards",
            "Tom Price",
            "tom.price@example.com",
            "212-555-0188",
            'Card blocked, "urgent"',
        ),
        (
            "00001028",
            datetime(2026, 3, 10, 16, 0),
            None,
            "new",
            "Low",
            "Web",
            "Jordan Blake",
            "Account",
            "Lee Park",
            None,
            None,
            "Change of address",
        ),
    ]
    assert json.loads(con.execute("SELECT _extra FROM raw.complaints WHERE _row = 1").fetchall()[0][0]) == {
        "Account Name": "Gomez LLC"
    }
    footer = con.execute('SELECT "row", raw_record, reason FROM ops.quarantine ORDER BY "row"').fetchall()
    assert [(row, raw) for row, raw, _ in footer] == [
        (4, '""'),
        (5, '"Grand Totals (3 records)"'),
        (6, '""'),
        (7, '"Confidential Information - Do Not Distribute"'),
        (8, '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."'),
    ]
    assert {reason for _, _, reason in footer} == {
        "record could not be parsed: column 'Subject' and the 11 after it missing: expected 13 columns as in "
        "the header, found 1 (the record is cut short)"
    }
    con.close()
