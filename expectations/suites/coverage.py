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
            "a survey scored happy (CSAT >= 4, NPS >= 9, CES >= 6) while the same customer had a complaint open: "
            "marketing's view says fine, service's says not",
            """SELECT j.customer_key, s.response_id, s.survey, s.score, s.submitted_at,
                      o.complaint_id, o.created_at AS complaint_opened_at, o.status AS complaint_status
               FROM staging.stg_marketing__survey_responses s
               JOIN marts.customer_identity_map j ON j.node_id = s.record_key
               JOIN marts.complaint_ownership o ON o.customer_key = j.customer_key
               WHERE s.is_happy AND o.created_at <= s.submitted_at
                 AND (o.resolved_at IS NULL OR o.resolved_at > s.submitted_at)
                 AND (s.complaint_id IS NULL OR s.complaint_id <> o.complaint_id)
               ORDER BY s.submitted_at DESC, s.response_id""",
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
