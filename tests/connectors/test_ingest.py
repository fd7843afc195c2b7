import json
import shutil
from pathlib import Path

import duckdb
import pytest

from connectors.ingest import ingest_sources
from connectors.sources import load_sources
from cx_unify.settings import DEFAULT_SOURCES


@pytest.fixture
def landing(faulted_landing: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(faulted_landing, copy)
    return copy


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        t: con.execute(f'SELECT count(*) FROM raw."{t}"').fetchall()[0][0]
        for t in (
            "complaints",
            "complaint_events",
            "survey_responses",
            "contacts",
            "workload",
            "dashboard_kpis",
        )
    }


def test_every_row_is_accounted_for(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    results = ingest_sources(con, load_sources(DEFAULT_SOURCES), landing)
    assert results and all(r.status == "loaded" for r in results), [
        r for r in results if r.status != "loaded"
    ]
    for r in results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined, r
    manifest = con.execute(
        "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM ops.ingest_files"
    ).fetchall()[0]
    assert manifest[0] == manifest[1] + manifest[2]
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall()[0][0] == manifest[2]


def test_loaded_rows_match_ground_truth(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    ingest_sources(con, load_sources(DEFAULT_SOURCES), landing)
    truth = json.loads((landing / "ground_truth.json").read_text())
    counts = _counts(con)
    assert counts["complaints"] == len(truth["records"]["complaints"]["record_id"])
    assert counts["survey_responses"] == len(truth["records"]["survey_responses"]["record_id"])
    identified = con.execute(
        "SELECT count(*) FROM raw.contacts WHERE customer_crm_id IS NOT NULL"
    ).fetchall()[0][0]
    assert identified == len(truth["records"]["contacts"]["record_id"])


def test_injected_invalid_rows_are_quarantined_with_reasons(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    ingest_sources(con, load_sources(DEFAULT_SOURCES), landing)
    truth = json.loads((landing / "ground_truth.json").read_text())
    invalid = [f for f in truth["faults"] if f["kind"] == "invalid_row"]
    reasons = [r[0] for r in con.execute("SELECT reason FROM ops.quarantine ORDER BY file, row").fetchall()]
    assert len(reasons) == len(invalid)
    expected = {
        "csat_score_out_of_scale": "outside the csat_5 scale",
        "nps_score_not_a_number": "expected a number",
        "ticket_created_in_future": "(in the future)",
        "ticket_missing_id": "required value is missing",
    }
    for fault in invalid:
        assert any(expected[fault["rule"]] in reason for reason in reasons), fault["rule"]
    assert all("column '" in reason for reason in reasons)


def test_rerun_with_nothing_new_changes_nothing(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    sources = load_sources(DEFAULT_SOURCES)
    ingest_sources(con, sources, landing)
    before = _counts(con)
    manifest_rows = con.execute("SELECT count(*) FROM ops.ingest_files").fetchall()[0][0]
    again = ingest_sources(con, sources, landing)
    assert {r.status for r in again} == {"unchanged"}
    assert _counts(con) == before
    assert con.execute("SELECT count(*) FROM ops.ingest_files").fetchall()[0][0] == manifest_rows


def test_same_file_landed_twice_is_skipped(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    sources = load_sources(DEFAULT_SOURCES)
    ingest_sources(con, sources, landing)
    before = _counts(con)
    original = sorted(landing.glob("zendesk/tickets_*.csv"))[0]
    shutil.copy(original, landing / "zendesk" / "tickets_copy_again.csv")
    results = [r for r in ingest_sources(con, sources, landing) if r.status != "unchanged"]
    assert [(r.file, r.status) for r in results] == [("zendesk/tickets_copy_again.csv", "skipped_duplicate")]
    assert _counts(con) == before


def test_changed_file_replaces_its_rows(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    sources = load_sources(DEFAULT_SOURCES)
    ingest_sources(con, sources, landing)
    before = _counts(con)
    path = sorted(landing.glob("zendesk/tickets_*.csv"))[1]
    rel = path.relative_to(landing).as_posix()
    loaded_before = con.execute("SELECT count(*) FROM raw.complaints WHERE _file = ?", [rel]).fetchall()[0][0]
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-2]))  # a corrected export: two tickets fewer
    results = [r for r in ingest_sources(con, sources, landing) if r.status != "unchanged"]
    assert [r.status for r in results] == ["replaced"]
    assert results[0].rows_read == len(lines) - 3
    assert _counts(con)["complaints"] == before["complaints"] - loaded_before + results[0].rows_loaded
    shas = con.execute("SELECT DISTINCT _file_sha256 FROM raw.complaints WHERE _file = ?", [rel]).fetchall()
    assert len(shas) == 1


def test_unparseable_file_fails_alone(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    (landing / "zendesk" / "tickets_broken.csv").write_bytes(b"\x00\x01\x02 not a csv \xff\xfe")
    results = ingest_sources(con, load_sources(DEFAULT_SOURCES), landing)
    failed = [r for r in results if r.status == "failed"]
    assert [r.file for r in failed] == ["zendesk/tickets_broken.csv"]
    assert "zendesk/tickets_broken.csv" in (failed[0].error or "")
    assert sum(r.status == "loaded" for r in results) == len(results) - 1


def test_same_bytes_twice_in_one_batch_load_once(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    original = sorted(landing.glob("zendesk/tickets_*.csv"))[0]
    shutil.copy(original, landing / "zendesk" / "tickets_zz_copy.csv")
    results = ingest_sources(con, load_sources(DEFAULT_SOURCES), landing, workers=2)
    statuses = {r.file: r.status for r in results}
    assert statuses[original.relative_to(landing).as_posix()] == "loaded"
    assert statuses["zendesk/tickets_zz_copy.csv"] == "skipped_duplicate"
    assert (
        con.execute("SELECT count(*) FROM raw.complaints WHERE _file LIKE '%zz_copy%'").fetchall()[0][0] == 0
    )


def test_files_loaded_side_by_side_equal_files_loaded_one_by_one(landing: Path, tmp_path: Path) -> None:
    sources = load_sources(DEFAULT_SOURCES)
    tables: dict[int, dict[str, list[tuple]]] = {}
    for workers in (1, 2):
        with duckdb.connect(str(tmp_path / f"w{workers}.duckdb")) as con:
            results = ingest_sources(con, sources, landing, workers=workers)
            assert len({r.file for r in results}) == len(results) > 1
            # one load time for the whole batch
            assert con.execute("SELECT count(DISTINCT ingested_at) FROM ops.ingest_files").fetchall() == [
                (1,)
            ]
            tables[workers] = {
                name: sorted(con.execute(f"SELECT * EXCLUDE ({lineage}) FROM {name}").fetchall(), key=repr)
                for name, lineage in [
                    *((f'raw."{kind}"', "_ingested_at") for kind in _counts(con)),
                    ("ops.quarantine", "ingested_at"),
                    ("ops.ingest_files", "ingested_at, run_id, file_stat"),  # file_stat: set once settled
                ]
            }
    assert tables[1] == tables[2]


def test_rotated_export_is_decided_as_if_loaded_one_by_one(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    """An export moved to a new name while its old name gets new bytes: the old name is replaced first
    (it sorts first), so the moved bytes are no longer loaded anywhere and load under the new name."""
    sources = load_sources(DEFAULT_SOURCES)
    ingest_sources(con, sources, landing, workers=2)
    path = sorted(landing.glob("zendesk/tickets_*.csv"))[0]
    shutil.copy(path, landing / "zendesk" / "tickets_zz_moved.csv")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-2]))
    results = {
        r.file: r.status for r in ingest_sources(con, sources, landing, workers=2) if r.status != "unchanged"
    }
    assert results == {
        path.relative_to(landing).as_posix(): "replaced",
        "zendesk/tickets_zz_moved.csv": "loaded",
    }


def test_failed_files_are_those_of_the_kinds_latest_ingest(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    """F8_ingest lists the files the latest ingest of a kind could not load: a file still broken fails
    again every run; one put back, or whose source is no longer configured, no longer counts."""
    from expectations.suites.validity import checks

    [spec] = [c for c in checks() if c.name == "F8_ingest__complaints"]
    sources = [s for s in load_sources(DEFAULT_SOURCES) if s.kind == "complaints"]
    tickets = sorted((landing / "zendesk").glob("tickets_*.csv"))[0]
    original = tickets.read_bytes()
    header, rest = original.split(b"\n", 1)
    tickets.write_bytes(header.replace(b'"Id",', b'"Nummer",', 1) + b"\n" + rest)

    def failing() -> list[tuple]:
        return con.execute(spec.frame_sql(0)).fetchall()

    ingest_sources(con, sources, landing, kinds=["complaints"])
    assert [(f[0], f[1]) for f in failing()] == [("zendesk_tickets", f"zendesk/{tickets.name}")]
    assert "required column 'complaint_id'" in failing()[0][2]
    ingest_sources(con, sources, landing, kinds=["complaints"])  # still broken: tried, and failing, again
    assert len(failing()) == 1
    tickets.write_bytes(original)
    ingest_sources(con, sources, landing, kinds=["complaints"])
    assert failing() == []

    tickets.write_bytes(b'"Nummer"\n"1"\n')
    ingest_sources(con, sources, landing, kinds=["complaints"])
    assert len(failing()) == 1
    ingest_sources(con, [], landing, kinds=["complaints"])  # its source removed from sources.yml
    assert failing() == []


def test_a_file_as_it_was_is_not_read_again(
    con: duckdb.DuckDBPyConnection, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every night hashed every file ever landed (a year of exports, read whole each night): a file whose
    size, times and inode are those it had when loaded is unchanged without being read. New bytes under an
    old size and an old modification time (cp -p, rsync -a) are read: the change time moved; a file touched
    with the same bytes is hashed once more; times too recent to trust are hashed again."""
    import os
    import time

    from connectors import ingest

    monkeypatch.setattr(ingest, "SETTLED_NS", 0)  # the files were just copied: trust their times at once
    sources = load_sources(DEFAULT_SOURCES)
    ingest_sources(con, sources, landing)
    hashed: list[str] = []
    real = ingest.sha256_of
    monkeypatch.setattr(ingest, "sha256_of", lambda path: hashed.append(path.name) or real(path))

    again = ingest_sources(con, sources, landing)
    assert {r.status for r in again} == {"unchanged"} and hashed == []

    tickets = sorted(landing.glob("zendesk/tickets_*.csv"))
    edited, touched = tickets[0], tickets[1]
    kept = edited.stat()
    text = edited.read_text()
    edited.write_text(text.replace("Open", "Opex", 1) if "Open" in text else text.replace("a", "b", 1))
    os.utime(edited, ns=(kept.st_atime_ns, kept.st_mtime_ns))  # same size, same time, other bytes: cp -p
    os.utime(touched)  # same bytes
    changed = {r.file: r.status for r in ingest_sources(con, sources, landing) if r.status != "unchanged"}
    assert changed == {edited.relative_to(landing).as_posix(): "replaced"}
    assert sorted(hashed) == sorted([edited.name, touched.name])
    hashed.clear()
    ingest_sources(con, sources, landing)
    assert hashed == []  # the touched file's stat was recorded with its bytes

    time.sleep(0.3)
    touched_at = time.time_ns()
    os.utime(touched)  # now: too recent to trust (the other files' times are 0.3 s older and settled)
    monkeypatch.setattr(ingest, "SETTLED_NS", time.time_ns() - touched_at + 150_000_000)
    ingest_sources(con, sources, landing)
    assert hashed == [touched.name]
    hashed.clear()
    ingest_sources(con, sources, landing)
    assert hashed == [touched.name]  # its stat was not recorded: hashed until it settles


def test_a_copy_of_a_loaded_file_is_not_read_again_while_its_original_is_loaded(
    con: duckdb.DuckDBPyConnection, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of a loaded export under another name (skipped_duplicate) was hashed every night; it is
    unchanged by its stat too, until the bytes it copies are no longer loaded: then it is read and loads."""
    import shutil

    from connectors import ingest

    monkeypatch.setattr(ingest, "SETTLED_NS", 0)
    sources = load_sources(DEFAULT_SOURCES)
    original = sorted(landing.glob("zendesk/tickets_*.csv"))[0]
    copy = original.with_name("tickets_copy.csv")
    shutil.copy(original, copy)
    first = {r.file: r.status for r in ingest_sources(con, sources, landing)}
    rel = copy.relative_to(landing).as_posix()
    assert first[rel] == "skipped_duplicate"
    hashed: list[str] = []
    real = ingest.sha256_of
    monkeypatch.setattr(ingest, "sha256_of", lambda path: hashed.append(path.name) or real(path))

    again = {r.file: r.status for r in ingest_sources(con, sources, landing)}
    assert again[rel] == "unchanged" and hashed == []

    text = original.read_text()
    original.write_text(text.replace("a", "b", 1))  # the original's bytes change: the copy's are its own now
    changed = {r.file: r.status for r in ingest_sources(con, sources, landing) if r.status != "unchanged"}
    assert changed == {original.relative_to(landing).as_posix(): "replaced", rel: "loaded"}
    assert sorted(hashed) == sorted([original.name, copy.name])


def test_a_file_moved_away_during_the_night_is_not_a_failure(
    con: duckdb.DuckDBPyConnection, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archiver moved a listed export away before ingest read it: FileNotFoundError failed the whole
    step (later files not loaded, nothing published). Such a file is 'gone': not loaded tonight, no
    failure, no manifest row; the others load."""
    from connectors import ingest

    surveys = sorted(landing.glob("qualtrics/*.csv"))
    before_hash, before_read, while_read = surveys[0], surveys[1], surveys[2]
    real_sha, real_read = ingest.sha256_of, ingest.read_file

    def sha_after_move(path: Path) -> str:
        if path == before_hash:
            path.unlink()
        return real_sha(path)

    def read_after_move(con: duckdb.DuckDBPyConnection, path: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if path == before_read:
            path.unlink()
        read = real_read(con, path, *args, **kwargs)
        if path == while_read:
            path.unlink()  # DuckDB has its bytes; its load time is read from the file next
        return read

    monkeypatch.setattr(ingest, "sha256_of", sha_after_move)
    monkeypatch.setattr(ingest, "read_file", read_after_move)
    results = {r.file: r for r in ingest_sources(con, load_sources(DEFAULT_SOURCES), landing)}
    for moved in (before_hash, before_read, while_read):
        result = results[moved.relative_to(landing).as_posix()]
        assert result.status == "gone" and "left the landing folder" in result.notes[0], result
    assert {r.status for r in results.values()} == {"loaded", "gone"}
    manifest = {r[0] for r in con.execute("SELECT file FROM ops.ingest_files").fetchall()}
    assert manifest == {f for f, r in results.items() if r.status == "loaded"}
