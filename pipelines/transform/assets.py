"""Every dbt model, seed and test as Dagster assets and checks, built with `dbt build`.

dbt tests surface as Dagster asset checks (error severity blocks what is downstream); their results
are also written to quality.check_results once dbt has finished (one writer at a time).
"""

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError
from pydantic import Field

from connectors.dbt_plugin import PARENT_PID_VARIABLE
from expectations import gx_worker
from expectations.runner import warm_up_in_background
from pipelines.quality.results import CheckRecord, write_check_records
from pipelines.resources import WarehouseResource
from pipelines.transform.resources import dbt_project, ensure_manifest
from pipelines.transform.translator import CxDbtTranslator

ensure_manifest()

KEPT_RUN_TARGETS = 10  # dbt's folders of the latest builds (run_results.json, dbt.log) kept for inspection
BUSY_SECONDS = 6 * 3600  # a folder written within this time may belong to a build still at work


def prune_run_targets(current: Path, keep: int = KEPT_RUN_TARGETS) -> list[Path]:
    """Removes the target folders of earlier dbt builds (dagster-dbt makes one a build beside
    target/manifest.json, several MB each: a year of nights filled GBs) but the `keep` newest, `current`
    among them; returns the folders removed."""
    dated = []
    for folder in current.parent.glob(current.name.split("-", 1)[0] + "-*"):
        try:  # another home's build may remove one meanwhile (target/ is the project's, not a home's)
            if folder.is_dir() and folder != current:
                dated.append((folder.stat().st_mtime, folder))
        except OSError:
            continue
    recent = time.time() - BUSY_SECONDS  # a build of another home still at work writes in its folder
    removed = [folder for mtime, folder in sorted(dated, reverse=True)[max(keep - 1, 0) :] if mtime < recent]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


class DbtBuildConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="dbt build --full-refresh: build every incremental model from all the data again (after "
        "upgrading DuckDB, dbt or phonenumbers, or a change its fingerprints do not see); the "
        "fragmentation_scorecard's trend is kept. `cx-unify run --full-refresh` sets it.",
    )


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=CxDbtTranslator())
def dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtBuildConfig,
) -> Iterator[Any]:
    """staging -> intermediate (identity graph) -> marts, with dbt tests as asset checks. dbt unit tests
    are development tests (pytest runs them, tests/dbt/), not part of a night."""
    records: list[CheckRecord] = []
    os.environ[PARENT_PID_VARIABLE] = str(os.getpid())  # dbt ends when this process is killed (dbt_plugin)
    args = [
        "build",
        "--exclude-resource-type",
        "unit_test",
        *(["--full-refresh"] if config.full_refresh else []),
    ]
    # the night's Great Expectations worker served the raw layer's checks; it ends before dbt's
    # heaviest memory (~270 MB less at the night's peak) and this idle process imports GX for the checks
    # that follow (warm_up_in_background below), which costs it ~120 MB more: what is already loaded here
    gx_worker.stop()
    invocation = dbt.cli(args, context=context)
    try:
        yield from _with_checks_recorded(invocation, records)
    except DagsterDbtCliRuntimeError as exc:  # "exit code 2, see the logs": say which models and why
        raise DbtBuildFailed(dbt_failures(invocation.target_path, str(exc))) from exc
    finally:
        os.environ.pop(PARENT_PID_VARIABLE, None)  # not inherited by what this process starts later
        if records:
            with warehouse.get_connection() as con:
                write_check_records(con, context.run_id, records)
        prune_run_targets(invocation.target_path)


def _with_checks_recorded(invocation: Any, records: list[CheckRecord]) -> Iterator[Any]:
    """dagster-dbt's events as they come, each dbt test's result also collected into `records`."""
    for event in invocation.stream():
        # dbt is at work in its own process and this one idles: Great Expectations imports now for
        # the checks that follow (the raw layer's, before dbt, validated in the night's worker process).
        # Not before dbt starts (it would hold up dagster-dbt's start), nor during ingest (it holds
        # the GIL the loader needs: ingest 33 -> 38-41 s on SF 10, for ~4 s saved)
        warm_up_in_background()
        if isinstance(event, dg.AssetCheckResult):
            failures = event.metadata.get("dagster_dbt/failed_row_count")
            records.append(
                CheckRecord(
                    check=f"dbt:{event.check_name}",
                    asset=event.asset_key.to_user_string() if event.asset_key else "",
                    severity=event.severity.value,
                    passed=bool(event.passed),
                    observed_value=float(failures.value) if failures is not None else None,  # type: ignore[arg-type]
                    threshold=0.0,
                    failing_sample=[],
                )
            )
        yield event


class DbtBuildFailed(RuntimeError):
    """dbt build ended in error: names the models, seeds or tests that did and dbt's message for each."""


SHOWN_FAILURES = 5


def dbt_failures(target_path: Path, fallback: str) -> str:
    """One line per node dbt reports as an error (run_results.json: a model's SQL, a seed's CSV, a test
    that could not run) with dbt's own message, and how many were skipped after them; `fallback` (the
    error dagster-dbt raised, which quotes dbt's log) when dbt wrote no results (it failed to start)."""
    try:
        results = json.loads((target_path / "run_results.json").read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):
        return f"dbt build failed: {' '.join(fallback.split())}"
    errors = [r for r in results if r.get("status") in ("error", "runtime error")]
    failed_tests = [r for r in results if r.get("status") == "fail"]
    skipped = sum(1 for r in results if r.get("status") == "skipped")
    lines = [
        f"{r.get('unique_id', '?').split('.', 1)[0]} {r.get('unique_id', '?').rsplit('.', 1)[-1]}: "
        f"{' '.join(str(r.get('message') or 'error').split())[:600]}"
        for r in errors[:SHOWN_FAILURES]
    ]
    if len(errors) > SHOWN_FAILURES:
        lines.append(f"and {len(errors) - SHOWN_FAILURES} more errors")
    if failed_tests:
        tests = "a dbt test" if len(failed_tests) == 1 else f"{len(failed_tests)} dbt tests"
        lines.append(f"{tests} failed at ERROR severity (their checks say which)")
    summary = "; ".join(lines) or "dbt reported no failing node"
    return (
        f"dbt build failed: {summary}; {skipped} {'node' if skipped == 1 else 'nodes'} skipped after them "
        f"(dbt's log: {target_path / 'dbt.log'})"
    )
