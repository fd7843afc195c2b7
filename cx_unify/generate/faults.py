"""Which fragmentation faults a generation injects, chosen up front from the seed.

Every fault names the check that must catch it (DESIGN.md §6), so `cx-unify evaluate` can tell
whether the diagnostic saw it. A `--clean` generation has an empty plan.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from cx_unify.generate.names import TEAMS

# fault kind -> (check that must flag it, what the fault is)
FAULT_KINDS: dict[str, tuple[str, str]] = {
    "duplicate_crm_id": ("F1_identity__conflicting_crm_ids", "one person holds two CRM customer numbers"),
    "happy_survey_open_complaint": (
        "F2_coverage__happy_survey_with_open_complaint",
        "promoter NPS while the same person has an open complaint",
    ),
    "kpi_counts_only_closed": (
        "F3_kpi_agreement__dashboard_vs_data",
        "dashboard counts only closed tickets as received",
    ),
    "kpi_stale_export": ("F3_kpi_agreement__dashboard_vs_data", "dashboard exported before the period ended"),
    "kpi_filter_error": (
        "F3_kpi_agreement__dashboard_vs_data",
        "dashboard average leaves out one-star responses",
    ),
    "workload_misrouted": (
        "F4_volume_agreement__phone_complaints_vs_calls",
        "a team's calls logged under another team's queue",
    ),
    "complaint_no_owner": ("F5_ownership__unowned_complaints", "complaint never assigned to anyone"),
    "handoff_loop": ("F5_ownership__handoff_loops", "complaint bounced between two teams"),
    "open_past_sla_no_owner_change": (
        "F5_ownership__stalled_past_sla",
        "complaint open past its SLA with the same owner throughout",
    ),
    "unmapped_category": (
        "F6_taxonomy__unmapped_categories",
        "ticket category missing from the category mapping",
    ),
    "unmapped_team": ("F6_taxonomy__unmapped_teams", "ticket group missing from the team mapping"),
    "stale_source": ("F7_timeliness__stale_sources", "one source's export stops days before the others"),
    "invalid_row": ("F8_quarantine__<kind>", "a record that breaks the raw contract (ingest quarantines it)"),
}


@dataclass
class FaultPlan:
    clean: bool
    # person index -> person-level fault kinds forced on that person
    person_faults: dict[int, list[str]] = field(default_factory=dict)
    counts_only_closed_team: str | None = None
    filter_error_team: str | None = None
    stale_dashboard: str | None = None
    stale_export_days_early: int = 11
    misrouted_team: str | None = None
    misrouted_to_team: str | None = None
    misrouted_day_offsets: tuple[int, int] = (0, 0)  # [first, last] day index in the window
    stale_survey: str | None = None
    stale_source_days: int = 12
    invalid_rows: list[str] = field(default_factory=list)

    def of(self, person_index: int) -> list[str]:
        return self.person_faults.get(person_index, [])


PERSON_FAULT_RATES = {
    "duplicate_crm_id": 0.002,
    "happy_survey_open_complaint": 0.002,
    "complaint_no_owner": 0.003,
    "handoff_loop": 0.003,
    "open_past_sla_no_owner_change": 0.003,
    "unmapped_category": 0.004,
    "unmapped_team": 0.003,
}


def plan_faults(rng: random.Random, n_people: int, n_days: int, clean: bool) -> FaultPlan:
    plan = FaultPlan(clean=clean)
    if clean:
        return plan
    # person-level faults go to distinct people, at least two of each kind at any scale
    candidates = list(range(n_people))
    rng.shuffle(candidates)
    cursor = 0
    for kind, rate in PERSON_FAULT_RATES.items():
        k = max(2, round(rate * n_people))
        for index in candidates[cursor : cursor + k]:
            plan.person_faults.setdefault(index, []).append(kind)
        cursor += k
    teams = sorted(TEAMS)
    picked = rng.sample(teams, 4)
    plan.counts_only_closed_team = picked[0]
    plan.filter_error_team = picked[1]
    plan.misrouted_team, plan.misrouted_to_team = picked[2], picked[3]
    first = rng.randrange(n_days // 3, n_days // 2)
    plan.misrouted_day_offsets = (first, first + 9)
    plan.stale_dashboard = "Contact Centre"
    plan.stale_survey = "ces"
    plan.invalid_rows = [
        "csat_score_out_of_scale",
        "nps_score_not_a_number",
        "ticket_created_in_future",
        "ticket_missing_id",
    ]
    return plan
