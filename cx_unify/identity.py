"""Connected components of the identity graph, used by the dbt Python models
int_identity_clusters_deterministic and int_identity_cluster_merges.

Kept here, outside dbt, so that it is tested directly in pytest: iterative clustering is beyond what dbt
unit tests can express (STYLE.md).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def cluster_representatives(
    con: duckdb.DuckDBPyConnection, nodes: duckdb.DuckDBPyRelation, edges: duckdb.DuckDBPyRelation
) -> pa.Table:
    """For every node (`nodes`: node_id, unique), the smallest node id of its connected component under
    `edges` (node_a, node_b).

    The nodes are numbered in id order and DuckDB turns both ends of every edge into those numbers (two
    hash joins, in parallel); the components are found on the integers with a sparse-graph union-find,
    linear in nodes + edges. An edge naming an unknown node is an error, not silently dropped.
    """
    # sorted ids make the smallest position the smallest id. A relation keeps its .order() whatever the
    # connection's preserve_insertion_order (con.execute(...).to_arrow_table() does not): checked anyway
    node_ids = nodes.project("node_id").order("node_id").to_arrow_table().column("node_id").combine_chunks()
    if len(node_ids) > 1 and not pc.all(pc.less(node_ids[:-1], node_ids[1:])).as_py():
        raise ValueError("identity node ids are not unique and in order")

    numbered = pa.table({"node_id": node_ids, "position": pa.array(np.arange(len(node_ids)), pa.int64())})
    ends = (
        edges.project("node_a, node_b")
        .set_alias("edge")
        .join(con.from_arrow(numbered).set_alias("end_a"), "edge.node_a = end_a.node_id", how="left")
        .join(con.from_arrow(numbered).set_alias("end_b"), "edge.node_b = end_b.node_id", how="left")
        .project("end_a.position AS a, end_b.position AS b")
        .to_arrow_table()
    )
    n = len(node_ids)
    if n == 0:
        return pa.table({"node_id": pa.array([], pa.string()), "cluster_node_id": pa.array([], pa.string())})
    a, b = ends.column("a"), ends.column("b")
    if a.null_count or b.null_count:
        raise ValueError("an identity edge names a node that is not in the node list")
    a_idx = a.to_numpy()
    b_idx = b.to_numpy()
    graph = coo_matrix((np.ones(len(a_idx), dtype=np.int8), (a_idx, b_idx)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n, dtype=np.int64))
    return pa.table({"node_id": node_ids, "cluster_node_id": node_ids.take(pa.array(first[labels]))})


class _Groups:
    """Union-find over deterministic clusters that keeps, per group, the names and birth dates it holds."""

    def __init__(self, attributes: list[dict[str, set[str]]]) -> None:
        self.parent: dict[str, str] = {}
        self.attributes = attributes

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def compatible(self, a: str, b: str) -> bool:
        """Two groups may join only if none of their known attributes contradict (no shared value)."""
        for values in self.attributes:
            va = values.get(a)
            if va:
                vb = values.get(b)
                if vb and va.isdisjoint(vb):
                    return False
        return True

    def union(self, a: str, b: str) -> None:
        keep, drop = (a, b) if a < b else (b, a)
        self.parent[drop] = keep
        for values in self.attributes:
            dropped = values.pop(drop, None)
            if dropped:
                kept = values.get(keep)
                # a new set when both have values: no set is ever changed in place
                values[keep] = kept | dropped if kept else dropped


def constrained_merge(
    edges: list[tuple[str, str, float]],
    first_names: dict[str, set[str]],
    last_names: dict[str, set[str]],
    birth_dates: dict[str, set[str]],
    crm_ids: dict[str, set[str]] | None = None,
) -> dict[str, str]:
    """Joins deterministic clusters along probabilistic matches, strongest first, never making a group
    whose records contradict each other: two groups join only if, for each of full names (as the caller
    writes them: an unordered, nickname-resolved pair), last names, birth dates and CRM numbers, one side
    knows none or they share one.

    Connected components alone would let one weak record ("L. Jones") bridge two different people
    (Lea and Leo Jones); here the second join is refused. Returns cluster -> representative (smallest id).
    """
    groups = _Groups(
        [
            dict(values)  # a union makes a new set: the caller's sets are never changed
            for values in (first_names, last_names, birth_dates, crm_ids or {})
        ]
    )
    for a, b, _ in sorted(edges, key=lambda e: (-e[2], e[0], e[1])):
        ra, rb = groups.find(a), groups.find(b)
        if ra != rb and groups.compatible(ra, rb):
            groups.union(ra, rb)
    clusters = {c for edge in edges for c in edge[:2]}
    return {c: groups.find(c) for c in sorted(clusters)}
