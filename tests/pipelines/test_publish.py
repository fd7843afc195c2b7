"""The analyst file: PII masked, comments and README kept, swapped in atomically."""

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.publish import analyst_file
from pipelines.publish.analyst_file import publish_analyst_file


def _warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.people AS SELECT 'C1' AS customer_key, 'ann@example.com' AS customer_email, "
        "'+447911123456' AS phone_e164, 'Ann Lee' AS customer_name, 3 AS complaints, "
        "42::UBIGINT AS source_fingerprint"
    )
    con.execute("COMMENT ON TABLE marts.people IS 'One row per person.'")
    con.execute("COMMENT ON COLUMN marts.people.complaints IS 'Complaints raised.'")
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.secret AS SELECT 'not published' AS x")
    con.close()


def test_pii_is_masked_and_docs_survive(tmp_path: Path) -> None:
    _warehouse(tmp_path / "w.duckdb")
    result = publish_analyst_file(tmp_path / "w.duckdb", tmp_path / "pub" / "cx.duckdb", salt="s1")
    con = duckdb.connect(str(result.path), read_only=True)
    try:
        row = con.execute(
            "SELECT customer_key, customer_email, phone_e164, customer_name, complaints FROM marts.people"
        ).fetchall()[0]
        assert row[0] == "C1" and row[4] == 3
        for masked in row[1:4]:
            assert masked.startswith("h:") and "@" not in masked and "Ann" not in masked
        tables = {
            r[0]
            for r in con.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables()").fetchall()
        }
        assert "raw.secret" not in tables and "marts.people" in tables
        columns = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'people'"
            ).fetchall()
        }
        assert "source_fingerprint" not in columns  # incremental builds' bookkeeping, not data
        readme = dict(con.execute("SELECT table_name, one_row_means FROM main.readme").fetchall())
        assert readme["marts.people"] == "One row per person."
        assert readme["main.readme"].endswith("read-only snapshot, PII masked.")  # its rows say so too
        comment = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE column_name = 'complaints'"
        ).fetchall()
        assert comment == [("Complaints raised.",)]
    finally:
        con.close()
    assert sorted(result.masked_columns) == [
        "marts.people.customer_email",
        "marts.people.customer_name",
        "marts.people.phone_e164",
    ]
    # the same salt gives the same hash (joins across nights still work); another salt another hash
    again = publish_analyst_file(tmp_path / "w.duckdb", tmp_path / "pub2" / "cx.duckdb", salt="s1")
    other = publish_analyst_file(tmp_path / "w.duckdb", tmp_path / "pub3" / "cx.duckdb", salt="s2")

    def email(path: Path) -> str:
        c = duckdb.connect(str(path), read_only=True)
        try:
            return c.execute("SELECT customer_email FROM marts.people").fetchall()[0][0]
        finally:
            c.close()

    assert email(again.path) == email(result.path) != email(other.path)


def test_masking_can_be_turned_off(tmp_path: Path) -> None:
    _warehouse(tmp_path / "w.duckdb")
    result = publish_analyst_file(tmp_path / "w.duckdb", tmp_path / "cx.duckdb", salt="s", mask_pii=False)
    con = duckdb.connect(str(result.path), read_only=True)
    try:
        assert con.execute("SELECT customer_email FROM marts.people").fetchall() == [("ann@example.com",)]
    finally:
        con.close()


def test_a_reader_keeps_its_snapshot_while_a_new_file_is_swapped_in(tmp_path: Path) -> None:
    _warehouse(tmp_path / "w.duckdb")
    target = tmp_path / "pub" / "cx.duckdb"
    publish_analyst_file(tmp_path / "w.duckdb", target, salt="s")
    reader = duckdb.connect(str(target), read_only=True)  # an analyst with the file open
    try:
        con = duckdb.connect(str(tmp_path / "w.duckdb"))
        con.execute("UPDATE marts.people SET complaints = 4")
        con.close()
        (target.parent / ".cx.duckdb.building-dead").write_bytes(b"left by a killed run")
        publish_analyst_file(tmp_path / "w.duckdb", target, salt="s")  # not blocked by the reader
        assert reader.execute("SELECT complaints FROM marts.people").fetchall() == [(3,)]  # old snapshot
    finally:
        reader.close()
    fresh = duckdb.connect(str(target), read_only=True)
    try:
        assert fresh.execute("SELECT complaints FROM marts.people").fetchall() == [(4,)]
    finally:
        fresh.close()
    assert [p.name for p in target.parent.iterdir()] == ["cx.duckdb"]  # no half-built file left behind


KEPT = {"marts.visits": ["customer_key"]}


def _kept_warehouse(path: Path) -> None:
    """marts.visits is kept by fingerprint (one per customer); marts.people is not."""
    _warehouse(path)
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE marts.visits AS SELECT * FROM (VALUES ('C1', 1, 'ann@example.com', 11::UBIGINT), "
        "('C1', 2, 'ann@example.com', 11), ('C2', 1, NULL, 21), ('C3', 1, 'cy@example.com', 31)) "
        "AS t(customer_key, seq, customer_email, source_fingerprint)"
    )
    con.close()


def _contents(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            f"{s}.{t}"
            for s, t in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2"
            ).fetchall()
        ]
        return {n: sorted(con.execute(f"SELECT * FROM {n}").fetchall(), key=str) for n in names}
    finally:
        con.close()


def test_a_night_rewrites_only_the_keys_whose_fingerprints_changed(tmp_path: Path) -> None:
    warehouse, target = tmp_path / "w.duckdb", tmp_path / "pub" / "cx.duckdb"
    _kept_warehouse(warehouse)
    assert publish_analyst_file(warehouse, target, salt="s", kept_marts=KEPT).patched == {}  # first: in full
    con = duckdb.connect(str(warehouse))
    con.execute("DELETE FROM marts.visits WHERE customer_key IN ('C2', 'C3')")  # C2 rebuilt, C3 gone
    con.execute("INSERT INTO marts.visits VALUES ('C2', 1, 'bo@example.com', 22), ('C4', 1, NULL, 41)")
    # a change the fingerprint does not show: only a rewrite of the key would publish it
    con.execute("UPDATE marts.visits SET seq = 9 WHERE customer_key = 'C1' AND seq = 2")
    con.execute("UPDATE marts.people SET complaints = 4")  # not kept: written in full
    con.close()
    result = publish_analyst_file(warehouse, target, salt="s", kept_marts=KEPT)
    assert result.patched == {"marts.visits": 3}
    published = _contents(target)
    visits = [(key, seq) for key, seq, _ in published["marts.visits"]]
    assert sorted(visits) == [("C1", 1), ("C1", 2), ("C2", 1), ("C4", 1)]  # C1 kept as published
    assert [r[4] for r in published["marts.people"]] == [4]
    emails = {key: email for key, _, email in published["marts.visits"]}
    assert emails["C2"].startswith("h:") and emails["C4"] is None  # inserted rows are masked too
    # with the C1 change reverted, the patched file holds what a file written in full holds
    con = duckdb.connect(str(warehouse))
    con.execute("UPDATE marts.visits SET seq = 2 WHERE customer_key = 'C1' AND seq = 9")
    con.close()
    full = publish_analyst_file(warehouse, tmp_path / "full" / "cx.duckdb", salt="s")
    assert _contents(target) == _contents(full.path)


def test_what_the_record_does_not_describe_is_written_in_full(tmp_path: Path, monkeypatch) -> None:
    warehouse, target = tmp_path / "w.duckdb", tmp_path / "pub" / "cx.duckdb"
    _kept_warehouse(warehouse)

    def publish(salt: str = "s", kept: dict[str, list[str]] = KEPT) -> dict[str, int]:
        return publish_analyst_file(warehouse, target, salt=salt, kept_marts=kept).patched

    publish()
    assert publish() == {"marts.visits": 0}
    assert publish(salt="other") == {}  # another salt
    assert publish(salt="other", kept={"marts.visits": ["customer_key", "seq"]}) == {}  # other keys
    assert publish(salt="other") == {}
    shutil.copyfile(target, tmp_path / "copy.duckdb")  # someone puts another file in its place
    os.replace(tmp_path / "copy.duckdb", target)
    assert publish(salt="other") == {}
    monkeypatch.setattr(analyst_file, "GROWTH_LIMIT", 0.5)  # the patched file grew too much
    assert publish(salt="other") == {}
    monkeypatch.undo()
    assert publish(salt="other") == {"marts.visits": 0}


def test_a_night_that_fails_leaves_a_record_the_next_night_can_trust(tmp_path: Path, monkeypatch) -> None:
    warehouse, target = tmp_path / "w.duckdb", tmp_path / "pub" / "cx.duckdb"
    _kept_warehouse(warehouse)
    publish_analyst_file(warehouse, target, salt="s", kept_marts=KEPT)

    def rebuild_c1(fingerprint: int) -> None:
        con = duckdb.connect(str(warehouse))
        con.execute(
            "UPDATE marts.visits SET source_fingerprint = ?, seq = seq + 10 WHERE customer_key = 'C1'",
            [fingerprint],
        )
        con.close()

    def c1_published() -> list[int]:
        return sorted(r[1] for r in _contents(target)["marts.visits"] if r[0] == "C1")

    def publish_failing_in(step: str) -> None:
        def fail(*args: object) -> None:
            raise RuntimeError("killed")

        monkeypatch.setattr(analyst_file, step, fail)
        with pytest.raises(RuntimeError):
            publish_analyst_file(warehouse, target, salt="s", kept_marts=KEPT)
        monkeypatch.undo()

    rebuild_c1(12)
    publish_failing_in("_write_readme")  # before the swap: the live file and its record stay
    assert c1_published() == [1, 2]
    assert publish_analyst_file(warehouse, target, salt="s", kept_marts=KEPT).patched == {"marts.visits": 1}
    assert c1_published() == [11, 12]
    rebuild_c1(13)
    publish_failing_in("_remember_published")  # after the swap: the record is of the file replaced
    assert c1_published() == [21, 22]
    rebuild_c1(14)
    assert publish_analyst_file(warehouse, target, salt="s", kept_marts=KEPT).patched == {}  # in full
    assert c1_published() == [31, 32]
    assert publish_analyst_file(warehouse, target, salt="s", kept_marts=KEPT).patched == {"marts.visits": 0}


def test_pii_in_check_samples_is_masked_as_in_the_columns(tmp_path: Path) -> None:
    """A check's failing sample names rows by their columns (an email two customers share, a phone and a
    name): values under PII column names are masked like the columns themselves, at any depth, in the
    analyst file (and so in the report, which reads it); other values stay readable."""
    _warehouse(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA quality")
    con.execute('CREATE TABLE quality.check_results ("check" VARCHAR, failing_sample JSON)')
    sample = [
        {
            "phone": "+447911123456",
            "name_key": "lee ann",
            "customers": 2,
            "nested": {"customer_email": "ann@example.com"},
        },
        {"email": None},
        {  # a quarantine reason quotes the value it read: a record whose columns slipped
            "reason": "column 'created_at' (header 'Created at'): expected a timestamp like %Y-%m-%d %H:%M:%S "
            "(UTC), got 'Ann O' Lee <ann@example.com>'",
            "file": "zendesk/tickets_2026-07.csv",
        },
    ]
    con.execute("INSERT INTO quality.check_results VALUES ('F1_identity__x', ?)", [json.dumps(sample)])
    con.close()
    result = publish_analyst_file(tmp_path / "w.duckdb", tmp_path / "pub" / "cx.duckdb", salt="s1")
    published = duckdb.connect(str(result.path), read_only=True)
    try:
        [(sample, phone)] = published.execute(
            "SELECT failing_sample::VARCHAR, (SELECT phone_e164 FROM marts.people) FROM quality.check_results"
        ).fetchall()
    finally:
        published.close()
    assert "+44" not in sample and "lee ann" not in sample and "@" not in sample
    rows = json.loads(sample)
    assert rows[0]["phone"] == phone and rows[0]["customers"] == 2  # the column's hash: joins still work
    assert rows[0]["name_key"].startswith("h:") and rows[0]["nested"]["customer_email"].startswith("h:")
    assert rows[1] == {"email": None}
    assert rows[2]["reason"].startswith(
        "column 'created_at' (header 'Created at'): expected a timestamp like"
    )
    assert (
        rows[2]["reason"].endswith("got 'h:" + rows[2]["reason"].split("got 'h:")[1])
        and "Ann" not in sample
        and "Lee" not in sample
    )
    assert rows[2]["file"] == "zendesk/tickets_2026-07.csv"


def test_free_text_that_may_quote_records_is_masked(tmp_path: Path) -> None:
    """A file without its header row failed with an error quoting its first record as the file's headers
    (a name, a phone, a birth date); a free-text category held a phone number; a check listed CRM numbers:
    all published in clear. ops' errors and notes are masked as the failing samples are; dates, times and
    ids are no phone numbers. With masking off, the file's readme says so."""
    _warehouse(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA ops")
    error = (
        "t.csv: required column 'complaint_id' not found: the file has none of ['Id', 'id'] (file headers: "
        "['100927', 'Dagny Leakprobe', '+44 7700 900777', '1966-06-16']); warning: column 'status' left "
        "empty: the file has no column 'Status' (did you mean 'Dagny Leakprobe'?)"
    )
    con.execute(
        "CREATE TABLE ops.ingest_files AS SELECT 't.csv' AS file, ? AS error, ? AS notes", [error, error]
    )
    con.execute("CREATE TABLE ops.run_failures AS SELECT 'ingest' AS step, ? AS error", [error])
    con.execute("CREATE SCHEMA quality")
    con.execute('CREATE TABLE quality.check_results ("check" VARCHAR, failing_sample JSON)')
    sample = [
        {"customer_key": "C1", "crm_ids": ["12345", "67890"], "customer_birth_date": "1966-06-16"},
        {
            "category": "call me on 07700 900123",
            "created_at": "2026-09-24 07:14:21",
            "ticket": "1500000006018",
        },
        {  # a quarantine reason an older version wrote (the value not in got '...'), kept in ops.quarantine
            "reason": "column 'customer_birth_date' (header 'Requester birth date'): 2035-03-14 is in the "
            "future (expected a time up to now); column 'created_at' (header 'Created'): 2035-03-15 is in "
            "the future"
        },
    ]
    con.execute("INSERT INTO quality.check_results VALUES ('F1', ?)", [json.dumps(sample)])
    con.close()
    result = publish_analyst_file(tmp_path / "w.duckdb", tmp_path / "pub" / "cx.duckdb", salt="s1")
    published = duckdb.connect(str(result.path), read_only=True)
    try:
        texts = published.execute(
            "SELECT error || notes || (SELECT error FROM ops.run_failures) FROM ops.ingest_files"
        ).fetchone()[0]
        [rows] = published.execute("SELECT failing_sample::VARCHAR FROM quality.check_results").fetchone()
        readme = published.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'readme'"
        ).fetchone()[0]
    finally:
        published.close()
    for secret in ("Dagny", "7700", "1966", "2035-03-14"):
        assert secret not in texts and secret not in rows, (secret, texts, rows)
    assert "required column 'complaint_id' not found: the file has none of ['Id', 'id']" in texts
    assert "(did you mean 'h:" in texts and "(file headers: [h:" in texts
    [crm, free, old_reason] = json.loads(rows)
    assert old_reason["reason"].startswith("column 'customer_birth_date' (header 'Requester birth date'): h:")
    assert old_reason["reason"].endswith(
        "column 'created_at' (header 'Created'): 2035-03-15 is in the future"
    )
    assert crm["customer_key"] == "C1" and all(v.startswith("h:") for v in crm["crm_ids"])
    assert free["created_at"] == "2026-09-24 07:14:21" and free["ticket"] == "1500000006018"
    assert free["category"].startswith("call me on h:")
    assert readme.endswith("PII masked.")

    unmasked = publish_analyst_file(
        tmp_path / "w.duckdb", tmp_path / "pub2" / "cx.duckdb", salt="s1", mask_pii=False
    )
    published = duckdb.connect(str(unmasked.path), read_only=True)
    try:
        readme = published.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'readme'"
        ).fetchone()[0]
        assert "Dagny" in published.execute("SELECT error FROM ops.ingest_files").fetchone()[0]
    finally:
        published.close()
    assert "PII NOT masked (CX_MASK_PII off)" in readme


def test_publishing_alone_is_refused_while_a_blocking_check_fails(cx_env: Path, tmp_path: Path) -> None:
    """A run of the publish assets alone (the UI) published after a run whose ERROR check failed: the
    checks block publishing only within their own run. The analyst file asset looks at each catalogue
    check's latest result."""
    import dagster as dg

    from cx_unify.settings import load_settings
    from pipelines.publish.assets import analyst_file as analyst_file_asset
    from pipelines.quality.results import DDL as RESULTS_DDL
    from pipelines.resources import warehouse_resource

    settings = load_settings()
    settings.export()
    _warehouse(settings.warehouse)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("CREATE SCHEMA quality")
    con.execute(RESULTS_DDL)
    con.execute(
        "INSERT INTO quality.check_results VALUES "
        "('night', '2026-11-30 02:05', 'F8_ingest__complaints', 'F8', 'raw/complaints', 'ERROR', true, 0, 0, "
        "'[]', ''), "
        "('ui-run', '2026-11-30 09:00', 'F8_ingest__complaints', 'F8', 'raw/complaints', 'ERROR', false, 1, 0, "
        "'[]', ''), "
        "('old', '2026-01-01 02:00', 'F0_retired_check', 'F0', 'raw/complaints', 'ERROR', false, 1, 0, '[]', ''), "
        "('old', '2026-01-01 02:00', 'dbt:a_removed_test', 'dbt', 'marts/customers', 'ERROR', false, 1, 0, "
        "'[]', ''), "
        "('dbt-run', '2026-11-30 08:00', 'dbt:unique_customers_customer_key', 'dbt', 'marts/customers', 'ERROR', "
        "false, 2, 0, '[]', '')"
    )
    con.close()
    resources = {"warehouse": warehouse_resource(settings)}
    refused = dg.materialize([analyst_file_asset], resources=resources, raise_on_error=False)
    assert not refused.success and not settings.published_db.exists()
    (failure,) = refused.get_step_failure_events()
    message = failure.event_specific_data.error.message  # type: ignore[union-attr]
    assert (
        "publish refused: the latest result of the blocking check F8_ingest__complaints on raw/complaints "
        "failed (run ui-run, 2026-11-30 09:00 UTC) and 1 more; the published files stay as they are."
        in message
    )  # the other: the dbt test; a check or test no longer defined does not block
    con = duckdb.connect(str(settings.warehouse))  # the nightly checks again and it passes
    con.execute(
        "INSERT INTO quality.check_results VALUES ('next', '2026-11-30 10:00', 'F8_ingest__complaints', 'F8', "
        "'raw/complaints', 'ERROR', true, 0, 0, '[]', ''), ('next', '2026-11-30 10:00', "
        "'dbt:unique_customers_customer_key', 'dbt', 'marts/customers', 'ERROR', true, 0, 0, '[]', '')"
    )
    con.close()
    published = dg.materialize([analyst_file_asset], resources=resources, raise_on_error=False)
    assert published.success and settings.published_db.exists()  # a check no longer in the catalogue: no gate
