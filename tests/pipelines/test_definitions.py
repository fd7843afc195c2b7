"""The definitions load, and nothing is renamed by accident (snapshot of keys, checks, jobs, schedules)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"
REPO = Path(__file__).resolve().parents[2]


def _check_settings() -> dict:
    from cx_unify.settings import load_settings
    from expectations.config import load_check_settings
    from expectations.suites import all_checks

    return load_check_settings(load_settings().checks, all_checks())


def _snapshot(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    return {
        "assets": sorted(k.to_user_string() for k in defs.resolve_all_asset_keys()),
        "groups": {k.to_user_string(): graph.get(k).group_name for k in sorted(graph.get_all_asset_keys())},
        "checks": sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys),
        "error_checks": sorted(name for name, s in _check_settings().items() if s.severity == "ERROR"),
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted([s.name, s.cron_schedule, s.execution_timezone] for s in defs.schedules or []),
        "sensors": sorted(s.name for s in defs.sensors or []),
    }


def test_definitions_load_and_match_snapshot(cx_env: Path) -> None:
    from pipelines.definitions import defs

    dg.Definitions.validate_loadable(defs)
    current = _snapshot(defs)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), (
        "definitions changed: rerun with UPDATE_SNAPSHOTS=1 if meant"
    )


def test_nightly_job_covers_every_asset(cx_env: Path) -> None:
    from pipelines.definitions import defs

    job = defs.resolve_job_def("nightly")
    graph = defs.resolve_asset_graph()
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert set(job.asset_layer.selected_asset_keys) == materializable
    schedule = defs.resolve_schedule_def("nightly_at_0200")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.job_name == "nightly"


def test_publishing_waits_for_every_check(cx_env: Path) -> None:
    """The analyst file depends on every asset a catalogue check guards, and those checks are blocking:
    Dagster runs them before publishing (only an ERROR failure stops it)."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    publish_parents = graph.get(dg.AssetKey(["published", "analyst_file"])).parent_keys
    settings = _check_settings()
    catalogue = [c for c in graph.asset_check_keys if c.name in settings]
    assert catalogue
    for key in catalogue:
        assert graph.get_check_spec(key).blocking, key
        assert key.asset_key in publish_parents, key


def test_every_check_says_what_it_holds(cx_env: Path) -> None:
    """The UI shows each asset check's description: dbt's generic tests have none of their own."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    described = {k.name: graph.get_check_spec(k).description for k in graph.asset_check_keys}
    assert [name for name, text in described.items() if not text] == []
    assert (
        described["not_null_customers_customer_key"]
        == "dbt test (ERROR): customers.customer_key is never null"
    )
    assert described["relationships_metric_names_metric_key__metric_key__ref_metric_registry_"] == (
        "dbt test (ERROR): every metric_names.metric_key is a metric_registry.metric_key (or null)"
    )


@pytest.mark.slow
def test_dg_check_defs_passes(cx_env: Path) -> None:
    """What a data engineer runs: `dg check defs` from the repository root."""
    env = {**os.environ, "CX_HOME": str(cx_env)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "loaded successfully" in (done.stdout + done.stderr)
