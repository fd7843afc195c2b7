"""The fragmentation and validity catalogue (expectations/) as Dagster asset checks beside their assets.

Severity, threshold and parameters come from checks.yml. Every check is `blocking` in Dagster's sense:
what depends on its asset (publishing depends on every checked asset) waits for it, so tonight's results
are all in the published file and report; only an ERROR failure stops what is downstream (Dagster gates
on ERROR severity alone), a WARN finding is reported and the night goes on. Each result also goes to
quality.check_results.
"""

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


def build_check(spec: CheckSpec, settings: CheckSettings) -> dg.AssetChecksDefinition:
    severity, threshold, params = settings.severity, settings.threshold, settings.params
    description = spec.description.format(**params)

    @dg.asset_check(
        asset=dg.AssetKey(list(spec.asset)),
        name=spec.name,
        blocking=True,  # downstream waits; only an ERROR-severity failure stops it
        description=f"{description} [{severity}, threshold {threshold:g}]",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            outcome = run_check(con, spec, severity=severity, threshold=threshold, params=params)
            write_check_records(
                con,
                context.run.run_id,
                [
                    CheckRecord(
                        check=spec.name,
                        asset="/".join(spec.asset),
                        severity=severity,
                        passed=outcome.passed,
                        observed_value=outcome.observed_value,
                        threshold=threshold,
                        failing_sample=outcome.failing_sample,
                        description=description,
                    )
                ],
            )
        metadata: dict[str, dg.RawMetadataValue] = {
            "observed_value": outcome.observed_value if outcome.observed_value is not None else "n/a",
            "threshold": threshold,
            "unit": spec.unit,
            "rows_checked": outcome.rows_checked,
            "failing_sample": dg.MetadataValue.md(_sample_table(outcome)),
        }
        if outcome.error:
            metadata["error"] = outcome.error
        return dg.AssetCheckResult(
            passed=outcome.passed, severity=dg.AssetCheckSeverity(severity), metadata=metadata
        )

    return _check


def build_checks() -> list[dg.AssetChecksDefinition]:
    specs = all_checks()
    settings = load_check_settings(load_settings().checks, specs)
    return [build_check(spec, settings[spec.name]) for spec in specs]
