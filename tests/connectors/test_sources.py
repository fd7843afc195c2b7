"""sources.yml: the reading options are validated when the file loads, with the source and key named."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from connectors.ingest import ingest_sources
from connectors.presets import PRESETS, Unpivot
from connectors.sources import SourceConfigError, load_sources


def _load(tmp_path: Path, extra: str, preset: str = "generic", kind: str = "complaints") -> list:
    path = tmp_path / "sources.yml"
    path.write_text(
        f"sources:\n  - name: s\n    kind: {kind}\n    path: 'x/*.csv'\n    preset: {preset}\n"
        + "".join(f"    {line}\n" for line in extra.splitlines()),
        encoding="utf-8",
    )
    return load_sources(path)


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
