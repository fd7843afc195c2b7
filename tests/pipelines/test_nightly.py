"""The whole nightly, for real: Dagster in-process, DuckDB files, dbt build, GX checks, publish (SF 0.01)."""

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_unify.evaluate import evaluate
from cx_unify.nightly import run_nightly
from cx_unify.settings import DBT_PROJECT_DIR, load_settings
from expectations.suites import all_checks

pytestmark = pytest.mark.slow


@pytest.fixture
def nightly_home(cx_env: Path, faulted_landing: Path) -> Path:
    shutil.copytree(faulted_landing, cx_env / "landing")
    return cx_env


@pytest.fixture
def home_after_a_night(cx_env: Path, copy_of_faulted_night: Callable[[Path], Path]) -> Path:
    """CX_HOME after a night over the faulted landing folder that published (a copy of faulted_night)."""
    return copy_of_faulted_night(cx_env)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_nightly_end_to_end(nightly_home: Path) -> None:
    settings = load_settings()
    summary = run_nightly(settings, instance=dg.DagsterInstance.ephemeral())
    assert summary.success, summary.failed_steps
    truth = json.loads((settings.landing / "ground_truth.json").read_text())

    # row counts against the ground truth: every complaint and response, quarantine holds the rest
    assert summary.tables["raw.complaints"] == len(truth["records"]["complaints"]["record_id"])
    assert summary.tables["raw.survey_responses"] == len(truth["records"]["survey_responses"]["record_id"])
    invalid = sum(1 for f in truth["faults"] if f["kind"] == "invalid_row")
    assert summary.tables["ops.quarantine"] == invalid
    named = sum(len(t["record_id"]) for t in truth["records"].values())
    assert summary.tables["marts.customer_identity_map"] == named
    assert summary.tables["marts.customer_journey"] > named  # records plus handoffs, resolutions, reopens
    # the kept models' side tables (customer_journey__changes, ...) are bookkeeping, not tables of the night
    assert [table for table in summary.tables if "__" in table] == []

    # the analyst file opens read-only, carries the journey, comments and the README table
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        journey = con.execute("SELECT count(*) FROM marts.customer_journey").fetchall()[0][0]
        assert journey == summary.tables["marts.customer_journey"]
        readme = dict(con.execute("SELECT table_name, one_row_means FROM main.readme").fetchall())
        assert readme["marts.customer_journey"].startswith("One row per touchpoint")
        # every published table says what one row of it means (marts, seeds, the ops and quality tables)
        assert [name for name, means in readme.items() if not means] == []
        assert {"ops.ingest_files", "quality.check_results", "reference.team_mapping"} <= set(readme)
        comment = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'customer_journey' "
            "AND column_name = 'seq'"
        ).fetchall()[0][0]
        assert comment and "position" in comment
        # every column is described: the marts', the seeds', and those of the tables the pipeline's Python makes
        undescribed = con.execute(
            "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND comment IS NULL"
        ).fetchall()
        assert undescribed == []
        # every catalogue check of tonight is in the published file (publishing waits for them all)
        published_checks = {
            r[0]
            for r in con.execute(
                'SELECT "check" FROM quality.check_results WHERE run_id = ? AND "check" NOT LIKE \'dbt:%\'',
                [summary.run_id],
            ).fetchall()
        }
        assert published_checks == {spec.name for spec in all_checks()}
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE marts.x AS SELECT 1")
    finally:
        con.close()
    assert settings.report_html.read_text().startswith("<!doctype html>")

    # evaluate prints real numbers: identity favours precision and finds most of the pairs
    scores = evaluate(settings.warehouse, settings.landing / "ground_truth.json")
    assert scores["identity"]["pairwise_precision"] >= 0.98
    assert scores["identity"]["pairwise_recall"] >= 0.9
    assert scores["identity"]["coverage"] == 1.0
    # every injected dashboard offset shows as `disagree` with the injected size of gap
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        gaps = {
            (r[0], r[1], r[2], r[3].isoformat()): (r[4], r[5])
            for r in con.execute(
                "SELECT dashboard, metric, dimension_value, period_start, delta, status FROM marts.team_view_reconciliation "
                "WHERE comparison = 'management_vs_data'"
            ).fetchall()
        }
        ownership = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT complaint_id, is_unowned_too_long, team_handoffs, is_stalled FROM marts.complaint_ownership"
            ).fetchall()
        }
    finally:
        con.close()
    kpi_faults = [f for f in truth["faults"] if f["kind"].startswith("kpi_")]
    assert kpi_faults
    for fault in kpi_faults:
        delta, status = gaps[(fault["dashboard"], fault["metric"], fault["team"], fault["period_start"])]
        assert status == "disagree" and abs(delta - fault["gap"]) < 0.011, fault
    # every injected ownership fault appears in complaint_ownership
    for fault in truth["faults"]:
        if fault["kind"] == "complaint_no_owner":
            assert ownership[fault["complaint_id"]][0], fault
        elif fault["kind"] == "handoff_loop":
            assert ownership[fault["complaint_id"]][1] > 3, fault
        elif fault["kind"] == "open_past_sla_no_owner_change":
            assert ownership[fault["complaint_id"]][2], fault

    # every injected fault is flagged by the check that must catch it, and nothing else is flagged
    faults = scores["faults"]
    assert faults["injected"] > 0
    assert faults["detected"] == faults["injected"], {
        k: v for k, v in faults["by_kind"].items() if v["detected"] != v["injected"]
    }
    assert faults["false_alarms"] == []


def test_clean_night_raises_no_alarm_and_a_full_refresh_keeps_the_trend(
    cx_env: Path, clean_landing: Path
) -> None:
    shutil.copytree(clean_landing, cx_env / "landing")
    settings = load_settings()
    summary = run_nightly(settings, instance=dg.DagsterInstance.ephemeral())
    assert summary.success
    assert [c for c in summary.checks if not c[3]] == []  # no check failed: no false alarm
    con = duckdb.connect(str(settings.warehouse))
    try:
        statuses = con.execute("SELECT DISTINCT status FROM marts.team_view_reconciliation").fetchall()
        # an earlier night's row of the trend, which the data of tonight cannot make again
        con.execute(
            "INSERT INTO marts.fragmentation_scorecard BY NAME SELECT * REPLACE (DATE '2020-01-01' AS "
            "snapshot_date) FROM marts.fragmentation_scorecard"
        )
        before = con.execute("SELECT count(*) FROM marts.fragmentation_scorecard").fetchall()
    finally:
        con.close()
    assert statuses == [("agree",)]

    # cx-unify run --full-refresh: dbt builds every incremental model again, the trend stays
    refreshed = run_nightly(settings, instance=dg.DagsterInstance.ephemeral(), full_refresh=True)
    assert refreshed.success and [c for c in refreshed.checks if not c[3]] == []
    assert {k: v for k, v in refreshed.tables.items() if k.startswith("marts.")} == {
        k: v
        for k, v in summary.tables.items()
        if k.startswith("marts.") and k != "marts.fragmentation_scorecard"
    } | {"marts.fragmentation_scorecard": before[0][0]}
    (target,) = (DBT_PROJECT_DIR / "target").glob(f"dbt_models-{refreshed.run_id[:7]}-*")
    results = json.loads((target / "run_results.json").read_text())
    assert results["args"]["full_refresh"] is True


def test_blocking_check_failure_keeps_yesterdays_file(home_after_a_night: Path) -> None:
    settings = load_settings()
    published = _sha(settings.published_db)
    # a broken contract reaches raw without passing ingest (e.g. a manual load): F8 validity must block
    con = duckdb.connect(str(settings.warehouse))
    con.execute(
        "INSERT INTO raw.complaints (complaint_id, created_at, status, _source, _file, _file_sha256, _row,"
        " _ingested_at) VALUES (NULL, now()::TIMESTAMP, 'open', 'manual', 'manual.csv', 'x', 1, now()::TIMESTAMP)"
    )
    con.close()
    summary = run_nightly(settings, instance=dg.DagsterInstance.ephemeral())
    assert not summary.success
    assert ("F8_validity__complaints", "raw/complaints", "ERROR", False) in summary.checks
    assert _sha(settings.published_db) == published
    failures = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        steps = failures.execute("SELECT step, error FROM ops.run_failures").fetchall()
    finally:
        failures.close()
    # the step of raw/complaints' checks failed, and its error names the check
    assert any(
        step == "raw__complaints_checks" and "F8_validity__complaints" in error for step, error in steps
    ), steps


def test_a_file_that_cannot_be_loaded_stops_publishing_until_it_loads(
    home_after_a_night: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings()
    published = _sha(settings.published_db)
    tickets = sorted((home_after_a_night / "landing" / "zendesk").glob("tickets_*.csv"))[0]
    original = tickets.read_bytes()
    # a whole file ingest cannot map (its id column renamed): none of its rows can load
    header, rest = original.split(b"\n", 1)
    renamed = header.replace(b'"Id",', b'"Nummer",', 1)
    assert renamed != header
    tickets.write_bytes(renamed + b"\n" + rest)
    capsys.readouterr()

    summary = run_nightly(settings, instance=dg.DagsterInstance.ephemeral())
    assert not summary.success
    assert ("F8_ingest__complaints", "raw/complaints", "ERROR", False) in summary.checks
    assert _sha(settings.published_db) == published  # yesterday's analyst file stays
    # the run says which file and why, and the check's failing rows name it
    assert f"ingest failed: zendesk/{tickets.name}" in capsys.readouterr().err
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        sample = con.execute(
            "SELECT failing_sample FROM quality.check_results WHERE \"check\" = 'F8_ingest__complaints' "
            "ORDER BY checked_at DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    assert sample is not None and f"zendesk/{tickets.name}" in str(sample[0]), sample

    # put back as it was (bytes loaded before: ingest has nothing to do): the file no longer fails
    tickets.write_bytes(original)
    summary = run_nightly(settings, instance=dg.DagsterInstance.ephemeral())
    assert summary.success, summary.failed_steps
    assert ("F8_ingest__complaints", "raw/complaints", "ERROR", True) in summary.checks


def test_history_of_a_quarantined_ticket_is_flagged(nightly_home: Path) -> None:
    """A ticket quarantined for a bad creation time leaves its change history reaching no complaint: the
    night publishes, and F8_orphans names the ticket."""
    import csv
    import io

    landing = nightly_home / "landing" / "zendesk"
    with_history = {
        row["Ticket ID"]
        for path in landing.glob("ticket_updates_*.csv")
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    }
    tickets = sorted(landing.glob("tickets_*.csv"))[0]
    lines = tickets.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    number, row = next(
        (n, r) for n, r in enumerate(csv.reader(lines[1:]), start=1) if r[header.index("Id")] in with_history
    )
    row[header.index("Created at")] = "not-a-date"
    line = io.StringIO()
    csv.writer(
        line, quoting=csv.QUOTE_ALL, lineterminator=lines[number][len(lines[number].rstrip("\r\n")) :]
    ).writerow(row)
    lines[number] = line.getvalue()
    tickets.write_text("".join(lines), encoding="utf-8")

    settings = load_settings()
    summary = run_nightly(settings, instance=dg.DagsterInstance.ephemeral())
    assert summary.success, summary.failed_steps
    assert (
        "F8_orphans__complaint_events",
        "staging/stg_service__complaints",
        "WARN",
        False,
    ) in summary.checks
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        [(sample,)] = con.execute(
            "SELECT failing_sample FROM quality.check_results WHERE \"check\" = 'F8_orphans__complaint_events'"
        ).fetchall()
    finally:
        con.close()
    assert [r["complaint_id"] for r in json.loads(sample)] == [row[header.index("Id")]]


def test_a_failed_runs_log_holds_its_progress_and_errors(
    cx_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sources.yml mistake stops the run before it starts, naming the source and the key (not ZoneInfo's
    error). A night that fails in its steps (a landing file ingest cannot load) writes the console's lines
    to its log: the file and the reason once, the blocking check, and nothing is published."""
    from connectors.sources import SourceConfigError
    from cx_unify.settings import DEFAULT_SOURCES

    sources = cx_env.parent / "sources.yml"
    text = DEFAULT_SOURCES.read_text(encoding="utf-8")
    sources.write_text(
        text.replace("timezone: Europe/London", "timezone: America/NewYork", 1), encoding="utf-8"
    )
    monkeypatch.setenv("CX_SOURCES", str(sources))
    with pytest.raises(
        SourceConfigError, match="source 'zendesk_tickets': timezone 'America/NewYork' is not an"
    ):
        run_nightly(load_settings(), instance=dg.DagsterInstance.ephemeral())
    assert not (cx_env / "logs").exists()

    monkeypatch.delenv("CX_SOURCES")
    (cx_env / "landing" / "zendesk").mkdir(parents=True)
    (cx_env / "landing" / "zendesk" / "tickets_2026-05.csv").write_text('"Nummer"\n"1"\n', encoding="utf-8")
    summary = run_nightly(load_settings(), instance=dg.DagsterInstance.ephemeral())
    assert not summary.success and not summary.published_analyst_file and not summary.published_report
    assert summary.log_file is not None
    log = summary.log_file.read_text(encoding="utf-8")
    message = "✗ raw__complaints: ingest failed: zendesk/tickets_2026-05.csv: required column 'complaint_id'"
    assert log.count(message) == 1, log
    assert "FAIL F8_ingest__complaints on raw/complaints" in log
    assert "! raw__survey_responses: source 'qualtrics_csat': no file under" in log  # a warning line
    assert log in capsys.readouterr().err  # what the console showed
