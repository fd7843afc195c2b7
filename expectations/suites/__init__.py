"""The check catalogue (DESIGN.md §6), one module per family; `all_checks()` lists every CheckSpec.

| family | checks | guards | default |
|---|---|---|---|
| F1 identity | linked share, email / phone in two customers, conflicting CRM numbers | marts/customer_identity_map | WARN |
| F2 coverage | happy survey while a complaint is open; complainants never surveyed | marts/customers | WARN |
| F3 KPI agreement | dashboard KPI vs recomputed value; unknown metric names; survey CSAT vs ticket rating per team-month | marts/team_view_reconciliation | WARN |
| F4 volume agreement | phone complaints above handled calls per team-day | marts/team_view_reconciliation | WARN |
| F5 ownership | unowned too long; team handoff loops; stalled past SLA; history before creation | marts/complaint_ownership | WARN |
| F6 taxonomy | categories / teams outside the mapping seeds | staging/stg_service__complaints | WARN |
| F7 timeliness | a source's latest record days behind the others; a team view with no records | marts/customer_journey | WARN |
| F8 validity | raw contracts hold (ERROR, blocking); files the latest ingest could not load (F8_ingest, ERROR, blocking); quarantined records (WARN); one id reused for records that began days apart (F8_reused_ids, WARN); change histories that reach no complaint (F8_orphans, WARN, on staging/stg_service__complaints) | raw/<table> | ERROR / WARN |

dbt's own tests (unique, not_null, accepted_values, relationships, contracts) guard the models'
structure and surface as Dagster checks too; they are the natural home for structural rules.
"""

from __future__ import annotations

from expectations.spec import CheckSpec
from expectations.suites import agreement, coverage, identity, ownership, taxonomy, timeliness, validity


def all_checks() -> list[CheckSpec]:
    return [
        *identity.checks(),
        *coverage.checks(),
        *agreement.checks(),
        *ownership.checks(),
        *taxonomy.checks(),
        *timeliness.checks(),
        *validity.checks(),
    ]
