"""What the pipeline is measured against, on the same files and data in the same run:
(a) bare DuckDB loading every landing file (the floor for ingest), (b) the journey join as an analyst
would write it in pandas, (c) Splink with its default settings on the identity stage's input."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import duckdb
import polars as pl


def bare_duckdb_load(files: list[Path], memory_limit: str, database: Path) -> dict[str, float]:
    """CREATE TABLE AS SELECT * FROM read_csv(..., all_varchar=true) of every file, in one fresh database.

    all_varchar: DuckDB's type sniffing fails on the call logs' 24:01:49 clock times (no date rollover).
    Written to a database file, as ingest writes the warehouse file."""
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database), config={"memory_limit": memory_limit})
    started = time.monotonic()
    for i, path in enumerate(files):
        if path.suffix == ".json":
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_json('{path}')")
        else:
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv('{path}', all_varchar=true)")
    con.execute("CHECKPOINT")
    seconds = time.monotonic() - started
    con.close()
    database.unlink(missing_ok=True)
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    return {"seconds": seconds, "megabytes": megabytes, "mb_per_s": megabytes / seconds if seconds else 0.0}


def pandas_journey(warehouse: Path) -> dict[str, float]:
    """The journey as an analyst would build it: one frame per event kind, concatenated, keyed, sorted."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        from connectors.normalise import register_functions

        register_functions(con)
        frames = {
            name: con.execute(f"SELECT * FROM {name}").df()
            for name in (
                "marts.customer_identity_map",
                "staging.stg_service__complaints",
                "intermediate.int_complaint_events_linked",
                "staging.stg_marketing__survey_responses",
                "staging.stg_operations__contacts",
            )
        }
    finally:
        con.close()
    import pandas as pd

    started = time.monotonic()
    ids = frames["marts.customer_identity_map"][["node_id", "customer_key"]]
    complaints = frames["staging.stg_service__complaints"]
    events = frames["intermediate.int_complaint_events_linked"]
    opened = complaints.rename(columns={"record_key": "node_id", "created_at": "event_at"})[
        ["node_id", "event_at", "team", "channel", "category", "complaint_id"]
    ].assign(event_type="complaint_opened")
    handoffs = events[(events["field"] == "team") & (events["field_change_number"] > 1)].rename(
        columns={"complaint_key": "node_id", "new_team": "team"}
    )[["node_id", "event_at", "team", "complaint_id"]]
    handoffs = handoffs.assign(event_type="complaint_handoff")
    status = events[events["field"] == "status"].rename(columns={"complaint_key": "node_id"})
    resolved = status[
        status["new_value"].isin(["solved", "closed"])
        & ~status["old_value"].fillna("").isin(["solved", "closed"])
    ]
    reopened = status[
        status["old_value"].isin(["solved", "closed"]) & ~status["new_value"].isin(["solved", "closed"])
    ]
    surveys = frames["staging.stg_marketing__survey_responses"].rename(
        columns={"record_key": "node_id", "submitted_at": "event_at"}
    )[["node_id", "event_at", "score", "scale"]]
    contacts = frames["staging.stg_operations__contacts"].rename(
        columns={"record_key": "node_id", "started_at": "event_at"}
    )[["node_id", "event_at", "team", "channel"]]
    journey = pd.concat(
        [
            opened,
            handoffs,
            resolved[["node_id", "event_at", "complaint_id"]].assign(event_type="complaint_resolved"),
            reopened[["node_id", "event_at", "complaint_id"]].assign(event_type="complaint_reopened"),
            surveys.assign(event_type="survey_response"),
            contacts.assign(event_type="contact"),
        ],
        ignore_index=True,
    ).merge(ids, on="node_id", how="inner")
    journey = journey.sort_values(["customer_key", "event_at", "event_type"])
    journey["seq"] = journey.groupby("customer_key").cumcount() + 1
    journey["days_since_previous"] = (
        journey.groupby("customer_key")["event_at"].diff().dt.total_seconds() / 86400
    )
    return {"seconds": time.monotonic() - started, "rows": float(len(journey))}


def splink_identity(warehouse: Path, truth_path: Path, memory_limit: str) -> dict[str, Any]:
    """Splink 5 with its default settings on int_identity_nodes (the identity stage's input)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from cx_unify.evaluate import KIND_OF_TRUTH

    source = duckdb.connect(str(warehouse), read_only=True)
    try:
        nodes = source.sql("""
            SELECT node_id AS unique_id, record_kind, record_id, first_name, last_name, email_norm AS email,
                   phone_e164 AS phone, birth_date::VARCHAR AS dob, postcode_norm AS postcode, city_folded AS city,
                   crm_id, system_id_key
            FROM intermediate.int_identity_nodes""").to_arrow_table()
    finally:
        source.close()
    con = duckdb.connect(config={"memory_limit": memory_limit})
    con.register("nodes_arrow", nodes)
    con.execute("CREATE TABLE nodes AS SELECT * FROM nodes_arrow")
    started = time.monotonic()
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("city"),
            cl.ExactMatch("crm_id"),
            cl.ExactMatch("system_id_key"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("email"),
            block_on("phone"),
            block_on("crm_id"),
            block_on("system_id_key"),
            block_on("dob"),
            block_on("postcode"),
        ],
    )
    linker = Linker(db_api.register("nodes"), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.9
    )
    clustered = pl.from_arrow(clusters.as_pyarrow_table()).select("unique_id", "cluster_id")
    seconds = time.monotonic() - started
    con.close()
    truth = json.loads(truth_path.read_text())
    records = pl.concat(
        [
            pl.DataFrame(
                {"record_kind": KIND_OF_TRUTH[k], "record_id": t["record_id"], "person_id": t["person_id"]}
            )
            for k, t in truth["records"].items()
        ]
    )
    joined = (
        pl.from_arrow(nodes)
        .select("unique_id", "record_kind", "record_id")
        .join(clustered, on="unique_id")
        .join(records, on=["record_kind", "record_id"])
    )
    return {"seconds": seconds, **pairwise(joined, "cluster_id", "person_id")}


def pairwise(frame: pl.DataFrame, predicted: str, actual: str) -> dict[str, float]:
    def pairs(counts: pl.Series) -> float:
        return float((counts * (counts - 1) / 2).sum())

    tp = pairs(frame.group_by(predicted, actual).len()["len"])
    pred = pairs(frame.group_by(predicted).len()["len"])
    true = pairs(frame.group_by(actual).len()["len"])
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
