"""F7 timeliness: one team's view is stale when its latest record lags the others by days, or missing
when none of its records has arrived."""

from __future__ import annotations

from expectations.spec import CheckSpec, offending_rows

ASSET = ("marts", "customer_journey")

LATEST = """
WITH latest AS (
  SELECT _source AS source, 'complaints' AS kind, NULL AS detail, max(greatest(created_at, coalesce(updated_at, created_at))) AS latest_at
  FROM raw.complaints GROUP BY ALL
  UNION ALL SELECT _source, 'complaint_events', NULL, max(event_at) FROM raw.complaint_events GROUP BY ALL
  UNION ALL SELECT _source, 'survey_responses', survey, max(submitted_at) FROM raw.survey_responses GROUP BY ALL
  UNION ALL SELECT _source, 'contacts', NULL, max(started_at) FROM raw.contacts GROUP BY ALL
),
freshest AS (SELECT max(latest_at) AS freshest_at FROM latest)
"""


def checks() -> list[CheckSpec]:
    return [
        offending_rows(
            "F7_timeliness__stale_sources",
            ASSET,
            "a source (per survey for survey tools) whose latest record is more than {max_lag_days} days behind the "
            "freshest source: that team works from an older reality",
            LATEST
            + """SELECT source, kind, detail AS survey, latest_at,
                          round((epoch(freshest_at) - epoch(latest_at)) / 86400, 1) AS days_behind
                        FROM latest, freshest
                        WHERE epoch(freshest_at) - epoch(latest_at) > {max_lag_days} * 86400
                        ORDER BY days_behind DESC, source""",
            unit="sources",
            entity=("survey",),
            params={"max_lag_days": 3},
        ),
        offending_rows(
            "F7_timeliness__missing_team_views",
            ASSET,
            "a team view of which no record has arrived at all (the night compared the others without it: "
            "nothing to be stale): service's complaints, marketing's survey responses, operations' contacts "
            "or workload, management's dashboards",
            """SELECT view, holds FROM (
                   SELECT 'service' AS view, 'complaints' AS holds, (SELECT count(*) FROM raw.complaints) AS n
                   UNION ALL SELECT 'marketing', 'survey responses', (SELECT count(*) FROM raw.survey_responses)
                   UNION ALL SELECT 'operations', 'contacts or workload',
                       (SELECT count(*) FROM raw.contacts) + (SELECT count(*) FROM raw.workload)
                   UNION ALL SELECT 'management', 'dashboard KPIs', (SELECT count(*) FROM raw.dashboard_kpis)
               ) WHERE n = 0 ORDER BY view""",
            unit="team views",
            entity=("view",),
        ),
    ]
