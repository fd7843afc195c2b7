"""F1 identity: is every record tied to one customer, and one customer to one person?"""

from __future__ import annotations

from typing import Any

from expectations.spec import CheckSpec, offending_rows

ASSET = ("marts", "customer_identity_map")


def _share_at_least(threshold: float) -> list[Any]:
    import great_expectations.expectations as gxe

    return [gxe.ExpectColumnValuesToBeBetween(column="linked_share", min_value=threshold, max_value=1)]


def checks() -> list[CheckSpec]:
    return [
        CheckSpec(
            name="F1_identity__linked_share",
            asset=ASSET,
            description="share of complaints and survey responses whose customer has another record in any system",
            severity="WARN",
            threshold=0.5,
            sql="""SELECT record_kind, count(*) AS records,
                     avg((n > 1)::INT) AS linked_share
                   FROM (SELECT record_kind, count(*) OVER (PARTITION BY customer_key) AS n
                         FROM marts.customer_identity_map)
                   WHERE record_kind IN ('complaint', 'survey_response') GROUP BY record_kind ORDER BY record_kind""",
            expectations=_share_at_least,
            observed="min(linked_share)",
            unit="share linked",
        ),
        offending_rows(
            "F1_identity__email_in_two_customers",
            ASSET,
            "a normalised email that belongs to more than one customer_key",
            """SELECT n.email_norm AS email, count(DISTINCT m.customer_key) AS customers
               FROM intermediate.int_identity_nodes n JOIN marts.customer_identity_map m USING (node_id)
               WHERE n.email_norm IS NOT NULL GROUP BY n.email_norm HAVING count(DISTINCT m.customer_key) > 1
               ORDER BY customers DESC, email""",
            unit="emails",
            entity=("email",),
        ),
        offending_rows(
            "F1_identity__phone_and_name_in_two_customers",
            ASSET,
            "the same E.164 phone and the same name in more than one customer_key, with nothing to tell them "
            "apart (a split the matcher missed; a household sharing a landline has different names, and "
            "namesakes on one landline whose CRM numbers or birth dates differ are two people: not counted)",
            # customers of one phone and name, pairwise; a pair the matcher keeps apart on purpose (both hold
            # CRM numbers or birth dates, none shared: its vetoes) is not a split. The few phones and names
            # in two customers are found first, and only their records' lists built
            """WITH keyed AS (
                   SELECT n.phone_e164 AS phone, n.name_key, n.crm_id, n.birth_date, m.customer_key
                   FROM intermediate.int_identity_nodes n JOIN marts.customer_identity_map m USING (node_id)
                   WHERE n.phone_e164 IS NOT NULL AND n.name_key IS NOT NULL
               ),
               spread AS (
                   SELECT phone, name_key FROM keyed GROUP BY ALL HAVING min(customer_key) <> max(customer_key)
               ),
               held AS (
                   SELECT k.phone, k.name_key, k.customer_key,
                          coalesce(list(DISTINCT k.crm_id) FILTER (WHERE k.crm_id IS NOT NULL), []) AS crm_ids,
                          coalesce(list(DISTINCT k.birth_date) FILTER (WHERE k.birth_date IS NOT NULL), [])
                              AS birth_dates
                   FROM keyed k
                   WHERE EXISTS (SELECT 1 FROM spread s WHERE s.phone = k.phone AND s.name_key = k.name_key)
                   GROUP BY ALL
               ),
               split AS (
                   SELECT a.phone, a.name_key, a.customer_key AS one, b.customer_key AS other
                   FROM held a JOIN held b
                     ON a.phone = b.phone AND a.name_key = b.name_key AND a.customer_key < b.customer_key
                   WHERE NOT (len(a.crm_ids) > 0 AND len(b.crm_ids) > 0 AND NOT list_has_any(a.crm_ids, b.crm_ids))
                     AND NOT (len(a.birth_dates) > 0 AND len(b.birth_dates) > 0
                              AND NOT list_has_any(a.birth_dates, b.birth_dates))
               )
               SELECT phone, name_key, len(list_distinct(flatten(list([one, other])))) AS customers
               FROM split GROUP BY ALL ORDER BY customers DESC, phone""",
            unit="phones",
            entity=("phone",),
        ),
        offending_rows(
            "F1_identity__conflicting_crm_ids",
            ASSET,
            "a customer_key holding two or more CRM customer numbers (a CRM duplicate, or a wrong merge)",
            # the few customers with two numbers are found first (min <> max), and only theirs listed
            """WITH held AS (
                   SELECT m.customer_key, n.crm_id
                   FROM intermediate.int_identity_nodes n JOIN marts.customer_identity_map m USING (node_id)
                   WHERE n.crm_id IS NOT NULL
               ),
               conflicting AS (
                   SELECT customer_key FROM held GROUP BY customer_key HAVING min(crm_id) <> max(crm_id)
               )
               SELECT customer_key, list(DISTINCT crm_id ORDER BY crm_id) AS crm_ids,
                      count(DISTINCT crm_id) AS crm_numbers, count(*) AS records
               FROM held WHERE customer_key IN (SELECT customer_key FROM conflicting) GROUP BY customer_key
               ORDER BY crm_numbers DESC, customer_key""",
            unit="customers",
            entity=("crm_ids",),
        ),
    ]
