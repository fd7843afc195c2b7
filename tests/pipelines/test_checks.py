"""The catalogue's checks as Dagster steps: one step per checked asset, each check its own result."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from expectations.config import CheckSettings
from expectations.spec import CheckSpec, offending_rows
from pipelines.quality.checks import build_asset_checks
from pipelines.resources import WarehouseResource

ASSET = ("raw", "orders")


def _broken_expectations(threshold: float) -> list[Any]:
    raise RuntimeError("a bug in this check's expectations")


def _specs() -> list[CheckSpec]:
    negative = offending_rows(
        "F9_test__negative_amounts",
        ASSET,
        "orders with a negative amount",
        "SELECT * FROM raw.orders WHERE amount < 0",
    )
    broken = CheckSpec(
        name="F9_test__broken",
        asset=ASSET,
        description="a check whose code raises",
        severity="WARN",
        threshold=0,
        sql="SELECT * FROM raw.orders",
        expectations=_broken_expectations,
        observed="count(*)",
    )
    missing = offending_rows(
        "F9_test__missing_ids", ASSET, "orders without an id", "SELECT * FROM raw.orders WHERE id IS NULL"
    )
    return [negative, broken, missing]


def _orders_asset(warehouse: Path) -> dg.AssetsDefinition:
    @dg.asset(key=list(ASSET))
    def orders() -> None:
        con = duckdb.connect(str(warehouse))
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("DROP TABLE IF EXISTS raw.orders")
        con.execute(
            "CREATE TABLE raw.orders AS SELECT * FROM (VALUES (1, 10.0), (2, -5.0), (NULL, 3.0)) t(id, amount)"
        )
        con.close()

    return orders


RECORDED = 'SELECT "check", passed, observed_value FROM quality.check_results ORDER BY "check"'


def test_checks_of_one_asset_run_in_one_step_and_a_broken_check_fails_it_after_the_others(
    tmp_path: Path, query: Callable[..., list[tuple]]
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    orders = _orders_asset(warehouse)
    specs = _specs()
    settings = {s.name: CheckSettings(severity="WARN", threshold=0) for s in specs}
    checks = build_asset_checks(specs, settings)
    result = dg.materialize(
        [orders, checks],
        resources={"warehouse": WarehouseResource(path=str(warehouse))},
        raise_on_error=False,
    )

    steps = {e.step_key for e in result.all_events if e.is_step_start}
    assert steps == {"raw__orders", "raw__orders_checks"}
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {s.name for s in specs}
    assert not evaluations["F9_test__negative_amounts"].passed
    assert evaluations["F9_test__negative_amounts"].metadata["observed_value"].value == 1
    broken = evaluations["F9_test__broken"]
    assert not broken.passed and "a bug in this check's expectations" in broken.metadata["error"].value
    assert not evaluations["F9_test__missing_ids"].passed  # ran after the broken one
    # a check that raises is not a finding: the step fails once every check has its result
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["raw__orders_checks"]
    assert "F9_test__broken" in str(failures[0].event_specific_data.error)  # type: ignore[union-attr]
    assert query(warehouse, RECORDED) == [
        ("F9_test__broken", False, None),
        ("F9_test__missing_ids", False, 1.0),
        ("F9_test__negative_amounts", False, 1.0),
    ]


def test_one_check_runs_alone(tmp_path: Path, query: Callable[..., list[tuple]]) -> None:
    """What the UI's "execute" on one check does: the asset's step runs that check only."""
    warehouse = tmp_path / "warehouse.duckdb"
    orders = _orders_asset(warehouse)
    specs = _specs()
    settings = {s.name: CheckSettings(severity="WARN", threshold=0) for s in specs}
    checks = build_asset_checks(specs, settings)
    resources = {"warehouse": WarehouseResource(path=str(warehouse))}
    assert dg.materialize([orders], resources=resources).success
    only = dg.AssetCheckKey(dg.AssetKey(list(ASSET)), "F9_test__missing_ids")
    result = dg.materialize([orders, checks], resources=resources, selection=dg.AssetSelection.checks(only))
    assert result.success
    assert [e.check_name for e in result.get_asset_check_evaluations()] == ["F9_test__missing_ids"]
    assert query(warehouse, RECORDED) == [("F9_test__missing_ids", False, 1.0)]
