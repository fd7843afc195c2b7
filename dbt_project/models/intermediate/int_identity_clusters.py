"""One row per identity node with its final cluster: deterministic clusters joined along accepted
probabilistic matches, strongest first, refusing any join whose records would contradict each other
(different first or last names, birth dates or CRM numbers).

The algorithm lives in cx_unify/identity.py and is tested in pytest: iterative clustering is beyond
what dbt unit tests can express. Only the clusters some match involves are read into Python.
"""

import pyarrow as pa
import pyarrow.compute as pc

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

    deterministic = dbt.ref("int_identity_clusters_deterministic").to_arrow_table()
    clusters = deterministic.column("cluster_node_id").combine_chunks()
    keys = pa.array(list(merged), pa.string())
    position = pc.index_in(clusters, value_set=keys)  # null where no match touched the cluster
    representative = pa.array([merged[k] for k in keys.to_pylist()], pa.string()).take(position)
    merge_probability = pa.array([probability.get(k) for k in keys.to_pylist()], pa.float64()).take(position)
    return pa.table(
        {
            "node_id": deterministic.column("node_id"),
            "deterministic_cluster_id": clusters,
            "cluster_node_id": pc.coalesce(representative, clusters),
            "merge_probability": merge_probability,
        }
    )
