"""One row per identity node with the first node (by id) of its connected component.

Connected components of the identity graph (nodes: int_identity_nodes, edges: int_identity_edges) by
scipy's union-find on a sparse graph: linear in nodes + edges. Iterative clustering is outside what
dbt unit tests can cover; tests/dbt/test_identity_clusters.py checks it on fixtures.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def model(dbt, session):
    dbt.config(materialized="table")
    nodes = dbt.ref("int_identity_nodes").project("node_id").order("node_id").to_arrow_table()
    edges = dbt.ref("int_identity_edges").project("node_a, node_b").to_arrow_table()
    node_ids = nodes.column("node_id").combine_chunks()
    n = len(node_ids)
    if n == 0:
        return pa.table({"node_id": pa.array([], pa.string()), "cluster_node_id": pa.array([], pa.string())})
    a = pc.index_in(edges.column("node_a"), value_set=node_ids).to_numpy(zero_copy_only=False)
    b = pc.index_in(edges.column("node_b"), value_set=node_ids).to_numpy(zero_copy_only=False)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n, dtype=np.int64))
    return pa.table({"node_id": node_ids, "cluster_node_id": node_ids.take(pa.array(first[labels]))})
