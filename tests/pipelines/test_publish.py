"""The analyst file: PII masked, comments and README kept, swapped in atomically."""

from pathlib import Path

import duckdb

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
