"""The dbt step's failure says which models failed and why, not only dbt's exit code."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_unify.settings import load_settings
from pipelines.nightly.loggers import failure_message

pytestmark = pytest.mark.slow


def test_a_dbt_build_in_error_names_the_models_and_dbts_message(cx_env: Path) -> None:
    """The raw tables were never loaded (a warehouse restored without them): dbt's staging models fail.
    dagster-dbt's error said 'failed with exit code 1 ... check the compute logs' on its first lines,
    which are what the console, the UI's run list and ops.run_failures show."""
    from pipelines.definitions import build_definitions

    settings = load_settings()
    settings.export()
    duckdb.connect(str(settings.warehouse)).close()  # a warehouse without raw tables
    job = build_definitions(settings).resolve_job_def("nightly")
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        asset_selection=[dg.AssetKey(["staging", "stg_service__complaints"])],
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    error = failure.event_specific_data.error  # type: ignore[union-attr]
    first_line = failure_message(error)  # the console's line
    assert first_line.startswith(
        "DbtBuildFailed: dbt build failed: model stg_service__complaints: "
        "Runtime Error in model stg_service__complaints"
    )
    assert 'Table with name "raw.complaints" does not exist' in first_line
    assert "nodes skipped after them (dbt's log: " in first_line
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        (recorded,) = con.execute("SELECT step, error FROM ops.run_failures").fetchall()
    finally:
        con.close()
    assert recorded[0] == "dbt_models" and "dbt build failed: model stg_service__complaints" in recorded[1]
