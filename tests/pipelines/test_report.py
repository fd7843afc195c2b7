"""The diagnostic report: built from a small analyst file made here, read as text and in a real browser."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.publish.report import build_report
from pipelines.publish.report.handoffs import bounces, received_teams, transitions

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
TONIGHT, LAST_NIGHT = "run-tonight", "run-last-night"
ODD_CATEGORY = 'Fees <script>alert("x")</script> & "charges"'
QUESTIONS = [f"{n}. " for n in range(1, 7)]

# -- a small analyst file, shaped like the published one (same tables and columns) --------------------

OWNERSHIP_COLUMNS = """complaint_key VARCHAR, source VARCHAR, complaint_id VARCHAR, customer_key VARCHAR,
    created_at TIMESTAMP, status VARCHAR, is_resolved BOOLEAN, priority VARCHAR, channel VARCHAR,
    category VARCHAR, first_owner VARCHAR, last_owner VARCHAR, first_team VARCHAR, last_team VARCHAR,
    team_path VARCHAR, assignee_stations_count BIGINT, unique_owner_count BIGINT, owner_changes BIGINT,
    group_stations_count BIGINT, team_handoffs BIGINT, first_response_minutes DOUBLE,
    unassigned_minutes DOUBLE, unowned_minutes DOUBLE, first_resolution_minutes DOUBLE,
    final_resolution_minutes DOUBLE, resolved_at TIMESTAMP, total_resolutions BIGINT, count_reopens BIGINT,
    reopens BIGINT, sla_hours DOUBLE, is_sla_breached BOOLEAN, age_hours DOUBLE, is_unowned_too_long BOOLEAN,
    is_stalled BOOLEAN, as_of_at TIMESTAMP"""
AS_OF = datetime(2026, 10, 31, 23, 0)


def _complaint(
    complaint_id: str,
    path: str,
    *,
    owners: tuple[str | None, str | None] = ("Ann", "Ann"),
    owner_changes: int = 0,
    resolved_minutes: float | None = 600.0,
    reopens: int = 0,
    sla_hours: float = 48.0,
    breached: bool = False,
    age_hours: float = 500.0,
    unowned_minutes: float = 30.0,
    stalled: bool = False,
) -> tuple[Any, ...]:
    teams = path.split(" > ")
    resolved = resolved_minutes is not None
    return (
        f"zendesk|complaint|{complaint_id}", "zendesk", complaint_id, f"C{complaint_id}", datetime(2026, 10, 1),
        "closed" if resolved else "open", resolved, "high" if sla_hours == 48 else "normal", "email", "Refund",
        owners[0], owners[1], teams[0], teams[-1], path, owner_changes + 1, owner_changes + 1, owner_changes,
        len(teams), len(teams) - 1, 20.0, unowned_minutes, unowned_minutes, resolved_minutes, resolved_minutes,
        datetime(2026, 10, 2) if resolved else None, 1 + reopens if resolved else 0, reopens, reopens, sla_hours, breached,
        age_hours, unowned_minutes > 24 * 60 and owners[1] is None, stalled, AS_OF,
    )  # fmt: skip


def _create(con: duckdb.DuckDBPyConnection, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    con.execute(f"CREATE TABLE {table} ({columns})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", [list(r) for r in rows])


def make_analyst_file(path: Path, *, clean: bool = False) -> Path:
    """An analyst file with every table the report reads, a few rows each; `clean` = a night with no fault."""
    con = duckdb.connect(str(path))
    for schema in ("marts", "quality", "reference"):
        con.execute(f"CREATE SCHEMA {schema}")
    complaints = [
        _complaint("1", "Billing"),
        _complaint("2", "Accounts > Claims", owner_changes=1, resolved_minutes=1200.0),
        _complaint("3", "Billing > Accounts", owner_changes=1, resolved_minutes=900.0),
        _complaint("4", "Claims", owners=("Cy", "Cy"), resolved_minutes=None, sla_hours=96.0, age_hours=20.0),
    ]
    if not clean:
        complaints += [
            _complaint("5", "Billing > Accounts > Billing", owner_changes=2, resolved_minutes=3000.0, reopens=1,
                       breached=True),
            _complaint("6", "Billing > Accounts", owner_changes=1, resolved_minutes=2000.0),
            _complaint("7", "Claims", owners=(None, None), resolved_minutes=None, age_hours=33.3,
                       unowned_minutes=2000.0),
            _complaint("8", "Claims", owners=(None, None), resolved_minutes=None, age_hours=5.0,
                       unowned_minutes=300.0),
            _complaint("9", "Accounts", owners=("Bob", "Bob"), resolved_minutes=None, sla_hours=96.0,
                       breached=True, age_hours=200.0, stalled=True),
        ]  # fmt: skip
    _create(con, "marts.complaint_ownership", OWNERSHIP_COLUMNS, complaints)
    _create(
        con,
        "marts.customer_identity_map",
        "source VARCHAR, record_kind VARCHAR, source_record_id VARCHAR, node_id VARCHAR, customer_key VARCHAR, "
        "match_rule VARCHAR, match_probability DOUBLE",
        [("zendesk", "complaint", str(i), f"n{i}", f"C{i}", rule, None)
         for i, rule in enumerate(["system_id"] * 6 + ["email", "email", "probabilistic", "singleton"])],
    )  # fmt: skip
    _create(
        con,
        "marts.customers",
        "customer_key VARCHAR, first_seen_at TIMESTAMP, last_seen_at TIMESTAMP, complaints BIGINT, "
        "open_complaints BIGINT, survey_responses BIGINT, latest_score DOUBLE, latest_scale VARCHAR, "
        "mean_csat DOUBLE, contacts BIGINT, teams_touched BIGINT, sources BIGINT, identifiers BIGINT",
        [(f"C{i}", AS_OF, AS_OF, 1, 0, 1, 4.0, "csat_5", 4.0, 1, teams, 2, 2)
         for i, teams in enumerate([0, 1, 1, 2, 2, 2, 3])],
    )  # fmt: skip
    _create(
        con,
        "marts.customer_journey",
        "customer_key VARCHAR, event_at TIMESTAMP, seq BIGINT, event_type VARCHAR, team VARCHAR, department VARCHAR, "
        "channel VARCHAR, category VARCHAR, source VARCHAR, source_record_id VARCHAR, complaint_id VARCHAR, "
        "score DOUBLE, scale VARCHAR, owner VARCHAR, days_since_previous DOUBLE",
        [("C1", AS_OF, 1, "complaint_opened", "Billing", "Customer Service", "email", "Refund", "zendesk", "1", "1",
          None, None, "Ann", None),
         ("C1", AS_OF, 2, "survey_response", None, None, None, None, "qualtrics", "R1", None, 4.0, "csat_5", None,
          0.0)],
    )  # fmt: skip
    scorecard = []
    for night, agreement in ((datetime(2026, 10, 30).date(), 0.8), (datetime(2026, 10, 31).date(), 0.6)):
        scorecard += [
            (night, "service", "marketing", 80, 61, 41, 0.41, 0.7, 5, 1.0),
            (night, "service", "operations", 80, 50, 30, 0.30, 0.6, 10, 1.0),
            (night, "management", "service", 0, 80, 0, None, None, 5, 1.0 if clean else agreement),
        ]
    _create(
        con,
        "marts.fragmentation_scorecard",
        "snapshot_date DATE, team_a VARCHAR, team_b VARCHAR, customers_a BIGINT, customers_b BIGINT, "
        "shared_customers BIGINT, customer_overlap DOUBLE, linkable_record_rate DOUBLE, kpi_values_compared BIGINT, "
        "kpi_agreement_rate DOUBLE",
        scorecard,
    )
    _create(
        con,
        "marts.friction_hotspots",
        "category VARCHAR, team VARCHAR, channel VARCHAR, complaints BIGINT, complaint_share DOUBLE, "
        "reopen_rate DOUBLE, avg_team_handoffs DOUBLE, sla_breach_rate DOUBLE, unowned_rate DOUBLE, "
        "mean_csat DOUBLE, unhappy_share DOUBLE, surveyed_complaints BIGINT, abandonment_rate DOUBLE, "
        "friction_score DOUBLE, friction_rank BIGINT",
        [("Lost card", "Accounts", "phone", 12, 0.2, 0.1, 0.5, 0.2, 0.0, 3.5, 0.2, 5, 0.11, 0.30, 2),
         (ODD_CATEGORY, "Billing", "email", 20, 0.3, 0.25, 0.4, 0.3, 0.05, 3.1, 0.3, 10, 0.14, 0.35, 1),
         ("New claim", "Claims", "web", 5, 0.1, 0.0, 0.0, 0.0, 0.0, 4.5, 0.0, 2, 0.09, 0.05, 3)],
    )  # fmt: skip
    oct_start, oct_end = datetime(2026, 10, 1).date(), datetime(2026, 10, 31).date()
    sep_start, sep_end = datetime(2026, 9, 1).date(), datetime(2026, 9, 30).date()
    reconciliation = [
        (
            "management_vs_data",
            "Service Performance",
            AS_OF,
            "Complaints Received",
            "complaints_received",
            "team",
            "Accounts",
            oct_start,
            oct_end,
            50.0,
            50.0,
            0.0,
            0.0,
            "agree",
        ),
        (
            "management_vs_data",
            "Service Performance",
            AS_OF,
            "Complaints Received",
            "complaints_received",
            "team",
            "Billing",
            sep_start,
            sep_end,
            70.0,
            70.0,
            0.0,
            0.0,
            "agree",
        ),
        (
            "operations_vs_service",
            "operations workload",
            None,
            "phone complaints <= handled calls",
            "phone_complaints_vs_handled_calls",
            "team",
            "Claims",
            oct_start,
            oct_start,
            3.0,
            2.0,
            1.0,
            50.0,
            "agree",
        ),
        (
            "marketing_vs_service",
            "survey CSAT vs ticket rating",
            None,
            "share satisfied",
            "satisfied_share",
            "team",
            "Billing",
            sep_start,
            sep_end,
            0.7,
            0.72,
            -0.02,
            -2.8,
            "agree",
        ),
    ]
    if clean:
        reconciliation.append(
            (
                "management_vs_data",
                "Service Performance",
                AS_OF,
                "Complaints Received",
                "complaints_received",
                "team",
                "Billing",
                oct_start,
                oct_end,
                100.0,
                100.0,
                0.0,
                0.0,
                "agree",
            )
        )
    else:
        reconciliation += [
            ("management_vs_data", "Service Performance", AS_OF, "Complaints Received", "complaints_received",
             "team", "Billing", oct_start, oct_end, 88.0, 100.0, -12.0, -12.0, "disagree"),
            ("management_vs_data", "Service Performance", AS_OF, "Avg CSAT", "avg_csat", "team", "Billing",
             sep_start, sep_end, 4.1, 4.0, 0.1, 2.5, "disagree"),
            ("management_vs_data", "Service Performance", AS_OF, "Mystery KPI", None, "team", "Billing",
             oct_start, oct_end, 5.0, None, None, None, "missing_in_data"),
            ("operations_vs_service", "operations workload", None, "phone complaints <= handled calls",
             "phone_complaints_vs_handled_calls", "team", "Claims", oct_end, oct_end, 0.0, 4.0, -4.0, -100.0,
             "disagree"),
        ]  # fmt: skip
    _create(
        con,
        "marts.team_view_reconciliation",
        "comparison VARCHAR, dashboard VARCHAR, exported_at TIMESTAMP, metric VARCHAR, metric_key VARCHAR, "
        "dimension_name VARCHAR, dimension_value VARCHAR, period_start DATE, period_end DATE, value_seen DOUBLE, "
        "value_unified DOUBLE, delta DOUBLE, delta_pct DOUBLE, status VARCHAR",
        reconciliation,
    )
    sample = json.dumps([{"complaint_id": "7", "team": "Claims", "unowned_hours": 33.3}])
    checks = [
        (LAST_NIGHT, datetime(2026, 10, 31, 2, 5), "F5_ownership__unowned_complaints", "F5",
         "marts/complaint_ownership", "WARN", clean, 0.0 if clean else 1.0, 0.0, "[]", "open without owner"),
        (LAST_NIGHT, datetime(2026, 10, 31, 2, 5), "F1_identity__linked_share", "F1", "marts/customer_identity_map",
         "WARN", True, 0.9, 0.5, "[]", "linked share"),
        (TONIGHT, datetime(2026, 11, 1, 2, 5), "F1_identity__linked_share", "F1", "marts/customer_identity_map",
         "WARN", True, 0.9, 0.5, "[]", "share of records linked to a customer"),
        (TONIGHT, datetime(2026, 11, 1, 2, 6), "F5_ownership__unowned_complaints", "F5",
         "marts/complaint_ownership", "WARN", clean, 0.0 if clean else 1.0, 0.0, "[]" if clean else sample,
         "open complaints without an owner"),
        (TONIGHT, datetime(2026, 11, 1, 2, 6), "F3_kpi_agreement__dashboard_vs_data", "F3",
         "marts/team_view_reconciliation", "WARN", clean, 0.0 if clean else 2.0, 0.0, "[]", "dashboard KPI off"),
        (TONIGHT, datetime(2026, 11, 1, 2, 7), "F8_validity__complaints", "F8", "raw/complaints", "ERROR", clean,
         0.0 if clean else 1.0, 0.0, "[]", "raw.complaints keeps its contract"),
        (TONIGHT, datetime(2026, 11, 1, 2, 4), "dbt:not_null_stg_complaints_id", "dbt", "staging/stg", "ERROR",
         False, 1.0, 0.0, "[]", "a dbt test, left out of the report"),
    ]  # fmt: skip
    _create(
        con,
        "quality.check_results",
        'run_id VARCHAR, checked_at TIMESTAMP, "check" VARCHAR, family VARCHAR, asset VARCHAR, severity VARCHAR, '
        "passed BOOLEAN, observed_value DOUBLE, threshold DOUBLE, failing_sample JSON, description VARCHAR",
        checks,
    )
    readme = [(t, f"One row per {t.split('.')[-1]}.", 1) for (t,) in con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables ORDER BY 1").fetchall()]  # fmt: skip
    _create(con, "main.readme", "table_name VARCHAR, one_row_means VARCHAR, approx_rows BIGINT", readme)
    con.close()
    return path


def _build(tmp_path: Path, *, clean: bool = False, run_id: str = TONIGHT) -> str:
    analyst = make_analyst_file(tmp_path / "cx.duckdb", clean=clean)
    target = build_report(analyst, tmp_path / "out" / "report.html", run_id)
    return target.read_text(encoding="utf-8")


def _text(page: str) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _findings(page: str, anchor: str) -> list[str]:
    block = re.search(rf'<section id="{anchor}"><h2>.*?</h2><ul class="findings">(.*?)</ul>', page)
    assert block, anchor
    return [html.unescape(li) for li in re.findall(r"<li class=\"\w+\">(.*?)</li>", block.group(1))]


# -- the report as text ----------------------------------------------------------------------------------


def test_faulted_night_findings_come_from_the_data(tmp_path: Path) -> None:
    page = _build(tmp_path)
    assert page.startswith("<!doctype html>")
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert [h[:3] for h in headings if h[:1].isdigit()] == QUESTIONS
    assert "Tonight&#x27;s checks" in headings

    q1 = _findings(page, "q1-ownership")
    assert "2 open complaints have no owner, 1 of them for more than a day (the longest for 33 h)." in q1
    assert any(f.startswith("1 open complaint is past the SLA and never changed owner") for f in q1)
    q2 = _findings(page, "q2-signals")
    assert "Service and marketing share 41 % of their customers (41 of the 100 either of them knows)." in q2
    assert any(f.startswith("90 % of the 10 records that name a customer are linked") for f in q2)
    assert any(f.startswith("57 % of the 7 customers were handled by two or more teams") for f in q2)
    q3 = _findings(page, "q3-reality")
    assert q3[0] == (
        "The Service Performance dashboard put Billing's Complaints Received 12 % lower than the unified data "
        "for October 2026 (88 against 100)."
    )
    assert "2 of 5 dashboard KPI values disagree with the unified data, and 1 appears on one side only." in q3
    assert (
        "Management and service agree on only 60 % of the 5 KPI values compared between them "
        "(a value one of them lacks counts as no agreement)." in q3
    )
    assert any(f.startswith("Across 2 nightly snapshots, overall KPI agreement went down") for f in q3)
    q4 = _findings(page, "q4-failures")
    assert "1 complaint (11 %) was reopened after being resolved; most often at Billing (25 %)." in q4
    assert "2 complaints (22 %) breached their SLA; most often at Accounts (50 %)." in q4
    q5 = _findings(page, "q5-handoffs")
    assert q5[0] == (
        "4 complaints (44 %) moved between teams, 5 handoffs in all; the busiest route is Billing → Accounts (3)."
    )
    assert "1 complaint bounced back to a team it had already left, e.g. Billing → Accounts → Billing." in q5
    q6 = _findings(page, "q6-hotspots")
    assert q6[0].startswith(
        f"The worst hotspot is {ODD_CATEGORY} complaints to Billing by email: 20 complaints"
    )
    assert q6[0].endswith("mean CSAT 3.1 (of 10 surveyed complaints).")  # what the survey figures rest on
    checks = _findings(page, "checks")
    assert checks[0] == "3 of 4 checks failed tonight (1 at ERROR severity, 2 warnings)."
    assert checks[1].startswith("That is 2 more failures than the previous run (1 failed")

    summary = page.split('<div class="summary"', 1)[1].split("</div>", 1)[0]
    assert "12 % lower than the unified data" in html.unescape(summary)
    assert "3 of 4 checks failed tonight" in summary


def test_handoff_matrix_counts_each_change_of_team() -> None:
    assert transitions("Billing > Accounts > Billing") == [("Billing", "Accounts"), ("Accounts", "Billing")]
    assert transitions("Billing") == []
    assert bounces("Billing > Accounts > Billing")
    assert not bounces("Billing > Accounts > Claims")
    # "receives the most handed-over complaints" counts a complaint that came back to a team once
    assert received_teams("Billing > Claims > Accounts > Claims") == {"Claims", "Accounts"}


def test_charts_are_inline_svg_with_titles_and_axes(tmp_path: Path) -> None:
    page = _build(tmp_path)
    figures = re.findall(r'<figure class="chart"><figcaption>(.*?)</figcaption>(.*?)</figure>', page, re.S)
    svgs = [(title, svg) for title, svg in figures if svg.startswith("<svg")]
    assert len(svgs) >= 10, [t for t, _ in figures]
    for title, svg in svgs:
        assert re.search(r'width="[1-9]\d*" height="[1-9]\d*"', svg), title
        assert 'class="axis-title"' in svg, title
    # the heatmap holds the handoff counts, and the hotspot chart follows friction_rank
    assert "<title>Billing → Accounts: 3</title>" in page
    assert "<title>Accounts → Billing: 1</title>" in page
    assert "<title>Accounts → Claims: 1</title>" in page
    hotspot_chart = next(svg for title, svg in svgs if "friction hotspots" in title)
    order = [html.unescape(t) for t in re.findall(r'<rect class="bar"[^>]*><title>(.*?):', hotspot_chart)]
    assert order == [
        f"{ODD_CATEGORY} · Billing · email",
        "Lost card · Accounts · phone",
        "New claim · Claims · web",
    ]
    # the check history: one stacked column per run, tonight's 3 failures split by severity
    history = next(svg for title, svg in svgs if title.startswith("Failed checks per run"))
    assert "2026-11-01 02:04, ERROR: 1" not in history  # dbt rows are left out of the history
    assert "2026-11-01 02:05, ERROR: 1" in history and "2026-11-01 02:05, WARN: 2" in history


def test_checks_table_shows_tonight_without_dbt_tests(tmp_path: Path) -> None:
    page = _build(tmp_path)
    checks = page.split('<section id="checks">', 1)[1].split("</section>", 1)[0]
    assert "dbt:not_null_stg_complaints_id" not in checks
    assert checks.count('class="pill bad"') == 3 and checks.count('class="pill good"') == 1
    assert "F8_validity__complaints" in checks
    assert "&quot;unowned_hours&quot;: 33.3" in checks  # the failing sample, folded under <details>


def test_clean_night_says_so(tmp_path: Path) -> None:
    page = _build(tmp_path, clean=True)
    text = _text(page)
    assert "All 4 checks passed tonight: nothing flagged." in text
    assert "All 3 dashboard KPI values agree with the unified data." in text
    assert "Every open complaint has an owner." in text
    assert "No open complaint is stalled past its SLA." in text
    assert "No complaint was reopened after being resolved." in text
    assert "Worst gaps" not in text  # no table of disagreements when there is none
    assert 'class="bad"' not in page.split('<div class="summary"', 1)[1].split("</div>", 1)[0]


def test_a_night_without_data_is_not_all_clear(tmp_path: Path) -> None:
    """An empty landing folder published an empty file under a green "All checks passed"."""
    analyst = make_analyst_file(tmp_path / "cx.duckdb", clean=True)
    con = duckdb.connect(str(analyst))
    con.execute("DELETE FROM marts.customer_journey")
    con.close()
    page = build_report(analyst, tmp_path / "out" / "report.html", TONIGHT).read_text(encoding="utf-8")
    summary = page.split('<div class="summary"', 1)[1].split("</div>", 1)[0]
    assert "No customer record is in the analyst file" in html.unescape(summary)
    assert 'class="bad"' in summary


def test_a_night_of_anonymous_records_says_what_loaded_not_that_nothing_arrived(tmp_path: Path) -> None:
    """Anonymous survey responses loaded, none names a customer: the report said "no export arrived"."""
    analyst = make_analyst_file(tmp_path / "cx.duckdb", clean=True)
    with duckdb.connect(str(analyst)) as con:
        con.execute("DELETE FROM marts.customer_journey")
        con.execute("CREATE SCHEMA IF NOT EXISTS ops")
        con.execute("""CREATE TABLE ops.ingest_files AS SELECT * FROM (VALUES
            ('answers', 'survey_responses', 'q/a.csv', TIMESTAMP '2026-10-31 02:00', 'loaded', 5),
            ('answers', 'survey_responses', 'q/a.csv', TIMESTAMP '2026-10-30 02:00', 'loaded', 3),
            ('answers', 'survey_responses', 'q/b.csv', TIMESTAMP '2026-10-30 02:00', 'failed', 0),
            ('calls', 'workload', 'w/1.csv', TIMESTAMP '2026-10-31 02:00', 'loaded', 12)
        ) t(source, kind, file, ingested_at, status, rows_loaded)""")
    page = build_report(analyst, tmp_path / "out" / "report.html", TONIGHT).read_text(encoding="utf-8")
    summary = html.unescape(page.split('<div class="summary"', 1)[1].split("</div>", 1)[0])
    assert "No record in the analyst file names a customer" in summary
    assert "(5 survey responses, 12 workload)" in summary  # each file's latest load
    assert "no export arrived" not in summary


def test_sla_shares_are_of_the_complaints_whose_sla_status_is_known(tmp_path: Path) -> None:
    """Tickets exported without a resolution time have no SLA status: section 4 divided the breaches by
    every complaint (12 %) where the hotspots divide by the known ones (100 %), for the same team."""
    analyst = make_analyst_file(tmp_path / "cx.duckdb")
    with duckdb.connect(str(analyst)) as con:
        con.execute("UPDATE marts.complaint_ownership SET is_sla_breached = NULL WHERE NOT is_sla_breached")
        breached, total = con.execute(
            "SELECT count(*) FILTER (WHERE is_sla_breached), count(*) FROM marts.complaint_ownership"
        ).fetchone()
    page = build_report(analyst, tmp_path / "report.html", TONIGHT).read_text(encoding="utf-8")
    [finding] = [f for f in _findings(page, "q4-failures") if "SLA" in f]
    assert finding.startswith(
        f"{breached} complaints (100 % of the {breached} whose SLA status is known; {total - breached} without "
        "an SLA or a resolution time) breached their SLA"
    ), finding
    with duckdb.connect(str(analyst)) as con:
        con.execute("UPDATE marts.complaint_ownership SET is_sla_breached = NULL")
        con.execute("""UPDATE marts.complaint_ownership SET final_resolution_minutes = NULL WHERE complaint_id =
            (SELECT min(complaint_id) FROM marts.complaint_ownership WHERE final_resolution_minutes IS NOT NULL)""")
        timed, resolved = con.execute(
            "SELECT count(final_resolution_minutes), count(*) FROM marts.complaint_ownership WHERE is_resolved"
        ).fetchone()
    page = build_report(analyst, tmp_path / "report.html", TONIGHT).read_text(encoding="utf-8")
    assert "No complaint's SLA status is known" in _text(page)
    assert f"(of the {timed} of {resolved} with a resolution time)." in _text(
        page
    )  # the median rests on them


def test_teams_the_team_mapping_lacks_are_named_where_customers_are_counted_by_teams(tmp_path: Path) -> None:
    """A call log's queue codes (PS, NE) counted as teams made "handled by two or more teams" of one team."""
    analyst = make_analyst_file(tmp_path / "cx.duckdb")
    with duckdb.connect(str(analyst)) as con:
        con.execute(
            "CREATE TABLE reference.team_mapping AS SELECT 'billing' AS source_value, 'Billing' AS team"
        )
        con.execute("UPDATE marts.customer_journey SET team = 'PS' WHERE seq = 1")
    page = build_report(analyst, tmp_path / "report.html", TONIGHT).read_text(encoding="utf-8")
    [finding] = [f for f in _findings(page, "q2-signals") if "two or more teams" in f]
    assert finding.endswith(
        "1 of these teams is counted as written, not in the team mapping (PS: F6_taxonomy__unmapped_teams): "
        "two such names may be one team."
    ), finding
    with duckdb.connect(str(analyst)) as con:
        con.execute("UPDATE marts.customer_journey SET team = 'Billing' WHERE team IS NOT NULL")
    page = build_report(analyst, tmp_path / "report.html", TONIGHT).read_text(encoding="utf-8")
    assert "counted as written" not in page


def test_unknown_run_shows_the_latest_checks_and_says_so(tmp_path: Path) -> None:
    text = _text(_build(tmp_path, run_id="a-run-without-checks"))
    assert (
        "Run a-run-without-checks ran no checks (it built a selection of assets); below is the latest "
        in text
    )
    assert "3 of 4 checks failed in their latest results" in text


def test_a_re_executed_night_counts_the_checks_of_the_run_it_continues(tmp_path: Path) -> None:
    """Tonight's run failed in dbt after its raw checks; a re-execution from failure ran the rest (and F5
    again, now passing). The report counts the night's checks, each at its latest result, and compares
    with last night, not with the failed run."""
    analyst = make_analyst_file(tmp_path / "cx.duckdb")
    con = duckdb.connect(str(analyst))
    con.execute(
        "INSERT INTO quality.check_results VALUES "
        "('run-resumed', '2026-11-01 03:05', 'F5_ownership__unowned_complaints', 'F5', "
        "'marts/complaint_ownership', 'WARN', true, 0, 0, '[]', 'open complaints without an owner'), "
        "('run-resumed', '2026-11-01 03:06', 'F2_journey__orphans', 'F2', 'marts/customer_journey', 'WARN', "
        "true, 0, 0, '[]', 'journey rows without a customer')"
    )
    con.close()
    alone = _text(build_report(analyst, tmp_path / "alone.html", "run-resumed").read_text(encoding="utf-8"))
    assert "Run run-resumed ran 2 of the 5 checks; below is the latest result of each" in alone
    assert "2 of 5 checks failed in their latest results" in alone  # not "All 2 checks passed tonight"
    text = _text(
        build_report(analyst, tmp_path / "night.html", "run-resumed", [TONIGHT]).read_text(encoding="utf-8")
    )
    assert "2 of 5 checks failed tonight (1 at ERROR severity, 1 warning)." in text
    assert "That is 1 more failure than the previous run (1 failed, 2026-10-31 02:05 UTC)." in text
    checks = text.split("Run run-resumed", 1)[1]
    assert checks.count("F5_ownership__unowned_complaints") == 1 and "F8_validity__complaints" in checks


def test_one_scorecard_snapshot_says_how_snapshots_are_dated(tmp_path: Path) -> None:
    """Several nights without newer data leave one snapshot: the note must not say "only one night"."""
    analyst = make_analyst_file(tmp_path / "cx.duckdb")
    with duckdb.connect(str(analyst)) as con:
        con.execute("DELETE FROM marts.fragmentation_scorecard WHERE snapshot_date < DATE '2026-10-31'")
    text = _text(build_report(analyst, tmp_path / "report.html", TONIGHT).read_text(encoding="utf-8"))
    assert "The scorecard holds one snapshot so far (2026-10-31)." in text
    assert "a night that brings no newer data replaces it" in text
    assert "KPI agreement per pair of team views (snapshot of 2026-10-31)" in text
    assert "Across " not in text


def test_older_analyst_file_without_marts(tmp_path: Path) -> None:
    analyst = tmp_path / "old.duckdb"
    con = duckdb.connect(str(analyst))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE SCHEMA quality")
    # an older complaint_ownership, before is_stalled and unowned_minutes existed; no other marts
    con.execute(
        "CREATE TABLE marts.complaint_ownership AS SELECT '1' AS complaint_id, 'Billing' AS team_path"
    )
    con.execute(
        "CREATE TABLE main.readme AS SELECT 'marts.complaint_ownership' AS table_name, 'x' AS one_row_means"
    )
    con.close()
    target = build_report(analyst, tmp_path / "report.html", TONIGHT)
    text = _text(target.read_text(encoding="utf-8"))
    assert "Could not be computed from this analyst file" in text
    assert "marts.friction_hotspots is not in this analyst file" in text
    assert "No check results: the analyst file has no quality.check_results." in text
    assert re.findall(r"<h2>(\d)\. ", target.read_text(encoding="utf-8")) == list("123456")


def test_text_is_escaped_and_nothing_comes_from_the_network(tmp_path: Path) -> None:
    page = _build(tmp_path)
    assert "<script" not in page
    assert html.escape(ODD_CATEGORY) in page
    assert "://" not in page  # no CDN, font, script or image address of any kind
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=", page)


def test_written_atomically_over_the_previous_report(tmp_path: Path) -> None:
    analyst = make_analyst_file(tmp_path / "cx.duckdb")
    target = tmp_path / "published" / "report.html"
    target.parent.mkdir()
    target.write_text("old report")
    assert build_report(analyst, target, TONIGHT) == target
    assert target.read_text().startswith("<!doctype html>")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


# -- the report in a real browser ------------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
]  # fmt: skip
# injected into a copy of the page: record errors first, measure what was drawn last
PROBE_HEAD = """<script>window.__errors=[];addEventListener('error',e=>__errors.push(String(e.message||e.type)),true);
const __ce=console.error;console.error=(...a)=>{__errors.push(a.join(' '));__ce.apply(console,a)};</script>"""
PROBE_END = """<script>(()=>{const size=el=>{const r=el.getBoundingClientRect();return [r.width,r.height]};
const out={charts:[...document.querySelectorAll('svg')].map(s=>({label:s.getAttribute('aria-label'),
size:size(s),marks:[...s.querySelectorAll('rect,circle')].filter(m=>{const [w,h]=size(m);return w>0&&h>0}).length})),
headings:[...document.querySelectorAll('h2')].map(h=>h.textContent),errors:__errors,
resources:performance.getEntriesByType('resource').map(e=>e.name),height:document.documentElement.scrollHeight,
width:document.documentElement.scrollWidth};
const pre=document.createElement('pre');pre.id='probe';pre.textContent=JSON.stringify(out);
document.body.appendChild(pre)})()</script>"""


def _chromium(binary: str, tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{time.monotonic_ns()}"  # a fresh user data dir for every launch
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    page = _build(tmp_path)
    report = tmp_path / "out" / "report.html"
    probed = tmp_path / "probed.html"
    long_value = "https://bi.example.com/dashboards/" + "x" * 400  # one unbroken token, as exports carry
    probed.write_text(
        page.replace("<head>", "<head>" + PROBE_HEAD, 1)
        .replace("</body>", PROBE_END + "</body>", 1)
        .replace("</ul>", f'<li class="bad">{long_value}</li></ul>', 1)
        .replace("</td></tr>", f"</td></tr><tr><td>{long_value}</td></tr>", 1)
    )

    dumped = _chromium(binary, tmp_path, probed.as_uri(), "--window-size=1280,1000", "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', dumped.stdout, re.S)
    assert found, dumped.stdout[-2000:]
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["errors"] == [] and _console_lines(dumped.stderr) == []
    assert probe["resources"] == []  # nothing loaded: the page is self-contained
    assert probe["width"] <= 1280, probe["width"]  # a long value wraps instead of widening the page
    assert [h[:3] for h in probe["headings"] if h[:1].isdigit()] == QUESTIONS
    assert len(probe["charts"]) >= 10
    for chart in probe["charts"]:
        assert chart["size"][0] > 100 and chart["size"][1] > 50, chart
        assert chart["marks"] > 0, chart

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    screenshot.unlink(missing_ok=True)
    height = min(int(probe["height"]), 16000)
    shot = _chromium(
        binary, tmp_path, report.as_uri(), f"--window-size=1280,{height}", f"--screenshot={screenshot}"
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert _console_lines(shot.stderr) == []
    assert _png_size(screenshot) == (1280, height)
    assert screenshot.stat().st_size > 50_000  # a rendered page, not a blank one


def test_team_possessive_reads_naturally() -> None:
    from pipelines.publish.report.reality import _subject

    assert _subject("Calls Handled", "team", "General Enquiries") == "General Enquiries' Calls Handled"
    assert _subject("Calls Handled", "team", "Billing") == "Billing's Calls Handled"
    assert _subject("Calls Handled", "queue", "VIP") == "Calls Handled for queue VIP"


def test_shares_near_zero_or_whole_keep_the_decimals_that_tell_them_apart() -> None:
    from pipelines.publish.report.markup import pct

    assert pct(0.41) == "41 %"
    assert pct(0.072) == "7.2 %"
    assert pct(0.0997) == "10 %"  # below 10 % only before rounding
    assert pct(0.996) == "99.6 %"  # not "100 %" beside "3 of 830 disagree"
    assert pct(0.9996) == "99.96 %"
    assert pct(0.0004) == "0.04 %"
    assert pct(1.0) == "100 %" and pct(0.0) == "0 %" and pct(None) == "–"
