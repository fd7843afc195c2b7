"""One row per identity node with its final cluster: deterministic clusters joined along accepted
probabilistic matches, strongest first, refusing any join whose records would contradict each other
(different first or last names, birth dates or CRM numbers).

The algorithm lives in cx_unify/identity.py and is tested in pytest: iterative clustering is beyond
what dbt unit tests can express. Only the clusters some match involves are read into Python.
"""

import pyarrow as pa

from cx_unify.identity import constrained_merge


def _sets(rows):
    out = {}
    for key, value in rows:
        if value is not None:
            out.setdefault(key, set()).add(value)
    return out


def model(dbt, session):
    dbt.config(materialized="table")
    scored = dbt.ref("int_identity_pairs_scored").filter("is_match")
    matches = scored.project("cluster_a, cluster_b, match_weight, match_probability").fetchall()
    involved = scored.project("cluster_a as matched").union(scored.project("cluster_b as matched")).distinct()

    def attribute(relation, expression):
        return (
            relation.join(involved, "cluster_node_id = matched")
            .project(f"cluster_node_id, {expression}")
            .fetchall()
        )

    # a name as an unordered pair of nickname-resolved tokens: "Mark Thomas" and "Thomas, Mark" agree
    names = attribute(
        dbt.ref("int_identity_profile_names").filter("length(first_name) > 1 and last_name is not null"),
        "least(first_name_canon, last_name_canon) || '|' || greatest(first_name_canon, last_name_canon)",
    )
    profiles = dbt.ref("int_identity_profiles")
    dates = attribute(profiles, "unnest(birth_dates)::varchar")
    crm = attribute(profiles, "unnest(crm_ids)")
    merged = constrained_merge(
        [(a, b, w) for a, b, w, _ in matches], _sets(names), {}, _sets(dates), _sets(crm)
    )
    probability = {}
    for a, b, _, p in matches:
        if merged.get(a) is not None and merged[a] == merged.get(b):
            for side in (a, b):
                probability[side] = max(probability.get(side, 0.0), p)

    # the few merged clusters go to DuckDB; it joins them to every node (in parallel)
    merged_clusters = session.from_arrow(
        pa.table(
            {
                "merged_cluster": pa.array(list(merged), pa.string()),
                "representative": pa.array(list(merged.values()), pa.string()),
                "merge_probability": pa.array([probability.get(k) for k in merged], pa.float64()),
            }
        )
    ).set_alias("merged")
    return (
        dbt.ref("int_identity_clusters_deterministic")
        .set_alias("deterministic")
        .join(merged_clusters, "deterministic.cluster_node_id = merged.merged_cluster", how="left")
        .project(
            "deterministic.node_id, deterministic.cluster_node_id AS deterministic_cluster_id, "
            "coalesce(merged.representative, deterministic.cluster_node_id) AS cluster_node_id, "
            "merged.merge_probability"
        )
    )
