"""F2 coverage: customers one team sees and another does not, or sees differently."""

from __future__ import annotations

from typing import Any

from expectations.spec import CheckSpec, offending_rows

ASSET = ("marts", "customers")


def _share_at_most(threshold: float) -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeBetween(column="share_never_surveyed", min_value=0, max_value=threshold)
    ]


def checks() -> list[CheckSpec]:
    return [
        offending_rows(
            "F2_coverage__happy_survey_with_open_complaint",
            ASSET,
            "a survey scored happy (CSAT >= 4, NPS >= 9, CES >= 6) while the same customer had a complaint open "
            "(opened or reopened, not resolved since, when the survey was answered; the complaint the survey is "
            "about too): marketing's view says fine, service's says not",
            """WITH answered AS (
                   SELECT j.customer_key, s.response_id, s.survey, s.score, s.submitted_at,
                          o.complaint_id, o.created_at AS complaint_opened_at
                   FROM staging.stg_marketing__survey_responses s
                   JOIN marts.customer_identity_map j ON j.node_id = s.record_key
                   JOIN marts.complaint_ownership o ON o.customer_key = j.customer_key
                   WHERE s.is_happy AND o.created_at <= s.submitted_at
               ),
               state_then AS (
                   -- the complaint's state when the survey was answered: its last opening, resolution or
                   -- reopening up to then, in the journey's order
                   SELECT a.*, arg_max(c.event_type, c.seq) AS complaint_state
                   FROM answered a
                   JOIN marts.customer_journey c
                     ON c.customer_key = a.customer_key AND c.complaint_id = a.complaint_id
                    AND c.event_type IN ('complaint_opened', 'complaint_resolved', 'complaint_reopened')
                    AND c.event_at <= a.submitted_at
                   GROUP BY ALL
               )
               SELECT customer_key, response_id, survey, score, submitted_at, complaint_id, complaint_opened_at,
                      replace(complaint_state, 'complaint_', '') AS complaint_state_then
               FROM state_then
               WHERE complaint_state <> 'complaint_resolved'
               ORDER BY submitted_at DESC, response_id""",
            unit="surveys",
            entity=("response_id",),
        ),
        CheckSpec(
            name="F2_coverage__complainants_never_surveyed",
            asset=ASSET,
            description="share of customers who complained and never answered a survey: invisible to marketing",
            severity="WARN",
            threshold=0.95,
            sql="""SELECT count(*) AS complainants,
                     avg((survey_responses = 0)::INT) AS share_never_surveyed
                   FROM marts.customers WHERE complaints > 0""",
            expectations=_share_at_most,
            observed="max(share_never_surveyed)",
            unit="share of complainants",
        ),
    ]
