"""Connected components of the identity graph, used by the dbt Python model int_identity_clusters.

Kept here, outside dbt, so that it is tested directly in pytest: iterative clustering is beyond what dbt
unit tests can express (STYLE.md).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def cluster_representatives(node_ids: pa.Array, node_a: pa.Array, node_b: pa.Array) -> pa.Table:
    """For every node, the smallest node id of its connected component.

    node_ids must be sorted and unique; edges name nodes by id. Union-find on a sparse graph: linear in
    nodes + edges. An edge naming an unknown node is an error, not silently dropped.
    """
    n = len(node_ids)
    if n == 0:
        return pa.table({"node_id": pa.array([], pa.string()), "cluster_node_id": pa.array([], pa.string())})
    a = pc.index_in(node_a, value_set=node_ids)
    b = pc.index_in(node_b, value_set=node_ids)
    if a.null_count or b.null_count:
        raise ValueError("an identity edge names a node that is not in the node list")
    a_idx = a.to_numpy(zero_copy_only=False)
    b_idx = b.to_numpy(zero_copy_only=False)
    graph = coo_matrix((np.ones(len(a_idx), dtype=np.int8), (a_idx, b_idx)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n, dtype=np.int64))
    return pa.table({"node_id": node_ids, "cluster_node_id": node_ids.take(pa.array(first[labels]))})
