"""`cx-unify evaluate`: how truthful is the diagnostic? Compares the warehouse with ground_truth.json.

- identity: pairwise precision / recall / F1 of customer_identity_map against the true person of every
  record, plus how many true records the map covers;
- faults: for every injected fault, whether the check that must catch it failed in the latest run
  (and, where the check's failing sample names records, whether it named this one);
- false alarms: checks that failed in that run although no fault of theirs was injected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

KIND_OF_TRUTH = {"complaints": "complaint", "survey_responses": "survey_response", "contacts": "contact"}


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


def identity_scores(con: duckdb.DuckDBPyConnection, records: pl.DataFrame) -> dict[str, Any]:
    con.register("truth_records", records.to_arrow())
    row = con.execute("""
        WITH matched AS (
            SELECT t.person_id, m.customer_key
            FROM truth_records t
            JOIN marts.customer_identity_map m
              ON m.record_kind = t.record_kind AND m.source_record_id = t.source_record_id
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
    per_variant = con.execute("""
        WITH matched AS (
            SELECT t.person_id, t.variant, m.customer_key
            FROM truth_records t JOIN marts.customer_identity_map m
              ON m.record_kind = t.record_kind AND m.source_record_id = t.source_record_id
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
    ).fetchone()
    if not exists or not exists[0]:
        return []
    rows = con.execute("""
        SELECT "check", asset, severity, passed, observed_value, threshold, failing_sample
        FROM quality.check_results
        WHERE run_id = (SELECT run_id FROM quality.check_results ORDER BY checked_at DESC LIMIT 1)
        ORDER BY "check", asset""").fetchall()
    keys = ("check", "asset", "severity", "passed", "observed_value", "threshold", "failing_sample")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _family(check: str) -> str:
    return check.split("_", 1)[0]  # "F3_kpi_agreement__Service Performance" -> "F3"


def fault_detection(results: list[dict[str, Any]], faults: list[dict]) -> dict[str, Any]:
    failed = [r for r in results if not r["passed"]]
    failed_families = {_family(r["check"]) for r in failed}
    detail = []
    for fault in faults:
        family = _family(fault["check"])
        hits = [r for r in failed if _family(r["check"]) == family]
        detail.append(
            {
                "id": fault["id"],
                "kind": fault["kind"],
                "check": fault["check"],
                "detected": bool(hits),
                "by": sorted({r["check"] for r in hits}),
            }
        )
    injected_families = {_family(f["check"]) for f in faults}
    false_alarms = [
        {
            "check": r["check"],
            "asset": r["asset"],
            "observed_value": r["observed_value"],
            "threshold": r["threshold"],
        }
        for r in failed
        if _family(r["check"]) not in injected_families
    ]
    detected = sum(1 for d in detail if d["detected"])
    by_kind: dict[str, dict[str, int]] = {}
    for d in detail:
        entry = by_kind.setdefault(d["kind"], {"injected": 0, "detected": 0})
        entry["injected"] += 1
        entry["detected"] += int(d["detected"])
    return {
        "injected": len(faults),
        "detected": detected,
        "detected_share": round(detected / len(faults), 4) if faults else None,
        "by_kind": by_kind,
        "checks_run": len(results),
        "checks_failed": len(failed),
        "failed_check_families": sorted(failed_families),
        "false_alarms": false_alarms,
        "faults": detail,
    }


def evaluate(warehouse: Path, truth_path: Path, details: bool = False) -> dict[str, Any]:
    truth = json.loads(Path(truth_path).read_text(encoding="utf-8"))
    if not Path(warehouse).exists():
        raise FileNotFoundError(f"warehouse not found: {warehouse} (run `cx-unify run` first)")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        identity = identity_scores(con, _truth_records(truth))
        faults = fault_detection(_latest_results(con), truth["faults"])
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
