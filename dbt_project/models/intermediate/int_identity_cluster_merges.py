"""One row per deterministic cluster that an accepted probabilistic match (is_match) involves, with the
cluster it joins (its representative, itself when every join it was in was refused) and the probability
of the match that joined it (none when refused): deterministic clusters joined along accepted matches, strongest first, refusing
any join whose records would contradict each other (different first or last names, birth dates or CRM
numbers). int_identity_clusters applies it to every node.

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
    # int_identity_pairs_scored is a view: score once, keep the (few) matches
    matches = (
        dbt.ref("int_identity_pairs_scored")
        .filter("is_match")
        .project("cluster_a, cluster_b, match_weight, match_probability")
        .to_arrow_table()
    )
    involved = session.from_arrow(
        pa.table(
            {
                "matched": pa.concat_arrays(
                    [
                        matches.column("cluster_a").combine_chunks(),
                        matches.column("cluster_b").combine_chunks(),
                    ]
                )
            }
        )
    ).distinct()

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
    rows = list(zip(*(matches.column(c).to_pylist() for c in matches.column_names), strict=True))
    merged = constrained_merge([(a, b, w) for a, b, w, _ in rows], _sets(names), {}, _sets(dates), _sets(crm))
    probability = {}
    for a, b, _, p in rows:
        if merged.get(a) is not None and merged[a] == merged.get(b):
            for side in (a, b):
                probability[side] = max(probability.get(side, 0.0), p)
    return pa.table(
        {
            "deterministic_cluster_id": pa.array(list(merged), pa.string()),
            "cluster_node_id": pa.array(list(merged.values()), pa.string()),
            "merge_probability": pa.array([probability.get(k) for k in merged], pa.float64()),
        }
    )
