"""One row per identity node with the first node of its component under the deterministic links only.

The probabilistic stage compares records across these clusters (never inside one). Algorithm in
cx_unify/identity.py (tested in pytest).
"""

from cx_unify.identity import cluster_representatives


def model(dbt, session):
    dbt.config(materialized="table")
    nodes = dbt.ref("int_identity_nodes").project("node_id").order("node_id").to_arrow_table()
    edges = dbt.ref("int_identity_edges_deterministic").project("node_a, node_b").to_arrow_table()
    return cluster_representatives(
        nodes.column("node_id").combine_chunks(),
        edges.column("node_a").combine_chunks(),
        edges.column("node_b").combine_chunks(),
    )
