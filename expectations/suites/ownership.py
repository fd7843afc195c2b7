"""F5 ownership: complaints nobody owns, complaints bounced between teams, complaints left to rot."""

from __future__ import annotations

from expectations.spec import CheckSpec, offending_rows

ASSET = ("marts", "complaint_ownership")


def checks() -> list[CheckSpec]:
    return [
        offending_rows(
            "F5_ownership__unowned_complaints",
            ASSET,
            "open complaints without an owner for longer than the alert threshold (dbt var unowned_alert_hours)",
            """SELECT complaint_id, last_team AS team, created_at, round(unowned_minutes / 60, 1) AS unowned_hours
               FROM marts.complaint_ownership WHERE is_unowned_too_long
               ORDER BY unowned_minutes DESC, complaint_id""",
            unit="complaints",
            entity=("complaint_id",),
        ),
        offending_rows(
            "F5_ownership__handoff_loops",
            ASSET,
            "complaints handed between teams more than {max_handoffs} times",
            """SELECT complaint_id, team_handoffs, team_path, last_owner
               FROM marts.complaint_ownership WHERE team_handoffs > {max_handoffs}
               ORDER BY team_handoffs DESC, complaint_id""",
            unit="complaints",
            entity=("complaint_id",),
            params={"max_handoffs": 3},
        ),
        offending_rows(
            "F5_ownership__stalled_past_sla",
            ASSET,
            "open complaints past their SLA that never changed owner",
            """SELECT complaint_id, last_owner AS owner, last_team AS team, priority, round(age_hours, 1) AS age_hours,
                      sla_hours
               FROM marts.complaint_ownership WHERE is_stalled
               ORDER BY age_hours - sla_hours DESC, complaint_id""",
            unit="complaints",
            entity=("complaint_id",),
        ),
        offending_rows(
            "F5_ownership__history_before_creation",
            ASSET,
            "complaints whose change history assigns or solves them before they were created (negative first "
            "response, unassigned or resolution times): the ticket export and its history read in different "
            "time zones?",
            """SELECT complaint_id, created_at, round(first_response_minutes, 1) AS first_response_minutes,
                      round(unassigned_minutes, 1) AS unassigned_minutes,
                      round(first_resolution_minutes, 1) AS first_resolution_minutes
               FROM marts.complaint_ownership
               WHERE first_response_minutes < 0 OR unassigned_minutes < 0 OR first_resolution_minutes < 0
               ORDER BY least(coalesce(first_response_minutes, 0), coalesce(unassigned_minutes, 0),
                              coalesce(first_resolution_minutes, 0)), complaint_id""",
            unit="complaints",
            entity=("complaint_id",),
        ),
    ]
