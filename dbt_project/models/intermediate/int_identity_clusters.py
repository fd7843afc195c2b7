"""One row per identity node with its final cluster: deterministic clusters joined along accepted
probabilistic matches, strongest first, refusing any join whose records would contradict each other
(different first or last names, birth dates or CRM numbers).

The algorithm lives in cx_unify/identity.py and is tested in pytest: iterative clustering is beyond
what dbt unit tests can express.
"""

import pyarrow as pa

from cx_unify.identity import constrained_merge


def _sets(rows, key_index, value_index):
    out = {}
    for row in rows:
        if row[value_index] is not None:
            out.setdefault(row[key_index], set()).add(row[value_index])
    return out


def model(dbt, session):
    dbt.config(materialized="table")
    deterministic = dbt.ref("int_identity_clusters_deterministic").to_arrow_table()
    matches = (
        dbt.ref("int_identity_pairs_scored")
        .filter("is_match")
        .project("cluster_a, cluster_b, match_weight, match_probability")
        .fetchall()
    )
    # a name as an unordered pair of nickname-resolved tokens: "Mark Thomas" and "Thomas, Mark" agree
    names = (
        dbt.ref("int_identity_profile_names")
        .filter("length(first_name) > 1 and last_name is not null")
        .project(
            "cluster_node_id, least(first_name_canon, last_name_canon) || '|' || greatest(first_name_canon, last_name_canon)"
        )
        .fetchall()
    )
    dates = (
        dbt.ref("int_identity_profiles").project("cluster_node_id, unnest(birth_dates)::varchar").fetchall()
    )
    crm = dbt.ref("int_identity_profiles").project("cluster_node_id, unnest(crm_ids)").fetchall()
    merged = constrained_merge(
        [(a, b, w) for a, b, w, _ in matches], _sets(names, 0, 1), {}, _sets(dates, 0, 1), _sets(crm, 0, 1)
    )
    probability = {}
    for a, b, _, p in matches:
        if a in merged and merged[a] == merged.get(b):
            for side in (a, b):
                probability[side] = max(probability.get(side, 0.0), p)
    det = deterministic.column("cluster_node_id").to_pylist()
    return pa.table(
        {
            "node_id": deterministic.column("node_id"),
            "deterministic_cluster_id": deterministic.column("cluster_node_id"),
            "cluster_node_id": pa.array([merged.get(c, c) for c in det], pa.string()),
            "merge_probability": pa.array([probability.get(c) for c in det], pa.float64()),
        }
    )
