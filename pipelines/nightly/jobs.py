"""The nightly job: every asset and check, ingest through publish."""

from __future__ import annotations

import dagster as dg

from pipelines.nightly.hooks import record_run_failure

nightly_job = dg.define_asset_job(
    "nightly",
    selection=dg.AssetSelection.all(),
    description="Ingest every landed export, build the dbt project, run the checks, publish the analyst file "
    "and the diagnostic report.",
    hooks={record_run_failure},
    tags={"dagster/max_retries": "1", "dagster/retry_on_asset_or_op_failure": "false"},
)
