"""The fragmentation and validity catalogue (expectations/) as Dagster asset checks beside their assets.

Severity, threshold and parameters come from checks.yml. Every check is `blocking` in Dagster's sense:
what depends on its asset (publishing depends on every checked asset) waits for it, so tonight's results
are all in the published file and report; only an ERROR failure stops what is downstream (Dagster gates
on ERROR severity alone), a WARN finding is reported and the night goes on. Each result also goes to
quality.check_results.

The checks of one asset run as one Dagster step on one warehouse connection, which keeps the asset's
data in DuckDB's buffers from one check to the next; a step per check reopened the 2.4 GB file (SF 10)
with cold buffers and checkpointed it on closing. Each check is still its own asset check in the UI and
can be run alone (the step runs the checks selected). A check that raises is recorded as failed, the
asset's other checks still run, and then the step fails, as a step per check did. One step per asset,
not per layer: a step that checks several assets where one depends on another (raw contacts ->
workload, the marts) would have to run both before and after the dependent asset, and Dagster splits
the graph (dbt's step too) to do so.
"""

from collections.abc import Iterator

import dagster as dg

from cx_unify.settings import load_settings
from expectations.config import CheckSettings, load_check_settings
from expectations.runner import CheckOutcome, run_check
from expectations.spec import CheckSpec
from expectations.suites import all_checks
from pipelines.quality.results import CheckRecord, write_check_records
from pipelines.resources import WarehouseResource


def _sample_table(outcome: CheckOutcome) -> str:
    rows = outcome.failing_sample
    if not rows:
        return "no failing rows"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def _description(spec: CheckSpec, settings: CheckSettings) -> str:
    return spec.description.format(**settings.params)


def _check_spec(spec: CheckSpec, settings: CheckSettings) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name=spec.name,
        asset=dg.AssetKey(list(spec.asset)),
        blocking=True,  # downstream waits; only an ERROR-severity failure stops it
        description=f"{_description(spec, settings)} [{settings.severity}, threshold {settings.threshold:g}]",
    )


def _result(spec: CheckSpec, settings: CheckSettings, outcome: CheckOutcome) -> dg.AssetCheckResult:
    metadata: dict[str, dg.RawMetadataValue] = {
        "observed_value": outcome.observed_value if outcome.observed_value is not None else "n/a",
        "threshold": settings.threshold,
        "unit": spec.unit,
        "rows_checked": outcome.rows_checked,
        "failing_sample": dg.MetadataValue.md(_sample_table(outcome)),
    }
    if outcome.error:
        metadata["error"] = outcome.error
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(list(spec.asset)),
        check_name=spec.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity(settings.severity),
        metadata=metadata,
    )


def _record(spec: CheckSpec, settings: CheckSettings, outcome: CheckOutcome) -> CheckRecord:
    return CheckRecord(
        check=spec.name,
        asset="/".join(spec.asset),
        severity=settings.severity,
        passed=outcome.passed,
        observed_value=outcome.observed_value,
        threshold=settings.threshold,
        failing_sample=outcome.failing_sample,
        description=_description(spec, settings),
    )


def build_asset_checks(
    specs: list[CheckSpec], settings: dict[str, CheckSettings]
) -> dg.AssetChecksDefinition:
    """One step for the checks of one asset (`specs`, in catalogue order), on one warehouse connection."""
    asset = specs[0].asset
    by_key = {dg.AssetCheckKey(dg.AssetKey(list(asset)), s.name): s for s in specs}

    @dg.multi_asset_check(
        specs=[_check_spec(spec, settings[spec.name]) for spec in specs],
        name=f"{'__'.join(asset)}_checks",
        description=f"The catalogue's checks of {'/'.join(asset)} (expectations/, checks.yml).",
        can_subset=True,
    )
    def _checks(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        selected = [spec for key, spec in by_key.items() if key in context.selected_asset_check_keys]
        raised: list[str] = []
        # a check reads, then writes one result row: no checkpoint of the whole file for those rows
        # (~0.1 s each at SF 10). They stay in the WAL, which readers replay (publishing, table counts),
        # until a writer checkpoints: dbt for the raw checks' rows, the publish's record for the others
        with warehouse.get_connection(checkpoint_on_close=False) as con:
            for spec in selected:
                config = settings[spec.name]
                try:
                    outcome = run_check(
                        con, spec, severity=config.severity, threshold=config.threshold, params=config.params
                    )
                except Exception as exc:  # the asset's other checks still run; the step fails below
                    context.log.exception(f"check {spec.name} raised")
                    raised.append(f"{spec.name}: {exc!r}")
                    outcome = CheckOutcome(
                        spec=spec,
                        passed=False,
                        observed_value=None,
                        threshold=config.threshold,
                        severity=config.severity,
                        rows_checked=0,
                        error=f"check raised: {exc!r}",
                    )
                write_check_records(con, context.run.run_id, [_record(spec, config, outcome)])
                yield _result(spec, config, outcome)
        if raised:  # a broken check is not a finding: the step fails (ops.run_failures) and nothing publishes
            raise dg.Failure(f"{len(raised)} check(s) of {'/'.join(asset)} raised: " + "; ".join(raised))

    return _checks


def build_checks() -> list[dg.AssetChecksDefinition]:
    specs = all_checks()
    settings = load_check_settings(load_settings().checks, specs)
    by_asset: dict[tuple[str, ...], list[CheckSpec]] = {}
    for spec in specs:
        by_asset.setdefault(spec.asset, []).append(spec)
    return [build_asset_checks(asset_specs, settings) for asset_specs in by_asset.values()]
