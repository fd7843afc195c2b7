"""One row per identity node with the first node of its component under the deterministic links only.

The probabilistic stage compares records across these clusters (never inside one). Algorithm in
cx_unify/identity.py (tested in pytest).
"""

from cx_unify.identity import cluster_representatives


def model(dbt, session):
    dbt.config(materialized="table")
    return cluster_representatives(
        session, dbt.ref("int_identity_nodes"), dbt.ref("int_identity_edges_deterministic")
    )
