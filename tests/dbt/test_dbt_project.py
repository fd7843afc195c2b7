"""The dbt project on its own: raw sources equal the contracts, and every dbt unit test passes."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from connectors.contracts import CONTRACTS, LINEAGE
from connectors.ingest import ensure_schema
from cx_unify.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")


def test_raw_sources_match_the_contracts() -> None:
    document = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml").read_text())
    tables = {t["name"]: t for t in document["sources"][0]["tables"]}
    assert set(tables) == set(CONTRACTS)
    for name, contract in CONTRACTS.items():
        declared = [(c["name"], c["data_type"]) for c in tables[name]["columns"]]
        expected = [(c.name, c.type.lower()) for c in (*contract.columns, *LINEAGE)]
        assert declared == expected, name
        assert tables[name]["meta"]["dagster"]["asset_key"] == ["raw", name]


def _dbt(args: list[str], warehouse: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CX_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run(
        [
            DBT,
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(warehouse.parent / "target"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_dbt_unit_tests_pass(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_schema(con)  # empty raw tables: unit tests need the relations' column types
    con.close()
    built = _dbt(
        ["build", "--empty", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"],
        warehouse,
    )
    assert built.returncode == 0, built.stdout[-3000:]
    tested = _dbt(["test", "--select", "test_type:unit"], warehouse)
    assert tested.returncode == 0, tested.stdout[-4000:]
    assert "PASS=8" in tested.stdout, tested.stdout[-1500:]


def _marts(warehouse: Path) -> dict[str, list]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        return {
            n: sorted(
                (
                    tuple(round(v, 6) if isinstance(v, float) else v for v in row)
                    for row in con.execute(f"SELECT * FROM marts.{n}").fetchall()
                ),
                key=repr,
            )
            for n in names
        }
    finally:
        con.close()


@pytest.mark.slow
def test_incremental_and_full_refresh_builds_agree(tmp_path: Path, faulted_landing: Path) -> None:
    """The incremental models (fragmentation_scorecard) give the same marts as a full refresh."""
    from connectors.ingest import ingest_sources
    from connectors.sources import load_sources
    from cx_unify.settings import DEFAULT_SOURCES

    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    ingest_sources(con, load_sources(DEFAULT_SOURCES), faulted_landing)
    con.close()
    args = ["build", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"]
    assert _dbt(args, warehouse).returncode == 0
    assert _dbt(args, warehouse).returncode == 0  # second night: incremental models merge
    incremental = _marts(warehouse)
    assert _dbt([*args, "--full-refresh"], warehouse).returncode == 0
    assert _marts(warehouse) == incremental
    assert incremental["fragmentation_scorecard"]
