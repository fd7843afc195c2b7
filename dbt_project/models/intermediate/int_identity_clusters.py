"""One row per identity node with the first node (by id) of its connected component.

The algorithm (scipy union-find on a sparse graph) lives in cx_unify/identity.py and is tested in
pytest on fixtures: iterative clustering is beyond dbt unit tests.
"""

from cx_unify.identity import cluster_representatives


def model(dbt, session):
    dbt.config(materialized="table")
    nodes = dbt.ref("int_identity_nodes").project("node_id").order("node_id").to_arrow_table()
    edges = dbt.ref("int_identity_edges").project("node_a, node_b").to_arrow_table()
    return cluster_representatives(
        nodes.column("node_id").combine_chunks(),
        edges.column("node_a").combine_chunks(),
        edges.column("node_b").combine_chunks(),
    )
