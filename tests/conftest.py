"""Shared fixtures: generations at the test size (SF 0.01), temporary CX_HOMEs, the marts of a warehouse."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from cx_unify.generate import generate
from pipelines.publish.analyst_file import SIDE_TABLES, UNPUBLISHED_COLUMNS
from tests.fixtures.homes import run_cli

TEST_SCALE = 0.01
CX_VARS = (
    "CX_HOME",
    "CX_LANDING",
    "CX_WAREHOUSE",
    "CX_PUBLISHED",
    "CX_SOURCES",
    "CX_CHECKS",
    "CX_PII_SALT",
    "DAGSTER_HOME",
)


@pytest.fixture(scope="session")
def faulted_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing_faulted")
    generate(out, scale=TEST_SCALE, seed=7)
    return out


@pytest.fixture(scope="session")
def faulted_night(tmp_path_factory: pytest.TempPathFactory, faulted_landing: Path) -> Path:
    """A CX_HOME after one `cx-unify run` over faulted_landing, made once. Tests whose first night is only
    there to have a warehouse and a published file start from a copy (copy_of_faulted_night); read-only, it is also a
    reference to compare marts with. A night of its own costs a test ~15 s (~40 s in the machine's slow
    phases)."""
    home = tmp_path_factory.mktemp("faulted_night") / "home"
    shutil.copytree(faulted_landing, home / "landing")
    done = run_cli(home)
    assert done.returncode == 0, done.stderr[-3000:]
    return home


@pytest.fixture
def copy_of_faulted_night(faulted_night: Path) -> Callable[[Path], Path]:
    """`copy(home)`: `home` made a copy of faulted_night (its landing folder, warehouse, published file, run
    history and PII salt; the link to the repository's dagster.yaml stays a link), for a test to go on from."""

    def copy(home: Path) -> Path:
        shutil.copytree(faulted_night, home, symlinks=True, dirs_exist_ok=True)
        return home

    return copy


@pytest.fixture(scope="session")
def clean_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing_clean")
    generate(out, scale=TEST_SCALE, seed=7, clean=True)
    return out


@pytest.fixture
def cx_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh CX_HOME for one test; the process environment is restored afterwards."""
    saved = {k: os.environ.get(k) for k in CX_VARS}
    for key in CX_VARS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CX_HOME", str(tmp_path / "cx"))
    yield tmp_path / "cx"
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


MartRows = dict[str, list[tuple]]


def _read_marts(warehouse: Path, digits: int | None = None) -> MartRows:
    """Every marts table's rows (not the side tables a kept model keeps for the next night), sorted; floats rounded to `digits` when given (parallel sums differ in
    the last bits between builds). Without the unpublished bookkeeping columns (UNPUBLISHED_COLUMNS:
    source_fingerprint digests the raw rows' load times, so two warehouses loaded at other times differ
    there with the same data)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' "
                "AND NOT regexp_matches(table_name, ?) ORDER BY 1",
                [SIDE_TABLES],
            ).fetchall()
        ]
        bookkeeping = dict(
            con.execute(
                "SELECT table_name, string_agg(column_name, ', ') FROM duckdb_columns() WHERE schema_name = 'marts' "
                "AND list_contains(?, column_name) GROUP BY table_name",
                [sorted(UNPUBLISHED_COLUMNS)],
            ).fetchall()
        )
        rows = {
            t: con.execute(
                f"SELECT * {f'EXCLUDE ({bookkeeping[t]})' if t in bookkeeping else ''} FROM marts.{t}"
            ).fetchall()
            for t in tables
        }
    finally:
        con.close()
    if digits is not None:
        rows = {
            t: [tuple(round(v, digits) if isinstance(v, float) else v for v in row) for row in table]
            for t, table in rows.items()
        }
    return {t: sorted(table, key=repr) for t, table in rows.items()}


def _query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="session")
def query() -> Callable[..., list[tuple]]:
    """`query(path, sql, params=None)`: the rows of one query on a DuckDB file opened read-only."""
    return _query


@pytest.fixture(scope="session")
def read_marts() -> Callable[..., MartRows]:
    """`read_marts(warehouse, digits=None)`: the rows of every marts table, for comparing two builds."""
    return _read_marts
