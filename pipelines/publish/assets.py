"""Publish: the analyst DuckDB file and the diagnostic report, after every mart is built and checked."""

import json
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from cx_unify.settings import load_settings
from expectations.suites import all_checks
from pipelines.publish.analyst_file import publish_analyst_file
from pipelines.publish.report import build_report
from pipelines.resources import WarehouseResource
from pipelines.transform.resources import MANIFEST, ensure_manifest

GROUP = "publish"


def _manifest_nodes() -> list[dict]:
    ensure_manifest()
    return list(json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"].values())


def _marts() -> list[dict]:
    return [
        node
        for node in _manifest_nodes()
        if node["resource_type"] == "model" and node.get("config", {}).get("schema") == "marts"
    ]


def _dbt_tests() -> list[str]:
    """The project's dbt tests as quality.check_results names them (dbt:<test>)."""
    return [f"dbt:{node['name']}" for node in _manifest_nodes() if node["resource_type"] == "test"]


def _mart_keys() -> list[dg.AssetKey]:
    return sorted(dg.AssetKey(["marts", node["name"]]) for node in _marts())


def kept_marts() -> dict[str, list[str]]:
    """The marts kept by fingerprint (incremental by a unique key, with source_fingerprint): the analyst
    file patches their changed keys instead of writing them in full."""
    kept = {}
    for node in _marts():
        config = node.get("config", {})
        unique_key = config.get("unique_key")
        if (
            config.get("materialized") == "incremental"
            and unique_key
            and "source_fingerprint" in node["columns"]
        ):
            kept[f"marts.{node['name']}"] = [unique_key] if isinstance(unique_key, str) else list(unique_key)
    return kept


def _upstream_keys() -> list[dg.AssetKey]:
    """Every mart, and every asset a check guards: the checks are blocking, so publishing waits for all
    of tonight's results (and an ERROR failure on any of them keeps yesterday's file)."""
    checked = {dg.AssetKey(list(spec.asset)) for spec in all_checks()}
    return sorted(set(_mart_keys()) | checked)


@dg.asset(key=["published", "analyst_file"], group_name=GROUP, deps=_upstream_keys(), kinds={"duckdb"})
def analyst_file(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The DuckDB file analysts open (CX_PUBLISHED/cx.duckdb): marts, check history and reference tables,
    PII masked by salted hash, a README table; rebuilt beside the live file and swapped in atomically.
    (The warehouse resource: its path, and the run lock a run holds while it writes the warehouse.)
    Refused while the latest result of a blocking (ERROR) check failed, also in a run of a selection of
    assets that ran no checks: the nightly's checks block publishing only within their own run."""
    settings = load_settings()
    with warehouse.get_connection(read_only=True) as con:
        blocking = failed_blocking_checks(con, [spec.name for spec in all_checks()] + _dbt_tests())
    if blocking:
        check, asset, run_id, checked_at = blocking[0]
        raise dg.Failure(
            description=f"publish refused: the latest result of the blocking check {check} on {asset} failed "
            f"(run {run_id}, {checked_at:%Y-%m-%d %H:%M} UTC)"
            + (f" and {len(blocking) - 1} more" if len(blocking) > 1 else "")
            + "; the published files stay as they are. Fix what it found and run the nightly (cx-unify run, "
            "or the job nightly in the UI), which checks again before it publishes."
        )
    result = publish_analyst_file(
        Path(warehouse.path), settings.published_db, settings.pii_salt, settings.mask_pii, kept_marts()
    )
    rewritten = ", ".join(f"{t}: {n} keys" for t, n in result.patched.items()) or "none (written in full)"
    context.log.info(
        f"published {result.path} ({result.size_bytes / 1e6:.1f} MB, {len(result.tables)} tables; "
        f"patched {rewritten})"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "size_mb": round(result.size_bytes / 1e6, 2),
            "tables": dg.MetadataValue.md("\n".join(f"- `{t}`: {n} rows" for t, n in result.tables.items())),
            "pii_masked_columns": dg.MetadataValue.text(", ".join(result.masked_columns) or "none present"),
            "patched_keys": dg.MetadataValue.text(rewritten),
        }
    )


@dg.asset(key=["published", "diagnostic_report"], group_name=GROUP, deps=[analyst_file], kinds={"html"})
def diagnostic_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Self-contained HTML diagnostic (CX_PUBLISHED/report.html) built from the analyst file."""
    settings = load_settings()
    path = build_report(
        settings.published_db,
        settings.report_html,
        context.run_id,
        _runs_continued(context),
        [spec.name for spec in all_checks()],
    )
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})


def failed_blocking_checks(con: duckdb.DuckDBPyConnection, catalogue: list[str]) -> list[tuple[Any, ...]]:
    """(check, asset, run id, checked at) of each check named in `catalogue` (the GX catalogue's names and
    the project's dbt tests as `dbt:<test>`: a check no longer defined does not block) whose latest result
    is an ERROR failure."""
    if not con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE schema_name = 'quality' AND table_name = 'check_results'"
    ).fetchall():
        return []
    return con.execute(
        """SELECT "check", asset, run_id, checked_at FROM quality.check_results
        WHERE "check" IN (SELECT unnest(?::VARCHAR[]))
        QUALIFY row_number() OVER (PARTITION BY "check", asset ORDER BY checked_at DESC) = 1
            AND NOT passed AND upper(severity) = 'ERROR'
        ORDER BY checked_at DESC, "check" """,
        [catalogue],
    ).fetchall()


def _runs_continued(context: dg.AssetExecutionContext) -> list[str]:
    """The runs this one re-executes, nearest first (its parent, the parent's parent): a re-execution
    from failure in the UI or dagster.yaml's resume retry runs only the steps that failed, and tonight's
    other checks are in the runs before it."""
    earlier: list[str] = []
    parent = context.run.parent_run_id
    while parent and parent not in earlier:
        earlier.append(parent)
        run = context.instance.get_run_by_id(parent)
        parent = run.parent_run_id if run else None
    return earlier
