"""ground_truth.json: the true person of every record, how identities were split, every fault."""

from __future__ import annotations

from collections import Counter

import polars as pl

from cx_unify.generate.faults import FAULT_KINDS, FaultPlan


def _records(df: pl.DataFrame, id_col: str) -> dict[str, list]:
    part = df.select(pl.col(id_col).cast(pl.String).alias("record_id"), "person_id", "variant").sort(
        "record_id"
    )
    return {
        "record_id": part["record_id"].to_list(),
        "person_id": part["person_id"].to_list(),
        "variant": part["variant"].to_list(),
    }


def build_truth(
    tables: dict[str, pl.DataFrame], faults: list[dict], plan: FaultPlan, population_size: int, meta: dict
) -> dict:
    complaints = tables["tickets"].filter(pl.col("valid"))
    surveys = tables["surveys"].filter(pl.col("valid"))
    contacts = tables["calls"].filter(pl.col("person_id").is_not_null())
    records = {
        "complaints": _records(complaints, "id"),
        "survey_responses": _records(surveys, "response_id"),
        "contacts": _records(
            contacts.with_columns(contact_id=pl.format("{}-{}", "vru_line", "call_id")), "contact_id"
        ),
    }
    tags: Counter[str] = Counter()
    for table in records.values():
        for variant in table["variant"]:
            tags.update(variant.split("+"))
    numbered: list[dict] = []
    per_kind: Counter[str] = Counter()
    for fault in faults:
        kind = fault["kind"]
        per_kind[kind] += 1
        check, description = FAULT_KINDS[kind]
        numbered.append(
            {"id": f"{kind}-{per_kind[kind]:03d}", "check": check, "description": description, **fault}
        )
    persons = pl.concat(
        [complaints.select("person_id"), surveys.select("person_id"), contacts.select("person_id")]
    )["person_id"]
    return {
        "meta": meta,
        "about": {
            "records": "for each raw kind, columnar lists: record_id (complaint_id, response_id, contact_id), "
            "the true person_id, and variant: how this record writes the person down "
            "('exact' = primary email, formal name, E.164 phone; otherwise '+'-joined tags)",
            "variant_tags": {
                "alt_email": "a second or third address of the person",
                "email_typo": "one or two typing errors",
                "no_email": "no email at all",
                "nickname": "nickname instead of the first name",
                "swapped_name": "first and last name swapped",
                "accent_stripped": "accents lost",
                "lower_case": "name in lower case",
                "upper_case": "name in upper case",
                "initial": "first name as an initial",
                "phone_format": "a non-E.164 phone format",
                "household_phone": "the landline shared by the household",
                "no_strong_id": "no email, phone or system customer id",
                "anonymous_link": "anonymous survey link",
                "crm_id": "call identified by the CRM number",
                "crm_duplicate": "the person's second CRM number",
            },
            "records_left_out": "records the pipeline must quarantine (faults of kind invalid_row) and calls "
            "the IVR could not identify (customer_id 0) name nobody and are not listed",
        },
        "people": population_size,
        "people_with_records": persons.n_unique(),
        "records": records,
        "identity_stats": {"variant_tag_counts": dict(sorted(tags.items()))},
        "faults": numbered,
        "fault_counts": dict(sorted(per_kind.items())),
    }


def email_linkability(tables: dict[str, pl.DataFrame]) -> dict:
    """Of the people seen by two or more teams, how many share no exact email across those teams."""
    service = (
        tables["tickets"]
        .filter(pl.col("valid"))
        .select("person_id", email=pl.col("requester_email").str.to_lowercase(), team=pl.lit("service"))
    )
    marketing = (
        tables["surveys"]
        .filter(pl.col("valid"))
        .select("person_id", email=pl.col("email").str.to_lowercase(), team=pl.lit("marketing"))
    )
    operations = (
        tables["calls"]
        .filter(pl.col("person_id").is_not_null())
        .select("person_id", email=pl.lit(None, pl.String), team=pl.lit("operations"))
    )
    allrows = pl.concat([service, marketing, operations])
    teams = allrows.group_by("person_id").agg(
        n_teams=pl.col("team").n_unique(), teams=pl.col("team").unique().sort()
    )
    multi = teams.filter(pl.col("n_teams") >= 2)
    shared = (
        service.drop_nulls("email")
        .join(marketing.drop_nulls("email"), on=["person_id", "email"])
        .select("person_id")
        .unique()
    )
    sm = multi.filter(pl.col("teams").list.contains("service") & pl.col("teams").list.contains("marketing"))
    sm_linkable = sm.join(shared, on="person_id", how="semi").height
    # linkable by email alone only if every team the person is seen by holds a shared email: operations
    # never holds one, so a person seen by operations and another team is not linkable by email alone
    only_sm = multi.filter(pl.col("n_teams") == 2).filter(~pl.col("teams").list.contains("operations"))
    linkable = only_sm.join(shared, on="person_id", how="semi").height
    return {
        "people_seen_by_two_or_more_teams": multi.height,
        "not_linkable_by_exact_email": multi.height - linkable,
        "share_not_linkable": round((multi.height - linkable) / multi.height, 4) if multi.height else None,
        "people_seen_by_service_and_marketing": sm.height,
        "service_marketing_without_shared_email": sm.height - sm_linkable,
        "share_service_marketing_without_shared_email": round((sm.height - sm_linkable) / sm.height, 4)
        if sm.height
        else None,
    }
