"""F3 KPI agreement and F4 volume agreement: do the teams' numbers match the unified data?"""

from __future__ import annotations

from expectations.spec import CheckSpec, offending_rows

ASSET = ("marts", "team_view_reconciliation")


def checks() -> list[CheckSpec]:
    return [
        offending_rows(
            "F3_kpi_agreement__dashboard_vs_data",
            ASSET,
            "a dashboard KPI that disagrees with the same metric recomputed from the unified data, is missing from "
            "the data or from the dashboard, or names a metric the registry does not know (worst gaps first)",
            """SELECT dashboard, metric, dimension_value AS team, period_start, value_seen AS dashboard_value,
                      value_unified AS unified_value, round(delta, 2) AS delta, round(delta_pct, 1) AS delta_pct,
                      status
               FROM marts.team_view_reconciliation
               WHERE comparison = 'management_vs_data' AND status <> 'agree'
               ORDER BY abs(coalesce(delta_pct, 1e9)) DESC, dashboard, metric, team, period_start""",
            unit="KPI values",
            entity=("dashboard", "metric", "team", "period_start"),
        ),
        offending_rows(
            "F4_volume_agreement__phone_complaints_vs_calls",
            ASSET,
            "a team-day where service logged more phone complaints than operations shows handled calls "
            "(every phone complaint comes from a handled call)",
            """SELECT dimension_value AS team, period_start AS day, value_seen AS handled_calls,
                      value_unified AS phone_complaints, value_unified - value_seen AS excess
               FROM marts.team_view_reconciliation
               WHERE comparison = 'operations_vs_service' AND status <> 'agree'
               ORDER BY excess DESC, team, day""",
            unit="team-days",
            entity=("team", "day"),
        ),
        offending_rows(
            "F3_kpi_agreement__survey_vs_ticket_rating",
            ASSET,
            "a team-month where marketing's post-ticket CSAT and service's own ticket rating tell different "
            "satisfaction (share satisfied; a two-proportion z-test beyond 4: not sampling noise)",
            """SELECT dimension_value AS team, period_start AS month, value_seen AS survey_satisfied_share,
                      value_unified AS ticket_rating_good_share, round(delta, 4) AS delta
               FROM marts.team_view_reconciliation
               WHERE comparison = 'marketing_vs_service' AND status = 'disagree'
               ORDER BY abs(delta) DESC, team, month""",
            unit="team-months",
            entity=("team", "month"),
        ),
    ]
