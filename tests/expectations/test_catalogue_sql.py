"""The catalogue's SQL on hand-made marts: each check names the rows it must, and only those."""

from __future__ import annotations

import duckdb

from expectations.suites import all_checks


def _check_sql(name: str) -> str:
    [spec] = [s for s in all_checks() if s.name == name]
    return spec.sql


def test_a_happy_survey_is_flagged_only_while_a_complaint_is_open_then() -> None:
    """Complaint 1 was solved on the 7th at 09:00, reopened on the 8th, solved again on the 9th; complaint 2
    was never solved. A happy survey on the 7th at 18:00 met nothing open (it was flagged: the final
    resolution came later); one on the 8th met complaint 1 reopened; a CSAT about complaint 2 itself,
    still open, says fine where service says not (it was left out)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA marts")
    con.execute("""CREATE TABLE staging.stg_marketing__survey_responses AS SELECT * FROM (VALUES
        ('r1', 'R1', 'NPS', 10.0, TIMESTAMP '2026-01-07 18:00', NULL, true),
        ('r2', 'R2', 'NPS', 9.0, TIMESTAMP '2026-01-08 12:00', NULL, true),
        ('r3', 'R3', 'CSAT', 5.0, TIMESTAMP '2026-01-12 10:00', '2', true),
        ('r4', 'R4', 'NPS', 2.0, TIMESTAMP '2026-01-08 12:00', NULL, false)
    ) t(record_key, response_id, survey, score, submitted_at, complaint_id, is_happy)""")
    con.execute("""CREATE TABLE marts.customer_identity_map AS SELECT * FROM (VALUES
        ('r1', 'C1'), ('r2', 'C1'), ('r3', 'C1'), ('r4', 'C1')) t(node_id, customer_key)""")
    con.execute("""CREATE TABLE marts.complaint_ownership AS SELECT * FROM (VALUES
        ('C1', '1', TIMESTAMP '2026-01-05 08:00', TIMESTAMP '2026-01-09 08:00', 'solved'),
        ('C1', '2', TIMESTAMP '2026-01-10 08:00', NULL, 'open')
    ) t(customer_key, complaint_id, created_at, resolved_at, status)""")
    con.execute("""CREATE TABLE marts.customer_journey AS SELECT * FROM (VALUES
        ('C1', 1, TIMESTAMP '2026-01-05 08:00', 'complaint_opened', '1'),
        ('C1', 2, TIMESTAMP '2026-01-07 09:00', 'complaint_resolved', '1'),
        ('C1', 3, TIMESTAMP '2026-01-08 08:00', 'complaint_reopened', '1'),
        ('C1', 4, TIMESTAMP '2026-01-09 08:00', 'complaint_resolved', '1'),
        ('C1', 5, TIMESTAMP '2026-01-10 08:00', 'complaint_opened', '2')
    ) t(customer_key, seq, event_at, event_type, complaint_id)""")
    flagged = con.execute(
        f"SELECT response_id, complaint_id, complaint_state_then FROM "
        f"({_check_sql('F2_coverage__happy_survey_with_open_complaint')}) ORDER BY 1"
    ).fetchall()
    assert flagged == [("R2", "1", "reopened"), ("R3", "2", "opened")]


def test_unmapped_teams_are_found_in_workload_exports_and_dashboards_too() -> None:
    """A workload export's team and a dashboard's team missing from the team seed dropped silently out of
    the comparisons; a dashboard's row for all teams is no team."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA reference")
    con.execute("CREATE TABLE reference.team_mapping AS SELECT 'billing' AS source_value")
    con.execute("CREATE TABLE reference.kpi_total_labels AS SELECT 'total' AS label")
    con.execute("""CREATE TABLE staging.stg_service__complaints AS
        SELECT 'Billing' AS team_raw, true AS is_team_mapped""")
    con.execute("""CREATE TABLE staging.stg_service__complaint_events AS
        SELECT 'team' AS field, 'Billing' AS new_value, 'Billing' AS new_team""")
    con.execute("""CREATE TABLE staging.stg_operations__contacts AS
        SELECT 'Billing' AS team_raw, true AS is_team_mapped""")
    con.execute("""CREATE TABLE staging.stg_operations__workload AS SELECT * FROM (VALUES
        ('Collections', false, 'w.csv'), ('Billing', true, 'w.csv'), ('Q7', false, NULL)
    ) t(team_raw, is_team_mapped, source_file)""")  # Q7: a call log's day, counted with its contacts
    con.execute("""CREATE TABLE staging.stg_management__dashboard_kpis AS SELECT * FROM (VALUES
        ('team', 'Collections'), ('team', 'Billing'), ('team', 'Total'), ('team', NULL), ('region', 'North')
    ) t(dimension_name, dimension_value)""")
    flagged = con.execute(
        f"SELECT team, records, found_in FROM ({_check_sql('F6_taxonomy__unmapped_teams')})"
    )
    assert flagged.fetchall() == [("Collections", 2, "dashboards, workload")]


def test_survey_csat_and_ticket_rating_that_disagree_are_flagged() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("""CREATE TABLE marts.team_view_reconciliation AS SELECT * FROM (VALUES
        ('marketing_vs_service', 'Claims', DATE '2026-01-01', 1.0::DOUBLE, 0.0323::DOUBLE, 0.9677::DOUBLE, 'disagree'),
        ('marketing_vs_service', 'Billing', DATE '2026-01-01', 0.8, 0.79, 0.01, 'agree'),
        ('marketing_vs_service', 'Retention', DATE '2026-01-01', 0.8, NULL, NULL, 'missing_in_data')
    ) t(comparison, dimension_value, period_start, value_seen, value_unified, delta, status)""")
    flagged = con.execute(
        f"SELECT team, survey_satisfied_share, ticket_rating_good_share "
        f"FROM ({_check_sql('F3_kpi_agreement__survey_vs_ticket_rating')})"
    )
    assert flagged.fetchall() == [("Claims", 1.0, 0.0323)]


def test_a_history_that_starts_before_its_complaint_is_flagged() -> None:
    """A ticket export read in one time zone and its history in another: minutes below zero."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("""CREATE TABLE marts.complaint_ownership AS SELECT * FROM (VALUES
        ('11071', TIMESTAMP '2026-01-07 18:06:36', -425.15, -425.15, 120.0),
        ('11072', TIMESTAMP '2026-01-07 09:00:00', 30.0, 0.0, 600.0),
        ('11073', TIMESTAMP '2026-01-07 09:00:00', NULL, NULL, NULL)
    ) t(complaint_id, created_at, first_response_minutes, unassigned_minutes, first_resolution_minutes)""")
    flagged = con.execute(
        f"SELECT complaint_id FROM ({_check_sql('F5_ownership__history_before_creation')})"
    ).fetchall()
    assert flagged == [("11071",)]


def test_a_team_view_with_no_records_is_flagged() -> None:
    """A night with only ticket exports passed every check: three team views missing entirely."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    for table in ("complaints", "survey_responses", "contacts", "workload", "dashboard_kpis"):
        con.execute(f"CREATE TABLE raw.{table} (x INTEGER)")
    con.execute("INSERT INTO raw.complaints VALUES (1)")
    con.execute("INSERT INTO raw.workload VALUES (1)")  # operations' exported workload, no call log
    missing = con.execute(f"SELECT * FROM ({_check_sql('F7_timeliness__missing_team_views')})").fetchall()
    assert missing == [("management", "dashboard KPIs"), ("marketing", "survey responses")]


def test_a_phone_and_name_in_two_customers_is_a_split_unless_crm_numbers_or_birth_dates_differ() -> None:
    """One phone, one name, two customers: a split the matcher missed (flagged) unless both customers hold
    CRM numbers, or both birth dates, and share none (namesakes on one landline, a father and a son: the
    matcher's vetoes keep them apart, so they were false alarms). A customer without either is still a
    split, and so is a pair that shares a CRM number."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA intermediate; CREATE SCHEMA marts")
    con.execute("""CREATE TABLE intermediate.int_identity_nodes AS SELECT * FROM (VALUES
        ('a1', '+441', 'smith ann', 'X1', NULL), ('a2', '+441', 'smith ann', NULL, NULL),
        ('b1', '+442', 'jones bo', 'X2', DATE '1970-01-01'), ('b2', '+442', 'jones bo', 'X3', NULL),
        ('c1', '+443', 'hall cy', NULL, DATE '1950-02-03'), ('c2', '+443', 'hall cy', 'X4', DATE '1980-04-05'),
        ('d1', '+444', 'lee di', 'X5', NULL), ('d2', '+444', 'lee di', 'X5', DATE '1990-01-01'),
        ('e1', '+445', 'ng ed', 'X6', NULL), ('e2', '+445', 'ng ed', 'X7', NULL), ('e3', '+445', 'ng ed', NULL, NULL),
        ('f1', '+446', 'fox fay', NULL, NULL), ('f2', '+446', 'wu fay', NULL, NULL)
    ) t(node_id, phone_e164, name_key, crm_id, birth_date)""")
    con.execute("""CREATE TABLE marts.customer_identity_map AS SELECT * FROM (VALUES
        ('a1', 'A1'), ('a2', 'A2'), ('b1', 'B1'), ('b2', 'B2'), ('c1', 'C1'), ('c2', 'C2'), ('d1', 'D1'),
        ('d2', 'D2'), ('e1', 'E1'), ('e2', 'E2'), ('e3', 'E3'), ('f1', 'F1'), ('f2', 'F2')
    ) t(node_id, customer_key)""")
    flagged = con.execute(
        f"SELECT phone, customers FROM ({_check_sql('F1_identity__phone_and_name_in_two_customers')}) ORDER BY 1"
    ).fetchall()
    # E: X6 and X7 are two people, but the record without a number may be either (three customers named)
    assert flagged == [("+441", 2), ("+444", 2), ("+445", 3)]


def test_an_id_reused_for_a_record_that_began_days_apart_is_flagged_not_a_corrected_version() -> None:
    """Two files of one call log used id AA0101-30212 for calls 27 years apart: staging kept the newer
    export's call as "the newer version" and the other was in no mart, silently. A rolling export's
    versions of one call (same start, or a start corrected by hours) are versions, not reused ids."""
    from connectors.contracts import CONTRACTS, ddl

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(ddl(CONTRACTS["contacts"]))
    rows = [
        ("calls", "AA0101-30212", "2026-05-03 09:00", "calls/2026-05.txt", 7),
        ("calls", "AA0101-30212", "1999-02-01 07:02", "calls/1999-02.txt", 1),
        ("calls", "AA0101-1", "2026-05-03 09:00", "calls/day1.txt", 1),  # a rolling export: same call
        ("calls", "AA0101-1", "2026-05-03 09:00", "calls/day2.txt", 1),
        ("calls", "AA0101-2", "2026-05-03 09:00", "calls/day1.txt", 2),  # a start corrected by an hour
        ("calls", "AA0101-2", "2026-05-03 10:00", "calls/day2.txt", 2),
        ("other", "AA0101-30212", "2026-01-01 09:00", "other/a.txt", 1),  # another source's own id
    ]
    for source, contact_id, started_at, file, row in rows:
        con.execute(
            "INSERT INTO raw.contacts (_source, contact_id, started_at, _file, _row) VALUES (?, ?, ?, ?, ?)",
            [source, contact_id, started_at, file, row],
        )
    [spec] = [s for s in all_checks() if s.name == "F8_reused_ids__contacts"]
    assert spec.severity == "WARN"
    flagged = con.execute(
        "SELECT source, record_id, versions, earliest_file, earliest_row, latest_file, latest_row, days_apart "
        f"FROM ({spec.frame_sql(0)})"
    ).fetchall()
    assert flagged == [("calls", "AA0101-30212", 2, "calls/1999-02.txt", 1, "calls/2026-05.txt", 7, 9953.1)]
    assert {s.name for s in all_checks() if s.name.startswith("F8_reused_ids__")} == {
        "F8_reused_ids__complaints",
        "F8_reused_ids__survey_responses",
        "F8_reused_ids__contacts",
    }
