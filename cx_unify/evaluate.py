"""`cx-unify evaluate`: how truthful is the diagnostic? Compares the warehouse with ground_truth.json.

- identity: pairwise precision / recall / F1 of customer_identity_map against the true person of every
  record, plus how many true records the map covers;
- faults: for every injected fault, whether the check that must catch it failed in the latest run
  (and, where the check's failing sample names records, whether it named this one);
- false alarms: checks that failed in that run although no fault of theirs was injected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from connectors.contracts import CONTRACTS
from connectors.normalise import register_functions
from cx_unify.settings import DEFAULT_CHECKS

KIND_OF_TRUTH = {"complaints": "complaint", "survey_responses": "survey_response", "contacts": "contact"}
# a true record t is the map's row m (source NULL: an answer key without its files, matched by kind and id)
TRUTH_IS_MAP_ROW = (
    "m.record_kind = t.record_kind AND m.source_record_id = t.source_record_id "
    "AND (t.source IS NULL OR m.source = t.source)"
)


def _truth_records(truth: dict) -> pl.DataFrame:
    frames = []
    for kind, table in truth["records"].items():
        frames.append(
            pl.DataFrame(
                {
                    "record_kind": KIND_OF_TRUTH[kind],
                    "source_record_id": table["record_id"],
                    "person_id": table["person_id"],
                    "variant": table["variant"],
                },
                schema={
                    "record_kind": pl.String,
                    "source_record_id": pl.String,
                    "person_id": pl.String,
                    "variant": pl.String,
                },
            )
        )
    return pl.concat(frames)


def _with_sources(
    con: duckdb.DuckDBPyConnection, records: pl.DataFrame, files: list[str] | None
) -> pl.DataFrame:
    """Each true record with the source that loaded it from a generated file (the answer key lists its files):
    a real source beside the demo data whose ids collide with generated ones is not scored as demo records.
    An older key without its files: source NULL, matched by kind and id alone."""
    if not files:
        return records.with_columns(source=pl.lit(None, dtype=pl.String))
    con.register("generated_files", pl.DataFrame({"file": files}).to_arrow())
    loaded = pl.concat(
        [
            pl.from_arrow(
                con.sql(f"""
                    SELECT DISTINCT '{kind}' AS record_kind, {CONTRACTS[table].record_id}::VARCHAR AS source_record_id,
                        _source AS source
                    FROM raw.{table} WHERE _file IN (SELECT file FROM generated_files)""").to_arrow_table()
            )
            for table, kind in KIND_OF_TRUTH.items()
        ]
    )
    con.unregister("generated_files")
    # a true record no generated file loaded (quarantined) matches nothing: not another source's same id
    return records.join(loaded, on=["record_kind", "source_record_id"], how="left").with_columns(
        pl.col("source").fill_null("")
    )


def identity_scores(con: duckdb.DuckDBPyConnection, records: pl.DataFrame) -> dict[str, Any]:
    con.register("truth_records", records.to_arrow())
    row = con.execute(f"""
        WITH matched AS (
            SELECT t.person_id, m.customer_key
            FROM truth_records t
            JOIN marts.customer_identity_map m
              ON {TRUTH_IS_MAP_ROW}
        ),
        cells AS (SELECT customer_key, person_id, count(*) AS n FROM matched GROUP BY ALL),
        predicted AS (SELECT customer_key, count(*) AS n FROM matched GROUP BY ALL),
        actual AS (SELECT person_id, count(*) AS n FROM matched GROUP BY ALL)
        SELECT
            (SELECT sum(n * (n - 1) / 2) FROM cells),
            (SELECT sum(n * (n - 1) / 2) FROM predicted),
            (SELECT sum(n * (n - 1) / 2) FROM actual),
            (SELECT count(*) FROM matched),
            (SELECT count(*) FROM truth_records),
            (SELECT count(*) FROM marts.customer_identity_map),
            (SELECT count(DISTINCT customer_key) FROM matched),
            (SELECT count(DISTINCT person_id) FROM matched)
    """).fetchone()
    assert row is not None
    tp, pred, actual, matched, truth_n, map_n, customers, people = (float(x or 0) for x in row)
    precision = tp / pred if pred else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # recall by how the record wrote the person down: share of true pairs kept, per variant tag
    per_variant = con.execute(f"""
        WITH matched AS (
            SELECT t.person_id, t.variant, m.customer_key
            FROM truth_records t JOIN marts.customer_identity_map m
              ON {TRUTH_IS_MAP_ROW}
        ),
        home AS (  -- the cluster holding most of the person's records
            SELECT person_id, arg_max(customer_key, n) AS home_key
            FROM (SELECT person_id, customer_key, count(*) AS n FROM matched GROUP BY ALL) GROUP BY person_id
        ),
        tagged AS (SELECT unnest(string_split(variant, '+')) AS tag, (customer_key = home_key) AS at_home
                   FROM matched JOIN home USING (person_id))
        SELECT tag, count(*) AS records, round(avg(at_home::INT), 4) AS share_in_main_cluster
        FROM tagged GROUP BY tag ORDER BY tag
    """).fetchall()
    con.unregister("truth_records")
    return {
        "pairwise_precision": round(precision, 4),
        "pairwise_recall": round(recall, 4),
        "f1": round(f1, 4),
        "true_pairs": int(actual),
        "predicted_pairs": int(pred),
        "correct_pairs": int(tp),
        "records_in_truth": int(truth_n),
        "records_matched": int(matched),
        "records_in_map": int(map_n),
        "coverage": round(matched / truth_n, 4) if truth_n else None,
        "customers_predicted": int(customers),
        "people_true": int(people),
        "by_variant": {tag: {"records": n, "share_in_main_cluster": share} for tag, n, share in per_variant},
    }


def _latest_results(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'quality' "
        "AND table_name = 'check_results'"
    ).fetchall()
    if not exists[0][0]:
        return []
    rows = con.execute("""
        SELECT "check", asset, severity, passed, observed_value, threshold
        FROM quality.check_results
        WHERE run_id = (SELECT run_id FROM quality.check_results WHERE family <> 'dbt'
                        ORDER BY checked_at DESC LIMIT 1) AND family <> 'dbt'
        ORDER BY "check", asset""").fetchall()
    keys = ("check", "asset", "severity", "passed", "observed_value", "threshold")
    return [dict(zip(keys, r, strict=True)) for r in rows]


# fault kind -> (check that must flag it, how to find the fault among the check's failing rows)
FAULT_TO_CHECK: dict[str, tuple[str, Callable[[dict], list[tuple]] | None]] = {
    "duplicate_crm_id": ("F1_identity__conflicting_crm_ids", None),  # matched on crm_ids below
    "happy_survey_open_complaint": (
        "F2_coverage__happy_survey_with_open_complaint",
        lambda f: [(f["response_id"],)],
    ),
    "kpi_counts_only_closed": (
        "F3_kpi_agreement__dashboard_vs_data",
        lambda f: [(f["dashboard"], f["metric"], f["team"], f["period_start"])],
    ),
    "kpi_stale_export": (
        "F3_kpi_agreement__dashboard_vs_data",
        lambda f: [(f["dashboard"], f["metric"], f["team"], f["period_start"])],
    ),
    "kpi_filter_error": (
        "F3_kpi_agreement__dashboard_vs_data",
        lambda f: [(f["dashboard"], f["metric"], f["team"], f["period_start"])],
    ),
    "workload_misrouted": (
        "F4_volume_agreement__phone_complaints_vs_calls",
        lambda f: [(f["team"], day) for day in f["days"]],
    ),
    "complaint_no_owner": ("F5_ownership__unowned_complaints", lambda f: [(f["complaint_id"],)]),
    "handoff_loop": ("F5_ownership__handoff_loops", lambda f: [(f["complaint_id"],)]),
    "open_past_sla_no_owner_change": ("F5_ownership__stalled_past_sla", lambda f: [(f["complaint_id"],)]),
    "unmapped_category": ("F6_taxonomy__unmapped_categories", lambda f: [(f["category"],)]),
    "unmapped_team": ("F6_taxonomy__unmapped_teams", lambda f: [(f["team"],)]),
    "stale_source": ("F7_timeliness__stale_sources", lambda f: [(f["survey"],)]),
    "invalid_row": ("F8_quarantine__", None),  # matched on the kind's quarantine check
}


def _key(value: Any) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:10] if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-" else text


def _failing_entities(con: duckdb.DuckDBPyConnection, checks_path: Path) -> dict[str, list[tuple]]:
    """Re-runs each check's frame (read-only) to list everything it flags, not only the stored sample."""
    from expectations.config import load_check_settings
    from expectations.suites import all_checks

    specs = all_checks()
    settings = load_check_settings(checks_path, specs)
    entities: dict[str, list[tuple]] = {}
    for spec in specs:
        if not spec.entity:
            continue
        sql = spec.frame_sql(settings[spec.name].threshold, settings[spec.name].params)
        try:
            rows = con.execute(f"SELECT {', '.join(spec.entity)} FROM ({sql})").fetchall()
        except duckdb.Error:
            continue
        entities[spec.name] = [
            tuple(_key(v) if not isinstance(v, list) else tuple(map(str, v)) for v in row) for row in rows
        ]
    return entities


# checks that flag a person the matcher may have split: an identifier (column of int_identity_nodes)
# held by records of several customers
SPLIT_CHECKS = {
    "F1_identity__email_in_two_customers": "email_norm",
    "F1_identity__phone_and_name_in_two_customers": "phone_e164",
}


def _missed_merges(
    con: duckdb.DuckDBPyConnection, entities: dict[str, list[tuple]], records: pl.DataFrame
) -> dict[str, set[tuple]]:
    """Of what the split checks flag, the identifiers whose records the truth gives one person across
    several customers: a merge the matcher missed, which the check rightly reports (not a false alarm)."""
    missed: dict[str, set[tuple]] = {}
    con.register("truth_records", records.to_arrow())
    for check, column in SPLIT_CHECKS.items():
        flagged = [row[0] for row in entities.get(check, [])]
        if not flagged:
            continue
        con.register("flagged_identifiers", pl.DataFrame({"identifier": flagged}).to_arrow())
        rows = con.execute(f"""
            SELECT n.{column}
            FROM intermediate.int_identity_nodes n
            JOIN marts.customer_identity_map m USING (node_id)
            JOIN truth_records t ON {TRUTH_IS_MAP_ROW}
            WHERE n.{column} IN (SELECT identifier FROM flagged_identifiers)
            GROUP BY n.{column}, t.person_id
            HAVING count(DISTINCT m.customer_key) > 1""").fetchall()
        con.unregister("flagged_identifiers")
        missed[check] = {(_key(r[0]),) for r in rows}
    con.unregister("truth_records")
    return missed


def fault_detection(
    results: list[dict[str, Any]],
    faults: list[dict],
    entities: dict[str, list[tuple]],
    missed_merges: dict[str, set[tuple]] | None = None,
) -> dict[str, Any]:
    """Which injected faults a check flagged; a check's flag no fault explains is a false alarm, unless it
    is a merge the matcher missed (missed_merges: true, reported apart)."""
    failed = {r["check"] for r in results if not r["passed"]}
    missed_merges = missed_merges or {}
    explained: dict[str, set[tuple]] = {name: set(missed_merges.get(name, set())) for name in entities}
    detail = []
    for fault in faults:
        kind = fault["kind"]
        check, keys_of = FAULT_TO_CHECK[kind]
        if kind == "invalid_row":
            survey_kind = "survey_responses" if "response_id" in fault else "complaints"
            check = f"F8_quarantine__{survey_kind}"
            detected = check in failed
        elif kind == "duplicate_crm_id":
            hits = [row for row in entities.get(check, []) if fault.get("second_crm_id") in row[0]]
            explained.setdefault(check, set()).update(hits)
            detected = check in failed and bool(hits)
        else:
            assert keys_of is not None
            wanted = [tuple(_key(v) for v in key) for key in keys_of(fault)]
            present = set(entities.get(check, []))
            found = [key for key in wanted if key in present]
            explained.setdefault(check, set()).update(found)
            detected = check in failed and len(found) == len(wanted)
        detail.append({"id": fault["id"], "kind": kind, "check": check, "detected": detected})
    by_kind: dict[str, dict[str, int]] = {}
    for d in detail:
        entry = by_kind.setdefault(d["kind"], {"injected": 0, "detected": 0})
        entry["injected"] += 1
        entry["detected"] += int(d["detected"])
    targeted = {d["check"] for d in detail}
    false_alarms = []
    for r in results:
        if r["passed"]:
            continue
        flagged = entities.get(r["check"])
        unexplained = [row for row in flagged or [] if row not in explained.get(r["check"], set())]
        if (r["check"] not in targeted and not (flagged and not unexplained)) or unexplained:
            false_alarms.append(
                {
                    "check": r["check"],
                    "observed_value": r["observed_value"],
                    "threshold": r["threshold"],
                    "unexplained": len(unexplained) if flagged else None,
                    "examples": [list(u) for u in unexplained[:5]],
                }
            )
    detected = sum(1 for d in detail if d["detected"])
    return {
        "injected": len(faults),
        "detected": detected,
        "detected_share": round(detected / len(faults), 4) if faults else None,
        "by_kind": dict(sorted(by_kind.items())),
        "checks_run": len(results),
        "checks_failed": sorted(failed),
        "false_alarms": false_alarms,
        # true findings no injected fault made: people the matcher left split, which the split checks flag
        "missed_merges_flagged": {check: len(keys) for check, keys in sorted(missed_merges.items()) if keys},
        "faults": detail,
    }


def evaluate(
    warehouse: Path, truth_path: Path, details: bool = False, checks_path: Path | None = None
) -> dict[str, Any]:
    truth = json.loads(Path(truth_path).read_text(encoding="utf-8"))
    if not Path(warehouse).exists():
        raise FileNotFoundError(f"warehouse not found: {warehouse} (run `cx-unify run` first)")
    con = duckdb.connect(str(warehouse), read_only=True)
    register_functions(con)
    try:
        records = _with_sources(con, _truth_records(truth), truth.get("files"))
        identity = identity_scores(con, records)
        entities = _failing_entities(con, checks_path or DEFAULT_CHECKS)
        missed = _missed_merges(con, entities, records)
        faults = fault_detection(_latest_results(con), truth["faults"], entities, missed)
    finally:
        con.close()
    if not details:
        faults.pop("faults")
    return {
        "truth": str(truth_path),
        "warehouse": str(warehouse),
        "generation": truth["meta"],
        "identity": identity,
        "faults": faults,
    }
