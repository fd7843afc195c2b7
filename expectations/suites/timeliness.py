"""F7 timeliness: one team's view is stale when its latest record lags the others by days."""

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
    ]
