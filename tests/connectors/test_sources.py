"""sources.yml: the reading options are validated when the file loads, with the source and key named."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from connectors.ingest import FileResult, ingest_sources
from connectors.presets import PRESETS, Unpivot
from connectors.sources import SourceConfigError, load_sources


def _sources_yml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _ingest_one(tmp_path: Path, text: str) -> tuple[duckdb.DuckDBPyConnection, FileResult]:
    """sources.yml with `text`, and the one file it matches under tmp_path ingested into a new database."""
    con = duckdb.connect()
    [result] = ingest_sources(con, load_sources(_sources_yml(tmp_path, text)), tmp_path)
    return con, result


def _load(tmp_path: Path, extra: str, preset: str = "generic", kind: str = "complaints") -> list:
    return load_sources(
        _sources_yml(
            tmp_path,
            f"sources:\n  - name: s\n    kind: {kind}\n    path: 'x/*.csv'\n    preset: {preset}\n"
            + "".join(f"    {line}\n" for line in extra.splitlines()),
        )
    )


def test_reading_options_from_yaml(tmp_path: Path) -> None:
    [source] = _load(
        tmp_path,
        "format: xlsx\nsheet: KPIs\nheader_rows: auto\nencoding: CP1252\ndelimiter: tab\njson_path: data.items\n"
        "unpivot: {id_columns: [Metric, Team], variable_name: period, value_name: value}",
        kind="dashboard_kpis",
    )
    assert (
        source.format,
        source.sheet,
        source.header_rows,
        source.encoding,
        source.delimiter,
        source.json_path,
    ) == (
        "xlsx",
        "KPIs",
        "auto",
        "cp1252",
        "\t",
        "data.items",
    )
    assert source.unpivot == Unpivot(
        id_columns=("Metric", "Team"), variable_name="period", value_name="value"
    )


def test_preset_options_are_defaults_a_source_can_switch_off(tmp_path: Path) -> None:
    [source] = _load(tmp_path, "", preset="bi_kpi_export", kind="dashboard_kpis")
    assert source.unpivot == PRESETS["bi_kpi_export"].unpivot
    [source] = _load(tmp_path, "unpivot: null", preset="bi_kpi_export", kind="dashboard_kpis")
    assert source.unpivot is None
    [source] = _load(tmp_path, "", preset="qualtrics_export", kind="survey_responses")
    assert source.header_rows == "auto"
    [source] = _load(tmp_path, "", preset="zendesk_tickets")
    assert source.json_path == "tickets"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("header_rows: 0", "source 's': header_rows must be a whole number >= 1 or 'auto', got 0"),
        ("encoding: klingon", "source 's': encoding 'klingon' is unknown"),
        ("delimiter: ';;'", "source 's': delimiter must be one character (or 'tab'), got ';;'"),
        ("format: xml", "source 's': format 'xml' is not one of"),
        ("sheet: [1, 2]", "source 's': sheet must be a sheet name or a 0-based index"),
        ("json_path: 3", "source 's': json_path must be a dotted key path like 'tickets', got 3"),
        ("unpivot: {pivot_columns: [a]}", "source 's': unpivot must be a mapping with keys among"),
        ("unpivot: {variable_name: period}", "source 's': unpivot needs id_columns"),
        ("unpivot: {columns_pattern: '('}", "source 's': unpivot.columns_pattern is not a regex"),
        ("mapping: {complaint_id: [Id, {const: x}]}", "source 's': mapping.complaint_id must be a header"),
    ],
)
def test_bad_reading_options_are_reported_with_the_key(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(
        SourceConfigError, match="^.*" + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        _load(tmp_path, extra)


def test_mapping_lists_may_fall_back_to_sql(tmp_path: Path) -> None:
    """An {sql: ...} entry in a list is used when the file has every column it quotes."""
    [source] = _load(
        tmp_path,
        "mapping: {complaint_id: id, created_at: created, status: status,\n"
        '  customer_name: [{sql: "concat_ws(\' \', \\"First\\", \\"Last\\")"}, Name]}',
    )
    landing = tmp_path / "x"
    landing.mkdir()
    (landing / "a.csv").write_text("id,created,status,First,Last\n1,2026-05-01,open,Ana,Lima\n")
    (landing / "b.csv").write_text("id,created,status,Name\n2,2026-05-01,open,Ben Okafor\n")
    con = duckdb.connect()
    results = ingest_sources(con, [source], tmp_path)
    assert [r.rows_loaded for r in results] == [1, 1]
    assert con.execute("SELECT customer_name, _extra FROM raw.complaints ORDER BY 1").fetchall() == [
        ("Ana Lima", None),  # First and Last are used by the mapping: not extra
        ("Ben Okafor", None),
    ]


def test_a_changed_reading_loads_the_files_again(tmp_path: Path) -> None:
    """A file is read again when sources.yml changes how its source reads files (here a mistyped header,
    which the manifest's notes warn of, fixed), as when its bytes change: its earlier rows and quarantined rows are replaced, not added to.
    Files loaded before the manifest recorded how count as read the current way."""
    wrong = "mapping: {complaint_id: id, created_at: created, status: status, subject: Subjct}"
    fixed = "mapping: {complaint_id: id, created_at: created, status: status, subject: Subject}"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.csv").write_text(
        "id,created,status,Subject\n1,2026-05-01,open,Late\n2,never,open,Lost\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    [first] = ingest_sources(con, _load(tmp_path, wrong), tmp_path)
    assert (first.status, first.rows_loaded, first.rows_quarantined) == ("loaded", 1, 1)
    assert con.execute("SELECT subject FROM raw.complaints").fetchall() == [(None,)]
    assert first.notes[0] == (  # an optional column the source's own mapping names: a warning, not a failure
        "warning: column 'subject' left empty: the file has no column 'Subjct' (did you mean 'Subject'?); "
        "fix sources.yml source 's' mapping.subject"
    )
    assert [r.status for r in ingest_sources(con, _load(tmp_path, wrong), tmp_path)] == ["unchanged"]

    [again] = ingest_sources(con, _load(tmp_path, fixed), tmp_path)
    assert (again.status, again.rows_loaded, again.rows_quarantined) == ("replaced", 1, 1)
    assert "read again: how this source's files are read changed (sources.yml" in again.notes[0]
    assert con.execute("SELECT subject FROM raw.complaints").fetchall() == [("Late",)]
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall() == [(1,)]
    assert [r.status for r in ingest_sources(con, _load(tmp_path, fixed), tmp_path)] == ["unchanged"]

    con.execute("UPDATE ops.ingest_files SET reading_digest = NULL")  # a manifest from before the digest
    assert [r.status for r in ingest_sources(con, _load(tmp_path, wrong), tmp_path)] == ["unchanged"]
    assert con.execute("SELECT subject FROM raw.complaints").fetchall() == [("Late",)]


def test_a_revised_contract_reads_its_kinds_files_again_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """complaint_events came to load changes of untracked fields (quarantined before): a home made before
    reads its histories again once, so the quarantined changes load; other kinds' files are not read again."""
    import connectors.sources

    history = "mapping: {complaint_id: id, event_at: at, field: field, new_value: value}"
    tickets = "mapping: {complaint_id: id, created_at: created, status: status}"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.csv").write_text(
        "id,at,field,value\n1,2026-05-01,status,open\n1,2026-05-01,custom_7,x\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    monkeypatch.setattr(connectors.sources, "CONTRACT_REVISIONS", {})  # the digests before the revision
    [before] = ingest_sources(con, _load(tmp_path, history, kind="complaint_events"), tmp_path)
    tickets_before = _load(tmp_path, tickets)[0].reading_digest
    monkeypatch.undo()
    assert (
        _load(tmp_path, tickets)[0].reading_digest == tickets_before
    )  # a kind never revised: not read again
    [again] = ingest_sources(con, _load(tmp_path, history, kind="complaint_events"), tmp_path)
    assert before.reading_digest != again.reading_digest
    assert (again.status, again.rows_loaded, again.rows_quarantined) == ("replaced", 2, 0)
    twice = ingest_sources(con, _load(tmp_path, history, kind="complaint_events"), tmp_path)
    assert [r.status for r in twice] == ["unchanged"]


def test_a_history_without_a_tracked_change_warns_of_its_field_mapping(tmp_path: Path) -> None:
    """field mapped to the wrong header loads every row (raw keeps any field's changes) and staging would
    keep none: the file's first note warns."""
    history = "mapping: {complaint_id: id, event_at: at, field: value, new_value: value}"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.csv").write_text(
        "id,at,field,value\n1,2026-05-01,status,open\n2,2026-05-01,status,new\n"
    )
    [result] = ingest_sources(duckdb.connect(), _load(tmp_path, history, kind="complaint_events"), tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert result.notes[0] == (
        "warning: none of the 2 changes is of a field staging tracks (assignee, team, status, priority; this "
        "file has new 1, open 1): is field mapped to the right column in sources.yml?"
    )


def test_a_file_two_sources_match_loads_under_neither(tmp_path: Path) -> None:
    """Overlapping path globs would load a file's records once per source: the file fails (F8_ingest
    blocks the night) with both sources named; the files only one source matches still load."""
    source = "    kind: complaints\n    mapping: {complaint_id: id, created_at: created, status: status}\n"
    path = _sources_yml(
        tmp_path,
        f"sources:\n  - name: tickets\n    path: 'x/*.csv'\n{source}  - name: old_tickets\n    path: 'x/old*'\n{source}",
    )
    (tmp_path / "x").mkdir()
    for name in ("a.csv", "old_b.csv"):
        (tmp_path / "x" / name).write_text(f"id,created,status\n{name},2026-05-01,open\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    configured = load_sources(path)
    results = ingest_sources(con, configured[:1], tmp_path, configured=configured)
    assert [(r.file, r.status) for r in results] == [("x/a.csv", "loaded"), ("x/old_b.csv", "failed")]
    assert results[1].error == (
        "x/old_b.csv: the path globs of sources 'tickets', 'old_tickets' all match this file, which would "
        "load its records once per source; narrow the globs in sources.yml so one source has it"
    )
    assert con.execute("SELECT complaint_id FROM raw.complaints").fetchall() == [("a.csv",)]
    assert con.execute("SELECT file, status FROM ops.ingest_files ORDER BY file").fetchall() == [
        ("x/a.csv", "loaded"),
        ("x/old_b.csv", "failed"),
    ]


def test_a_file_that_failed_after_it_loaded_is_not_failed_for_good(tmp_path: Path) -> None:
    """A file loaded one night, failed the next (a second source's glob matched it too), and the glob was
    narrowed again: the file is unchanged, so nothing was written, and its latest row said 'failed' for good
    (in the analyst file too) while its rows were in every mart. It gets an 'unchanged' row."""
    source = "    kind: complaints\n    mapping: {complaint_id: id, created_at: created, status: status}\n"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "old_b.csv").write_text("id,created,status\nb,2026-05-01,open\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    one = load_sources(_sources_yml(tmp_path, f"sources:\n  - name: tickets\n    path: 'x/*.csv'\n{source}"))
    two = load_sources(
        _sources_yml(
            tmp_path,
            f"sources:\n  - name: tickets\n    path: 'x/*.csv'\n{source}  - name: old\n    path: 'x/old*'\n{source}",
        )
    )
    statuses = []
    for configured in (one, two, one, one):
        [result] = ingest_sources(con, configured[:1], tmp_path, configured=configured)
        statuses.append(result.status)
    assert statuses == ["loaded", "failed", "unchanged", "unchanged"]
    assert con.execute("SELECT status FROM ops.ingest_files ORDER BY ingested_at").fetchall() == [
        ("loaded",),
        ("failed",),
        ("unchanged",),  # once: the next night finds no failure to put behind it
    ]
    assert con.execute("SELECT complaint_id FROM raw.complaints").fetchall() == [("b",)]


def test_times_before_1900_are_quarantined_and_typed_times_read_whatever_the_formats(tmp_path: Path) -> None:
    """A four-digit-year format takes '26' for the year 26: such a time is quarantined with the text as
    read, not loaded 2,000 years old. ISO text (a Parquet or XLSX cell's own timestamp) reads in any case."""
    [source] = _load(
        tmp_path,
        "mapping: {complaint_id: id, created_at: created, status: status, customer_birth_date: born}\n"
        "timestamp_formats: ['%m/%d/%Y %H:%M']\ndate_formats: ['%m/%d/%Y']",
    )
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.csv").write_text(
        "id,created,status,born\n"
        "1,10/05/2026 09:15,open,05/03/1990\n"
        "2,10/05/26 09:15,open,05/03/1990\n"
        "3,2026-10-02 09:15:00,open,5/3/90\n"
    )
    con = duckdb.connect()
    [result] = ingest_sources(con, [source], tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert con.execute("SELECT complaint_id, created_at::VARCHAR FROM raw.complaints").fetchall() == [
        ("1", "2026-10-05 09:15:00")
    ]
    assert con.execute('SELECT "row", reason FROM ops.quarantine ORDER BY "row"').fetchall() == [
        (
            2,
            "column 'created_at' (header 'created'): expected a date from 1900, got '10/05/26 09:15' (a year "
            "before 1900: a two-digit year? %Y takes four digits, %y two)",
        ),
        (
            3,
            "column 'customer_birth_date' (header 'born'): expected a date from 1900, got '5/3/90' (a year "
            "before 1900: a two-digit year? %Y takes four digits, %y two)",
        ),
    ]


def test_forgetting_a_file_takes_its_rows_out_once_no_source_would_load_it_again(tmp_path: Path) -> None:
    """A file's rows stay when it leaves the landing folder; forget_files takes them (and its quarantined
    rows) out, recorded 'removed'. It refuses while a configured source still matches the file (the next
    night would load it again); a file landed again later loads as new."""
    from connectors.ingest import ForgetRefused, forget_files

    sources = _load(tmp_path, "mapping: {complaint_id: id, created_at: created, status: status}")
    (tmp_path / "x").mkdir()
    for name in ("a.csv", "b.csv"):
        (tmp_path / "x" / name).write_text(f"id,created,status\n{name},2026-05-01,open\nbad,never,open\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_sources(con, sources, tmp_path)

    def state() -> tuple[list, int]:
        return (
            con.execute("SELECT complaint_id FROM raw.complaints ORDER BY 1").fetchall(),
            con.execute("SELECT count(*) FROM ops.quarantine").fetchall()[0][0],
        )

    with pytest.raises(ForgetRefused, match=r"^x/a.csv: still in the landing folder"):
        forget_files(con, "s", tmp_path, sources, "x/a*")
    assert state() == ([("a.csv",), ("b.csv",)], 2)
    with pytest.raises(ForgetRefused, match=r"^no source 'z': neither in sources.yml nor among .* \(s\)$"):
        forget_files(con, "z", tmp_path, sources)  # a typo of a source's name

    parked = tmp_path / "a.csv"
    (tmp_path / "x" / "a.csv").rename(parked)
    [removed] = forget_files(con, "s", tmp_path, sources, "x/a*")
    assert (removed.file, removed.status) == ("x/a.csv", "removed")
    assert state() == ([("b.csv",)], 1)
    assert ingest_sources(con, sources, tmp_path)[0].status == "unchanged"  # b.csv; a.csv stays out
    assert state() == ([("b.csv",)], 1)
    assert forget_files(con, "s", tmp_path, sources, "x/a*") == []  # nothing loaded left to forget

    parked.rename(tmp_path / "x" / "a.csv")  # landed again: loads as new
    assert [r.status for r in ingest_sources(con, sources, tmp_path)] == ["loaded", "unchanged"]
    assert state() == ([("a.csv",), ("b.csv",)], 2)
    # a source no longer in sources.yml: its files may stay in the landing folder
    # a copy of a file's bytes landed under another name was skipped as a duplicate: while it is landed,
    # forgetting the file would bring its records back the next night
    (tmp_path / "x" / "b.csv").rename(tmp_path / "b.csv")
    (tmp_path / "x" / "b_copy.csv").write_bytes((tmp_path / "b.csv").read_bytes())
    (tmp_path / "x" / "b.csv").write_bytes((tmp_path / "b.csv").read_bytes())
    assert [r.status for r in ingest_sources(con, sources, tmp_path)] == [
        "unchanged",
        "unchanged",
        "skipped_duplicate",
    ]
    (tmp_path / "x" / "b.csv").unlink()
    with pytest.raises(ForgetRefused, match=r"^x/b_copy.csv: still in the landing folder"):
        forget_files(con, "s", tmp_path, sources, "x/b.csv")
    (tmp_path / "x" / "b_copy.csv").unlink()
    assert [r.file for r in forget_files(con, "s", tmp_path, sources, "x/b.csv")] == ["x/b.csv"]
    assert [r.file for r in forget_files(con, "s", tmp_path, [])] == ["x/a.csv"]
    assert state() == ([], 0)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "default:\n  timezone: UTC\nsources: []\n",
            "unknown top-level key(s) ['default']; known: ['defaults', 'sources']",
        ),
        (
            "defaults:\n  mapping: {}\nsources:\n  - {name: s, kind: complaints, path: 'x/*'}\n",
            "defaults: key(s) ['mapping'] cannot be defaults",
        ),
        (
            "sources:\n  - {name: s, kind: complaints, path: 'x/*', value_maps: {statuss: {a: b}}}\n",
            "source 's': value_maps target 'statuss' is not a column of raw.complaints",
        ),
    ],
)
def test_misplaced_keys_are_reported(tmp_path: Path, document: str, message: str) -> None:
    path = _sources_yml(tmp_path, document)
    with pytest.raises(SourceConfigError) as raised:
        load_sources(path)
    assert message in str(raised.value)


def test_defaults_apply_to_every_source_that_does_not_set_them(tmp_path: Path) -> None:
    path = _sources_yml(
        tmp_path,
        "defaults:\n  timezone: Europe/Paris\n  date_formats: ['%d.%m.%Y']\nsources:\n"
        "  - {name: a, kind: complaints, path: 'a/*'}\n"
        "  - {name: b, kind: complaints, path: 'b/*', timezone: UTC}\n",
    )
    a, b = load_sources(path)
    assert (a.timezone, a.date_formats, b.timezone, b.date_formats) == (
        "Europe/Paris",
        ("%d.%m.%Y",),
        "UTC",
        ("%d.%m.%Y",),
    )


def test_the_reading_digest_takes_value_maps_with_keys_of_any_type(tmp_path: Path) -> None:
    """YAML gives a value map's keys as numbers, booleans or text: the digest of one mixing them is stable
    (it used to raise while sorting them), and changes with them."""
    [source] = _load(tmp_path, "value_maps: {status: {2: open, 'ten': closed, yes: pending}}")
    [other] = _load(tmp_path, "value_maps: {status: {2: open, 'ten': closed, no: pending}}")
    assert (
        source.reading_digest
        == _load(tmp_path, "value_maps: {status: {2: open, 'ten': closed, yes: pending}}")[0].reading_digest
    )
    assert source.reading_digest != other.reading_digest


def test_defaults_give_way_to_a_presets_own_options(tmp_path: Path) -> None:
    """source > preset > defaults: a default format for hand-made sources leaves a vendor preset's own."""
    path = _sources_yml(
        tmp_path,
        "defaults:\n  timestamp_formats: ['%d/%m/%Y %H:%M']\nsources:\n"
        "  - {name: calls, path: 'c/*', preset: call_centre_log}\n"
        "  - {name: tickets, kind: complaints, path: 't/*'}\n",
    )
    calls, tickets = load_sources(path)
    assert calls.timestamp_formats == PRESETS["call_centre_log"].timestamp_formats != ("%d/%m/%Y %H:%M",)
    assert tickets.timestamp_formats == ("%d/%m/%Y %H:%M",)


def test_a_typed_zoned_timestamp_keeps_its_instant(tmp_path: Path) -> None:
    """A Parquet TIMESTAMPTZ reads as text with an hours-only offset ('+00'): the instant is kept, not
    taken for the source's local time (an hour off in a London summer)."""
    (tmp_path / "x").mkdir()
    duckdb.execute(
        "SET TimeZone = 'UTC'; COPY (SELECT '1' AS id, TIMESTAMPTZ '2024-05-06 10:00:00+00' AS created, 'open' AS status)"
        f" TO '{tmp_path / 'x' / 'a.parquet'}' (FORMAT parquet)"
    )
    con, result = _ingest_one(
        tmp_path,
        "sources:\n  - {name: s, kind: complaints, path: 'x/*.parquet', timezone: Europe/London,\n"
        "     mapping: {complaint_id: id, created_at: created, status: status}}\n",
    )
    assert result.rows_loaded == 1, result
    assert con.execute("SELECT created_at::VARCHAR FROM raw.complaints").fetchall() == [
        ("2024-05-06 10:00:00",)
    ]


def test_a_zone_written_after_the_time_states_the_instant(tmp_path: Path) -> None:
    """Text dumps write '2026-07-01 10:00:00 UTC' or a zone name: the instant they state, not the source's
    local time (it was read as New York time, 4 h off). An abbreviation (BST: British or Bangladesh?) is
    quarantined with the reason, as is a count that is not whole (1.234: a thousands separator)."""
    (tmp_path / "x").mkdir()
    created = [
        "2026-07-01 10:00:00 UTC",
        "2026-07-01 10:00:00 Europe/Paris",
        "2026-07-01 10:00:00 +02:00",
        "2026-07-01T10:00:00Z",
        "2026-07-01 10:00:00",
        "07/01/2026 10:00 AM",
        "2026-07-01 10:00:00 utc",
        "2026-07-01 10:00:00 GMT+01:00",
        "2026-07-01 10:00:00 BST",
        "2026-07-01 10:00 PM",  # no format reads it: DuckDB's own cast took it for 10:00
    ]
    lines = ["id,created,status"] + [f"{i},{c},open" for i, c in enumerate(created, 1)]
    (tmp_path / "x" / "a.csv").write_text("\n".join(lines) + "\n")
    con, result = _ingest_one(
        tmp_path,
        "sources:\n  - {name: s, kind: complaints, path: 'x/*.csv', timezone: America/New_York,\n"
        "     timestamp_formats: ['%Y-%m-%d %H:%M:%S', '%m/%d/%Y %I:%M %p'],\n"
        "     mapping: {complaint_id: id, created_at: created, status: status}}\n",
    )
    assert (result.rows_loaded, result.rows_quarantined) == (8, 2), result
    assert con.execute("SELECT created_at::VARCHAR FROM raw.complaints ORDER BY _row").fetchall() == [
        ("2026-07-01 10:00:00",),
        ("2026-07-01 08:00:00",),
        ("2026-07-01 08:00:00",),
        ("2026-07-01 10:00:00",),
        ("2026-07-01 14:00:00",),  # local New York time (EDT)
        ("2026-07-01 14:00:00",),
        ("2026-07-01 10:00:00",),
        ("2026-07-01 09:00:00",),
    ]
    [(abbreviated, reason), (half_day, _)] = con.execute(
        "SELECT row, reason FROM ops.quarantine ORDER BY row"
    ).fetchall()
    assert abbreviated == 9 and "got '2026-07-01 10:00:00 BST' (a zone abbreviation is ambiguous" in reason
    assert half_day == 10


def test_cells_lose_the_spaces_around_them_and_utc_times_in_z_read_as_utc(tmp_path: Path) -> None:
    """A cell loses the spaces at its ends (also a no-break space, U+00A0, and its Unicode kin) but keeps
    those inside; a cell of spaces only is empty (a required one is quarantined). A time ending in Z is
    UTC whatever the source's zone, with or without seconds or their fraction, in upper or lower case."""
    (tmp_path / "x").mkdir()
    rows = [
        ("1", "2026-07-01T10:00:00Z", " open "),
        ("\u00a02", "2026-07-01 10:00:00.25Z", "on hold\u00a0"),
        ("3 ", "2026-07-01T10:00Z", "\u3000pending"),
        ("4", " 2026-07-01T10:00:00.123456789Z ", "open"),
        ("  ", "2026-07-01T10:00:00Z", "open"),
        ("6", "2026-07-01T10:00:00z", "\topen"),
    ]
    lines = ["id,created,status"] + [",".join(r) for r in rows]
    (tmp_path / "x" / "a.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    con, result = _ingest_one(
        tmp_path,
        "sources:\n  - {name: s, kind: complaints, path: 'x/*.csv', timezone: America/New_York,\n"
        "     mapping: {complaint_id: id, created_at: created, status: status}}\n",
    )
    assert (result.rows_loaded, result.rows_quarantined) == (5, 1), result
    assert con.execute(
        "SELECT complaint_id, created_at::VARCHAR, status FROM raw.complaints ORDER BY _row"
    ).fetchall() == [
        ("1", "2026-07-01 10:00:00", "open"),
        ("2", "2026-07-01 10:00:00.25", "on hold"),
        ("3", "2026-07-01 10:00:00", "pending"),
        ("4", "2026-07-01 10:00:00.123456", "open"),
        ("6", "2026-07-01 10:00:00", "\topen"),  # a tab is not a space: kept, as DuckDB's trim keeps it
    ]
    [(row, reason)] = con.execute("SELECT row, reason FROM ops.quarantine").fetchall()
    assert row == 5 and "column 'complaint_id' (header 'id'): required value is missing" in reason


def test_a_count_that_is_not_whole_is_quarantined(tmp_path: Path) -> None:
    """A whole-number column took 1.234 (a thousands separator: 1 234) as 1, silently; 12.0 stays 12."""
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "a.csv").write_text(
        "day,queue,offered,handled\n2026-07-01,Cards,12.0,10\n2026-07-02,Cards,1.234,1.100\n"
    )
    con, result = _ingest_one(
        tmp_path,
        "sources:\n  - name: wfm\n    kind: workload\n    path: 'w/*.csv'\n    mapping: {period_start: day, "
        "period_end: {sql: 'day::DATE + 1'}, team: queue, contacts_offered: offered, contacts_handled: handled}\n",
    )
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1), result
    assert con.execute("SELECT contacts_offered, contacts_handled FROM raw.workload").fetchall() == [(12, 10)]
    [reason] = con.execute("SELECT reason FROM ops.quarantine").fetchone()
    assert (
        "got '1.234' (not whole: a thousands separator? sources.yml source 'wfm' has decimal: '.'" in reason
    )


def test_numbers_are_read_as_the_source_writes_them(tmp_path: Path) -> None:
    """A BI tool's dashboard export writes 4.5% and 1,234; a European one 4,5 and 1.234,5; a French one
    1 234 (a no-break space); a German one 1.234 with no thousands mark set (ambiguous: quarantined). `decimal` and `thousands` say how a source writes numbers; a trailing % is the
    number shown (the unit says %). Digit groups count only where whole (1,23 is no number), and a value
    the options do not explain is quarantined with a hint naming them."""
    (tmp_path / "k").mkdir()
    files = {
        "us": [("CSAT", "4.5%"), ("Handled", "1,234"), ("Backlog", "12,345,678.5"), ("Wait", "17.25")]
        + [("Bad groups", "1,23")],
        "eu": [("Handled", "1.234"), ("Rate", "4,5 %"), ("Big", "1.234.567,25"), ("Typed", "17.25")]
        + [("Groups", "1,234.5")],
        "fr": [("Handled", "1\u202f234"), ("Rate", "4,5"), ("Old", "12 345,5")],
        # a decimal comma and no thousands mark: 1.234 is 1234 as often as 1.234 (a European export)
        "de": [("Handled", "1.234"), ("Rate", "4,5"), ("Typed", "17.25")],
    }
    for name, rows in files.items():
        lines = ["dash;start;end;exported;metric;value"]
        lines += [f"Ops;2026-07-01;2026-07-31;2026-08-01;{metric};{value}" for metric, value in rows]
        (tmp_path / "k" / f"{name}.csv").write_text("\n".join(lines) + "\n")
    mapping = (
        "mapping: {dashboard: dash, period_start: start, period_end: end, exported_at: exported, metric: metric, "
        "value: value}"
    )
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n"
        f"  - {{name: us, kind: dashboard_kpis, path: 'k/us.csv', thousands: ',', {mapping}}}\n"
        f"  - {{name: eu, kind: dashboard_kpis, path: 'k/eu.csv', decimal: ',', thousands: '.', {mapping}}}\n"
        f"  - {{name: fr, kind: dashboard_kpis, path: 'k/fr.csv', decimal: ',', thousands: ' ', {mapping}}}\n"
        f"  - {{name: de, kind: dashboard_kpis, path: 'k/de.csv', decimal: ',', {mapping}}}\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    results = ingest_sources(con, load_sources(sources), tmp_path)
    assert [(r.rows_loaded, r.rows_quarantined) for r in results] == [(4, 1), (4, 1), (3, 0), (2, 1)], results
    got = dict(con.execute("SELECT _source || ':' || metric, value FROM raw.dashboard_kpis").fetchall())
    assert got == {
        "us:CSAT": 4.5,
        "us:Handled": 1234.0,
        "us:Backlog": 12345678.5,
        "us:Wait": 17.25,
        "eu:Handled": 1234.0,
        "eu:Rate": 4.5,
        "eu:Big": 1234567.25,
        "eu:Typed": 17.25,  # a typed cell's text (XLSX) still reads
        "fr:Handled": 1234.0,
        "fr:Rate": 4.5,
        "fr:Old": 12345.5,
        "de:Rate": 4.5,
        "de:Typed": 17.25,
    }, got
    reasons = dict(con.execute("SELECT source, reason FROM ops.quarantine").fetchall())
    assert (
        "got '1,23' (a decimal comma or digit groups? sources.yml source 'us' has decimal: '.' and "
        "thousands: ','" in reasons["us"]
    ), reasons
    assert "got '1,234.5' (a decimal comma or digit groups?" in reasons["eu"], reasons
    assert (
        "got '1.234' (a decimal comma or digit groups? sources.yml source 'de' has decimal: ',' and no thousands"
        in reasons["de"]
    ), reasons


def test_number_options_are_checked(tmp_path: Path) -> None:
    for options, error in [
        ("decimal: ';'", "decimal must be '.' or ','"),
        ("thousands: '_'", "thousands must be one of"),
        ("decimal: ',', thousands: ','", "thousands and decimal are both ','"),
    ]:
        sources = tmp_path / "sources.yml"
        sources.write_text(f"sources:\n  - {{name: s, kind: complaints, path: 'x/*.csv', {options}}}\n")
        with pytest.raises(SourceConfigError, match=error):
            load_sources(sources)


def test_a_float_id_column_of_a_typed_file_reads_as_whole_numbers(tmp_path: Path) -> None:
    """pandas writes an id column with a gap as float64: its 12345.0 read as '12345.0' and matched no
    '12345' elsewhere (no CRM link, no ticket). Whole values read as integers; others as they are."""
    (tmp_path / "x").mkdir()
    duckdb.execute(
        "COPY (SELECT * FROM (VALUES (1.0::DOUBLE, 12345.0::DOUBLE), (2.0, NULL), (3.0, 7.5)) t(id, crm)) "
        f"TO '{tmp_path / 'x' / 'a.parquet'}' (FORMAT parquet)"
    )
    con, result = _ingest_one(
        tmp_path,
        "sources:\n  - {name: s, kind: complaints, path: 'x/*.parquet', mapping: {complaint_id: id,\n"
        "     customer_crm_id: crm, created_at: {const: '2026-07-01 10:00:00'}, status: {const: open}}}\n",
    )
    assert result.rows_loaded == 3, result
    assert con.execute(
        "SELECT complaint_id, customer_crm_id FROM raw.complaints ORDER BY _row"
    ).fetchall() == [
        ("1", "12345"),
        ("2", None),
        ("3", "7.5"),
    ]


def test_a_column_the_previous_file_filled_is_warned_of_when_it_goes(tmp_path: Path) -> None:
    """A preset maps many headers, so an export whose admin renamed 'Requester email' loaded with every
    email empty and no word. The source's next file that leaves a column the previous one filled gets a
    warning naming both (and the closest header)."""
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "tickets_2026-09.csv").write_text(
        "Id,Requester,Requester email,Group,Status,Created at\n1,Ann Lee,ann@x.test,Billing,Open,2026-09-01 10:00:00\n"
    )
    path = _sources_yml(tmp_path, "sources:\n  - {name: zd, path: 'z/*.csv', preset: zendesk_tickets}\n")
    con = duckdb.connect()
    [september] = ingest_sources(con, load_sources(path), tmp_path)
    assert september.notes == [] and september.columns_read is not None
    assert september.columns_read["customer_email"] == "header 'Requester email'"
    (tmp_path / "z" / "tickets_2026-10.csv").write_text(
        "Id,Requester,Requester e-mail,Brand,Status,Created at\n2,Bo Li,bo@x.test,Acme,Open,2026-10-01 10:00:00\n"
    )
    [october] = [r for r in ingest_sources(con, load_sources(path), tmp_path) if r.file.endswith("10.csv")]
    assert october.status == "loaded"
    assert october.notes[:2] == [
        "warning: column 'customer_email' left empty: the previous file z/tickets_2026-09.csv filled it (header "
        "'Requester email'), this one has no such column (did you mean 'Requester e-mail'?): did the export "
        "change? map it in sources.yml source 'zd' mapping.customer_email",
        "warning: column 'team' left empty: the previous file z/tickets_2026-09.csv filled it (header 'Group'), "
        "this one has no such column: did the export change? map it in sources.yml source 'zd' mapping.team",
    ]


def test_lines_above_the_header_are_skipped(tmp_path: Path) -> None:
    """Excel's 'sep=;' first line is a hint, skipped (the file failed with a header 'sep='); a report's
    title rows above the header are skipped with skip_rows, in a CSV and in a workbook."""
    from tests.fixtures.xlsx_writer import write_xlsx

    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.csv").write_bytes(b"sep=;\r\nid;created;status\r\n1;2026-07-01 10:00:00;open\r\n")
    (tmp_path / "x" / "b.csv").write_bytes(b"sep=\t\nid\tcreated\tstatus\n4\t2026-07-04 10:00:00\topen\n")
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "b.csv").write_text(
        "Tickets report FY2026\nExported from the desk\nid,created,status\n2,2026-07-02 10:00:00,open\n"
    )
    write_xlsx(
        tmp_path / "y" / "c.xlsx",
        {
            "S": [
                ["Tickets report FY2026"],
                ["Exported from the desk"],
                ["id", "created", "status"],
                ["3", "2026-07-03 10:00:00", "open"],
            ]
        },
    )
    mapping = "mapping: {complaint_id: id, created_at: created, status: status}"
    path = _sources_yml(
        tmp_path,
        f"sources:\n  - {{name: hinted, kind: complaints, path: 'x/*', {mapping}}}\n"
        f"  - {{name: titled, kind: complaints, path: 'y/*', skip_rows: 2, {mapping}}}\n",
    )
    con = duckdb.connect()
    results = ingest_sources(con, load_sources(path), tmp_path)
    assert [(r.file, r.status, r.rows_loaded) for r in results] == [
        ("x/a.csv", "loaded", 1),
        ("x/b.csv", "loaded", 1),
        ("y/b.csv", "loaded", 1),
        ("y/c.xlsx", "loaded", 1),
    ], results
    assert "first line 'sep=;' (Excel's delimiter hint) skipped" in results[0].notes
    assert con.execute("SELECT complaint_id FROM raw.complaints ORDER BY 1").fetchall() == [
        ("1",),
        ("2",),
        ("3",),
        ("4",),
    ]
    bad = _sources_yml(
        tmp_path, f"sources:\n  - {{name: s, kind: complaints, path: 'x/*', skip_rows: -1, {mapping}}}\n"
    )
    with pytest.raises(SourceConfigError, match="skip_rows must be a whole number >= 0"):
        load_sources(bad)


def test_a_json_key_holding_an_object_in_some_records_and_a_value_in_others(tmp_path: Path) -> None:
    """One odd record ("requester": "anonymous") made the key a JSON blob for the whole file: no
    requester.email column, every record's email empty. The objects' fields are dotted columns still,
    and the plain value loads under the key's own name (here unmapped, so in _extra)."""
    import json

    (tmp_path / "j").mkdir()
    records = [
        {
            "id": i,
            "created_at": "2026-07-01T10:00:00Z",
            "status": "open",
            "requester": {"email": f"p{i}@x.test"},
        }
        for i in (1, 2)
    ] + [{"id": 9, "created_at": "2026-07-01T10:00:00Z", "status": "open", "requester": "anonymous"}]
    (tmp_path / "j" / "t.json").write_text(json.dumps(records))
    con, result = _ingest_one(
        tmp_path,
        "sources:\n  - {name: j, kind: complaints, path: 'j/*.json', mapping: {complaint_id: id, created_at: "
        "created_at, status: status, customer_email: requester.email}}\n",
    )
    assert (result.rows_loaded, result.notes) == (3, [])
    assert con.execute(
        "SELECT complaint_id, customer_email, _extra FROM raw.complaints ORDER BY 1"
    ).fetchall() == [
        ("1", "p1@x.test", '{"requester":null}'),
        ("2", "p2@x.test", '{"requester":null}'),
        ("9", None, '{"requester":"anonymous"}'),
    ]


def test_a_key_written_twice_is_an_error_not_a_lost_block(tmp_path: Path) -> None:
    """Two `mapping:` blocks in one source: YAML kept the last and the first's columns loaded empty."""
    path = _sources_yml(
        tmp_path,
        "sources:\n  - name: t\n    kind: complaints\n    path: 't/*'\n"
        "    mapping: {complaint_id: id, created_at: created, status: status}\n    mapping: {subject: title}\n",
    )
    with pytest.raises(
        SourceConfigError, match="line 6, column 5: not valid YAML: key 'mapping' appears twice"
    ):
        load_sources(path)
    path.write_text(
        "sources:\n  - name: t\n    value_maps: {status: {1: open, yes: pending}}\n", encoding="utf-8"
    )
    with pytest.raises(SourceConfigError, match="key '1' and 'yes' \\(one key to YAML: quote them"):
        load_sources(path)


def test_a_list_of_alternative_headers_suggests_the_closest_one(tmp_path: Path) -> None:
    from connectors.contracts import CONTRACTS
    from connectors.mapping import _unmatched

    [source] = _load(
        tmp_path, "mapping: {complaint_id: id, created_at: created, status: status, subject: [Subjct, Title]}"
    )
    [subject] = [c for c in CONTRACTS["complaints"].columns if c.name == "subject"]
    assert _unmatched(source, subject, ["id", "created", "status", "Subject"]) == (
        "the file has none of ['Subjct', 'Title'] (did you mean 'Subject'?)"
    )


def test_yaml_merge_keys_still_load(tmp_path: Path) -> None:
    """`<<: *anchor` merges keys an entry may then override: no key is written twice."""
    from connectors.sources import read_yaml

    path = tmp_path / "x.yml"
    path.write_text("base: &base {a: 1, b: 2}\nentry: {<<: *base, b: 3}\n", encoding="utf-8")
    assert read_yaml(path, SourceConfigError, "sources", "CX_SOURCES")["entry"] == {"a": 1, "b": 3}


def test_a_phone_region_must_be_a_country_code(tmp_path: Path) -> None:
    """customer_phone_region tells phonenumbers the country of a national number: 'Germany' would read
    no number at all, silently; it is quarantined, a code in any case loads."""
    (tmp_path / "t.csv").write_text(
        "id,created,status,phone,country\n1,2026-05-01,open,030 1234567,de\n2,2026-05-01,open,030 1234567,Germany\n"
    )
    con, result = _ingest_one(
        tmp_path,
        "sources:\n  - {name: s, kind: complaints, path: t.csv, mapping: {complaint_id: id, created_at: created, "
        "status: status, customer_phone: phone, customer_phone_region: country}}\n",
    )
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    [(reason,)] = con.execute("SELECT reason FROM ops.quarantine").fetchall()
    assert reason == (
        "column 'customer_phone_region' (header 'country'): expected a two-letter country code "
        "(ISO 3166: US, DE, GB), got 'Germany'"
    )


def test_a_format_with_an_offset_reads_instants_and_the_others_local_time(tmp_path: Path) -> None:
    """A timestamp format with %z beside a local one switched every format off: each row quarantined under a
    format it matched, or (a source zone other than UTC) the file failed in DuckDB. A %z format reads the
    instant it states; the others read the source's local time."""
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.csv").write_text(
        "id,created,status\n1,31/01/2026 09:15 +0100,open\n2,31/01/2026 09:15,open\n3,2026-01-31T09:15:00Z,open\n"
    )
    for zone, local_in_utc in (("UTC", "09:15"), ("Europe/Paris", "08:15")):
        [source] = _load(
            tmp_path,
            "mapping: {complaint_id: id, created_at: created, status: status}\n"
            f"timezone: {zone}\ntimestamp_formats: ['%d/%m/%Y %H:%M %z', '%d/%m/%Y %H:%M']",
        )
        con = duckdb.connect()
        [result] = ingest_sources(con, [source], tmp_path)
        assert (result.status, result.rows_loaded) == ("loaded", 3), result
        got = con.execute("SELECT complaint_id, strftime(created_at, '%H:%M') FROM raw.complaints ORDER BY 1")
        assert got.fetchall() == [("1", "08:15"), ("2", local_in_utc), ("3", "09:15")], zone


def test_a_date_that_could_be_day_or_month_first_is_not_guessed(tmp_path: Path) -> None:
    """The default date formats read 06/01/2026 day first: a US export's week of 06/01–06/07 loaded as
    January to July. Unconfigured, such dates are quarantined with the hint to say the order; a source that
    lists both orders is refused (03/06 would read by one, 06/15 by the other)."""
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.csv").write_text(
        "id,created,status,born\n1,2026-06-08 10:00:00,open,06/01/1980\n2,2026-06-08 10:00:00,open,1980-01-06\n"
    )
    mapping = "mapping: {complaint_id: id, created_at: created, status: status, customer_birth_date: born}"
    [source] = _load(tmp_path, mapping)
    con = duckdb.connect()
    [result] = ingest_sources(con, [source], tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1), result
    [(reason,)] = con.execute("SELECT reason FROM ops.quarantine").fetchall()
    assert reason == (
        "column 'customer_birth_date' (header 'born'): expected a date like %Y-%m-%d, %Y/%m/%d, %Y%m%d, got "
        "'06/01/1980' (day or month first? set date_formats of sources.yml source 's' to the order it writes, "
        "e.g. '%d/%m/%Y' or '%m/%d/%Y')"
    )
    [us] = _load(tmp_path, mapping + "\ndate_formats: ['%m/%d/%Y', '%Y-%m-%d']")
    con = duckdb.connect()
    ingest_sources(con, [us], tmp_path)
    assert con.execute("SELECT customer_birth_date::VARCHAR FROM raw.complaints ORDER BY 1").fetchall() == [
        ("1980-01-06",),
        ("1980-06-01",),
    ]
    with pytest.raises(SourceConfigError, match="lists both '%d/%m/%Y' and '%m/%d/%Y'"):
        _load(tmp_path, mapping + "\ndate_formats: ['%d/%m/%Y', '%m/%d/%Y']")


def test_complaint_source_ties_a_history_to_a_configured_ticket_source(tmp_path: Path) -> None:
    """complaint_source names the complaints source whose ticket ids a change history's are: it must be one,
    and only a change history has one."""
    tickets = "  - {name: desk, kind: complaints, path: 't/*.csv'}\n"
    history = "  - {name: history, kind: complaint_events, path: 'h/*.csv', complaint_source: %s}\n"
    [_, tied] = load_sources(_sources_yml(tmp_path, "sources:\n" + tickets + history % "desk"))
    assert tied.complaint_source == "desk"
    with pytest.raises(
        SourceConfigError, match="complaint_source 'dsek' is no source of kind complaints; those are"
    ):
        load_sources(_sources_yml(tmp_path, "sources:\n" + tickets + history % "dsek"))
    with pytest.raises(SourceConfigError, match="ties a change history"):
        load_sources(
            _sources_yml(
                tmp_path, "sources:\n  - {name: desk, kind: complaints, path: 'x', complaint_source: desk}\n"
            )
        )
    # not a reading option: setting it reads no file again
    [_, untied] = load_sources(
        _sources_yml(tmp_path, "sources:\n" + tickets + history.replace(", complaint_source: %s", ""))
    )
    assert untied.reading_digest == tied.reading_digest


def test_a_negative_count_or_duration_is_quarantined(tmp_path: Path) -> None:
    """A call's wait of -45 s and a queue's -3 abandoned contacts loaded without a word, and staging averaged
    them. Counts and durations below 0 are quarantined, naming the column."""
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "calls.csv").write_text(
        "id,start,wait,talk\nC-1,2026-06-11 09:00:00,30,300\nC-2,2026-06-11 09:05:00,-45,0\n"
    )
    [source] = _load(
        tmp_path,
        "mapping: {contact_id: id, started_at: start, wait_seconds: wait, handle_seconds: talk}",
        kind="contacts",
    )
    con = duckdb.connect()
    [result] = ingest_sources(con, [source], tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1), result
    assert con.execute('SELECT "row", reason FROM ops.quarantine').fetchall() == [
        (2, "column 'wait_seconds' (header 'wait'): expected a count or duration from 0, got '-45'")
    ]
