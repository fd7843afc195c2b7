"""F6 taxonomy: categories and teams the mapping seeds do not know, so no team's numbers include them."""

from __future__ import annotations

from expectations.spec import CheckSpec, offending_rows

ASSET = ("staging", "stg_service__complaints")


def checks() -> list[CheckSpec]:
    return [
        offending_rows(
            "F6_taxonomy__unmapped_categories",
            ASSET,
            "complaint categories missing from seeds/category_mapping.csv",
            """SELECT category_raw AS category, count(*) AS complaints, min(complaint_id) AS example_complaint
               FROM staging.stg_service__complaints WHERE NOT is_category_mapped
               GROUP BY category_raw ORDER BY complaints DESC, category""",
            unit="categories",
            entity=("category",),
        ),
        offending_rows(
            "F6_taxonomy__unmapped_teams",
            ASSET,
            "team / group / queue names missing from seeds/team_mapping.csv, in any source",
            """SELECT team, sum(records) AS records, string_agg(DISTINCT origin, ', ' ORDER BY origin) AS found_in FROM (
                 SELECT team_raw AS team, count(*) AS records, 'complaints' AS origin
                 FROM staging.stg_service__complaints WHERE NOT is_team_mapped GROUP BY ALL
                 UNION ALL
                 SELECT new_value, count(*), 'complaint history'
                 FROM staging.stg_service__complaint_events
                 WHERE field = 'team' AND new_value IS NOT NULL AND new_team IS NULL GROUP BY ALL
                 UNION ALL
                 SELECT team_raw, count(*), 'contacts' FROM staging.stg_operations__contacts
                 WHERE NOT is_team_mapped GROUP BY ALL
                 UNION ALL
                 SELECT team_raw, count(*), 'workload' FROM staging.stg_operations__workload
                 WHERE NOT is_team_mapped AND source_file IS NOT NULL GROUP BY ALL  -- a call log's: its contacts
                 UNION ALL
                 SELECT dimension_value, count(*), 'dashboards' FROM staging.stg_management__dashboard_kpis
                 WHERE dimension_name = 'team' AND nullif(trim(dimension_value), '') IS NOT NULL
                   AND lower(trim(dimension_value)) NOT IN (SELECT source_value FROM reference.team_mapping)
                   AND lower(trim(dimension_value)) NOT IN (SELECT label FROM reference.kpi_total_labels)
                 GROUP BY ALL
               ) GROUP BY team ORDER BY records DESC, team""",
            unit="team names",
            entity=("team",),
        ),
    ]
