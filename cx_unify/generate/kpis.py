"""The management dashboards: KPI values computed from the data as exported, then the F3 faults.

These definitions are an independent re-implementation of dbt_project/seeds/metric_registry.csv;
on a clean generation the pipeline's recomputation must agree with every value written here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from cx_unify.generate.faults import FaultPlan
from cx_unify.generate.writers import GROUP_TO_TEAM, QUEUE_TO_TEAM

DASHBOARD_METRICS = {
    "Service Performance": ("Complaints Received", "Complaints Resolved", "Avg CSAT"),
    "Contact Centre": ("Calls Handled", "Abandon Rate"),
}
UNITS = {
    "Complaints Received": "count",
    "Complaints Resolved": "count",
    "Avg CSAT": "score",
    "Calls Handled": "count",
    "Abandon Rate": "%",
}
TOLERANCE = {"count": 0.0, "score": 0.011, "%": 0.011}


def _periods(months: list[tuple[datetime, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"period_start": [m[0] for m in months], "period_end": [m[1] - timedelta(days=1) for m in months]}
    )


def _by_month(df: pl.DataFrame, ts: str, months: list[tuple[datetime, datetime]]) -> pl.DataFrame:
    """The rows inside a dashboard period, with its start: periods are months clipped to the window, so a
    window ending (or starting) mid-month counts only its days of that month."""
    period_start = pl.lit(None, dtype=pl.Datetime("us"))
    for start, end in months:
        period_start = (
            pl.when((pl.col(ts) >= start) & (pl.col(ts) < end)).then(pl.lit(start)).otherwise(period_start)
        )
    return df.with_columns(period_start=period_start).filter(pl.col("period_start").is_not_null())


def compute(
    tickets: pl.DataFrame,
    surveys: pl.DataFrame,
    calls: pl.DataFrame,
    months: list[tuple[datetime, datetime]],
    plan: FaultPlan,
    window_end: datetime,
) -> tuple[pl.DataFrame, list[dict]]:
    """Dashboard rows (dashboard, metric, team, period, value, unit, exported_at) and F3 fault records."""
    valid = tickets.filter(pl.col("valid")).with_columns(
        team=pl.col("group").replace_strict(GROUP_TO_TEAM, default=None),
        closed=pl.col("status").is_in(["solved", "closed"]),
    )
    received = _by_month(valid.filter(pl.col("team").is_not_null()), "created_at", months)
    rec_true = received.group_by("team", "period_start").agg(value=pl.len().cast(pl.Float64))
    rec_closed = (
        received.filter(pl.col("status") == "closed")
        .group_by("team", "period_start")
        .agg(fault_value=pl.len().cast(pl.Float64))
    )
    resolved = _by_month(valid.filter(pl.col("team").is_not_null() & pl.col("closed")), "solved_at", months)
    res_true = resolved.group_by("team", "period_start").agg(value=pl.len().cast(pl.Float64))

    ticket_team = valid.select(pl.col("id").cast(pl.Int64, strict=False).alias("ticket_id"), "team")
    csat = (
        surveys.filter(pl.col("valid") & (pl.col("survey") == "csat"))
        .with_columns(score_num=pl.col("score").cast(pl.Float64))
        .join(ticket_team, on="ticket_id", how="inner")
    )
    csat = _by_month(csat.filter(pl.col("team").is_not_null()), "submitted", months)
    csat_true = csat.group_by("team", "period_start").agg(value=pl.col("score_num").mean().round(2))
    csat_fault = (
        csat.filter(pl.col("score_num") > 1)
        .group_by("team", "period_start")
        .agg(fault_value=pl.col("score_num").mean().round(2))
    )

    call_rows = calls.with_columns(team=pl.col("type").replace_strict(QUEUE_TO_TEAM, default=None))
    call_rows = _by_month(call_rows, "started_utc", months)
    handled = call_rows.group_by("team", "period_start").agg(
        value=(pl.col("outcome") == "AGENT").sum().cast(pl.Float64)
    )
    abandon = call_rows.group_by("team", "period_start").agg(
        value=(
            100
            * (pl.col("outcome") == "HANG").sum()
            / ((pl.col("outcome") == "AGENT") | (pl.col("outcome") == "HANG")).sum()
        ).round(2)
    )

    stale_cut = window_end - timedelta(days=plan.stale_export_days_early)
    stale_rows = call_rows.filter(pl.col("started_utc") < stale_cut)
    handled_stale = stale_rows.group_by("team", "period_start").agg(
        fault_value=(pl.col("outcome") == "AGENT").sum().cast(pl.Float64)
    )
    abandon_stale = stale_rows.group_by("team", "period_start").agg(
        fault_value=(
            100
            * (pl.col("outcome") == "HANG").sum()
            / ((pl.col("outcome") == "AGENT") | (pl.col("outcome") == "HANG")).sum()
        ).round(2)
    )

    exported = window_end.strftime("%Y-%m-%d") + " 06:00:00"
    stale_exported = stale_cut.strftime("%Y-%m-%d") + " 06:00:00"
    periods = _periods(months)
    parts = []
    faults: list[dict] = []
    specs = [
        (
            "Service Performance",
            "Complaints Received",
            rec_true,
            rec_closed,
            plan.counts_only_closed_team,
            "kpi_counts_only_closed",
        ),
        ("Service Performance", "Complaints Resolved", res_true, None, None, None),
        (
            "Service Performance",
            "Avg CSAT",
            csat_true,
            csat_fault,
            plan.filter_error_team,
            "kpi_filter_error",
        ),
        (
            "Contact Centre",
            "Calls Handled",
            handled,
            handled_stale,
            "*" if plan.stale_dashboard else None,
            "kpi_stale_export",
        ),
        (
            "Contact Centre",
            "Abandon Rate",
            abandon,
            abandon_stale,
            "*" if plan.stale_dashboard else None,
            "kpi_stale_export",
        ),
    ]
    last_period = months[-1][0]
    for i, (dashboard, metric, true_df, fault_df, fault_team, fault_kind) in enumerate(specs):
        if fault_df is not None and fault_team not in (None, "*"):
            # the planned team, unless its data leave no gap to show: then the team with the largest gap
            fault_team = _team_with_gap(true_df, fault_df, fault_team)
            specs[i] = (dashboard, metric, true_df, fault_df, fault_team, fault_kind)
        df = true_df.join(periods, on="period_start", how="inner").with_columns(
            dashboard=pl.lit(dashboard),
            metric=pl.lit(metric),
            unit=pl.lit(UNITS[metric]),
            exported_at=pl.lit(stale_exported if (dashboard == plan.stale_dashboard) else exported),
        )
        if fault_df is not None and fault_team is not None:
            df = df.join(fault_df, on=["team", "period_start"], how="left")
            # a stale export cut only the last period short; the other faults hit one team throughout
            hit = pl.col("period_start") == last_period if fault_team == "*" else pl.col("team") == fault_team
            df = df.with_columns(
                true_value=pl.col("value"),
                value=pl.when(hit).then(pl.col("fault_value").fill_null(0.0)).otherwise(pl.col("value")),
            )
            gaps = df.filter(
                hit & ((pl.col("value") - pl.col("true_value")).abs() > TOLERANCE[UNITS[metric]])
            )
            for row in gaps.sort("team", "period_start").iter_rows(named=True):
                faults.append(
                    {
                        "kind": fault_kind,
                        "dashboard": dashboard,
                        "metric": metric,
                        "team": row["team"],
                        "period_start": row["period_start"].date().isoformat(),
                        "dashboard_value": row["value"],
                        "true_value": row["true_value"],
                        "gap": round(row["value"] - row["true_value"], 4),
                    }
                )
            df = df.drop("fault_value", "true_value")
        parts.append(
            df.select(
                "dashboard",
                "exported_at",
                "period_start",
                "period_end",
                "metric",
                "team",
                pl.col("value").map_elements(_fmt, return_dtype=pl.String),
                "unit",
            )
        )
    return pl.concat(parts), faults


def _team_with_gap(true_df: pl.DataFrame, fault_df: pl.DataFrame, planned: str) -> str:
    gaps = (
        true_df.join(fault_df, on=["team", "period_start"], how="left")
        .with_columns(gap=(pl.col("value") - pl.col("fault_value").fill_null(0.0)).abs())
        .group_by("team")
        .agg(pl.col("gap").sum())
        .sort("gap", "team", descending=[True, False])
    )
    planned_gap = gaps.filter(pl.col("team") == planned)["gap"].sum()
    if planned_gap > 0.011 or gaps.is_empty():
        return planned
    return str(gaps["team"][0])


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
