"""Connected components of the identity graph, used by the dbt Python models
int_identity_clusters_deterministic and int_identity_cluster_merges.

Kept here, outside dbt, so that it is tested directly in pytest: iterative clustering is beyond what dbt
unit tests can express (STYLE.md).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class NodeChanges:
    """What changed upstream since the kept clusters were built (int_identity_nodes__changes and
    int_identity_edges_deterministic__changes, macros/deltas.sql): the nodes removed and added (node_id,
    source_fingerprint, is_current) and the links removed and added (node_a_fingerprint,
    node_b_fingerprint)."""

    nodes: duckdb.DuckDBPyRelation
    edges: duckdb.DuckDBPyRelation


def cluster_representatives_kept(
    con: duckdb.DuckDBPyConnection,
    nodes: duckdb.DuckDBPyRelation,
    edges: duckdb.DuckDBPyRelation,
    kept: duckdb.DuckDBPyRelation | None,
    changes: NodeChanges | None = None,
    kept_now: bool | None = None,
) -> pa.Table:
    """cluster_representatives kept between builds. `kept` is what the last build wrote (none on a first
    build); the result holds the rows (node_id, cluster_node_id, node_fingerprint, links_digest,
    link_rules, clustering_version) of every node whose cluster may have changed since: all of them when
    nothing is kept or other code built it. Nodes gone are not in it (the model deletes their rows).
    link_rules sums the distinct rule_bit of the node's links (which deterministic rules link it).

    `nodes` carry source_fingerprint (what the node is), `edges` the fingerprints of their two nodes
    (node_a_fingerprint, node_b_fingerprint) and of the key group that made them (source_fingerprint:
    its key and its nodes). A node's links_digest digests the groups it is in, so it changes when one of
    them gained, lost or changed a node, or the node joined or left a group. The kept clusters of such
    nodes and of nodes changed or gone are found again, over their nodes and the new ones; the other
    clusters keep their rows. That is the full answer: a kept cluster none of whose nodes changed, in
    itself or in its groups, has the same groups, so the same links (a group's star depends on its nodes
    only), and no link joins it to a node found again (the two would share a group, which would have
    changed for both). Nodes are matched on their fingerprints: integers, where node ids are long text.

    With `changes` (everything that changed upstream since `kept` was built) those nodes are read from
    the changes instead of comparing every node's digest: the nodes removed or added, and both ends of
    every link removed or added (a group that changed had all its links replaced).

    `kept_now`: built_by_this_version(con, kept), when the caller has asked it already (a scan of `kept`).
    """
    run = uuid.uuid4().hex[:8]
    digests, compared, redo, found = (f"_cx_{name}_{run}" for name in ("links", "compared", "redo", "found"))
    edge_rows = edges.sql_query()
    node_rows = nodes.project("node_id, source_fingerprint").sql_query()
    if kept_now is None:
        kept_now = built_by_this_version(con, kept)
    try:
        if kept_now and changes is not None:
            assert kept is not None
            # the kept clusters a changed node or link touches are found again, over their nodes still
            # there and the nodes added
            con.execute(f"""
                CREATE TEMPORARY TABLE {redo} AS
                WITH node_changes AS (
                    SELECT node_id, source_fingerprint, is_current FROM ({changes.nodes.sql_query()})
                ),
                touched AS (
                    SELECT source_fingerprint AS node_fingerprint FROM node_changes
                    UNION
                    SELECT node_a_fingerprint FROM ({changes.edges.sql_query()})
                    UNION
                    SELECT node_b_fingerprint FROM ({changes.edges.sql_query()})
                ),
                kept AS (SELECT node_id, node_fingerprint, cluster_node_id FROM ({kept.sql_query()}))
                SELECT DISTINCT node_id, node_fingerprint FROM (
                    SELECT kept.node_id, kept.node_fingerprint FROM kept
                    WHERE kept.cluster_node_id IN (
                        SELECT kept.cluster_node_id FROM kept
                        WHERE kept.node_fingerprint IN (SELECT node_fingerprint FROM touched)
                    )
                    AND kept.node_fingerprint NOT IN (
                        SELECT source_fingerprint FROM node_changes WHERE NOT is_current
                    )
                    UNION ALL
                    SELECT node_id, source_fingerprint FROM node_changes WHERE is_current
                )""")
            con.execute(f"CREATE TEMPORARY TABLE {digests} AS {_links_digests(edge_rows, redo)}")
            clusters = _clusters_again(con, redo, edge_rows)
            rows = f"({_with_digests(f'SELECT node_id, node_fingerprint FROM {redo}', digests)})"
        elif kept_now:
            assert kept is not None
            con.execute(f"CREATE TEMPORARY TABLE {digests} AS {_links_digests(edge_rows)}")
            # every node beside what the last build kept of it, in one pass: a full join on the node's
            # fingerprint (a node gone has no id, a new one no kept cluster), then its links now
            con.execute(f"""
                CREATE TEMPORARY TABLE {compared} AS
                SELECT nodes.node_id, coalesce(nodes.source_fingerprint, kept.node_fingerprint) AS node_fingerprint,
                    coalesce(digests.links_digest, 0) AS links_digest, coalesce(digests.link_rules, 0) AS link_rules,
                    kept.cluster_node_id AS kept_cluster, kept.links_digest AS kept_links_digest
                FROM ({node_rows}) AS nodes
                FULL JOIN (SELECT node_fingerprint, cluster_node_id, links_digest FROM ({kept.sql_query()})) AS kept
                    ON nodes.source_fingerprint = kept.node_fingerprint
                LEFT JOIN {digests} AS digests ON nodes.source_fingerprint = digests.node_fingerprint""")
            # the kept clusters with a node gone or whose groups changed are found again, with the new nodes
            con.execute(f"""
                CREATE TEMPORARY TABLE {redo} AS
                SELECT node_id, node_fingerprint, links_digest, link_rules
                FROM {compared}
                WHERE node_id IS NOT NULL AND (kept_cluster IS NULL OR kept_cluster IN (
                    SELECT kept_cluster FROM {compared}
                    WHERE kept_cluster IS NOT NULL AND (node_id IS NULL OR links_digest <> kept_links_digest)
                ))""")
            clusters = _clusters_again(con, redo, edge_rows)
            rows = redo
        else:
            con.execute(f"CREATE TEMPORARY TABLE {digests} AS {_links_digests(edge_rows)}")
            clusters = cluster_representatives(con, nodes, edges)
            rows = f"({_with_digests(f'SELECT node_id, source_fingerprint AS node_fingerprint FROM ({node_rows})', digests)})"
        con.register(found, clusters)
        return con.sql(
            f"SELECT found.node_id, found.cluster_node_id, rows.node_fingerprint, rows.links_digest, rows.link_rules, "
            f"$version AS clustering_version "
            f"FROM {found} AS found INNER JOIN {rows} AS rows ON found.node_id = rows.node_id",
            params={"version": CLUSTERING_VERSION},
        ).to_arrow_table()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {digests}")
        con.execute(f"DROP TABLE IF EXISTS {compared}")
        con.execute(f"DROP TABLE IF EXISTS {redo}")
        con.unregister(found)


def _links_digests(edge_rows: str, only: str | None = None) -> str:
    """A select of each node's links_digest and link_rules (node_fingerprint; nodes without links have
    none) from the edges, of the nodes in table `only` (node_fingerprint) when given."""
    a_only = b_only = ""
    if only is not None:
        a_only = f"WHERE node_a_fingerprint IN (SELECT node_fingerprint FROM {only})"
        # a group's links all share its centre (node_b): the group's row is kept or dropped whole
        b_only = f"WHERE node_b_fingerprint IN (SELECT node_fingerprint FROM {only})"
    return f"""
        SELECT node_fingerprint, hash(sum(source_fingerprint)) AS links_digest,
            -- the sum of the distinct bits is their OR (a DISTINCT aggregate keeps a hash table per node:
            -- twice the time); HUGEINT is the type sum() gave: kept tables keep their columns
            CAST(coalesce(bit_or(rule_bit), 0) AS HUGEINT) AS link_rules
        FROM (
            -- a node's groups: one link from each group it is in, and each group it centres
            SELECT node_a_fingerprint AS node_fingerprint, source_fingerprint, rule_bit FROM ({edge_rows}) {a_only}
            UNION ALL
            SELECT any_value(node_b_fingerprint), source_fingerprint, any_value(rule_bit) FROM ({edge_rows}) {b_only}
            GROUP BY source_fingerprint
        )
        GROUP BY node_fingerprint"""


def _with_digests(node_rows: str, digests: str) -> str:
    """node_rows (node_id, node_fingerprint) with their links_digest and link_rules (0 without links)."""
    return f"""
        SELECT nodes.node_id, nodes.node_fingerprint,
            coalesce(digests.links_digest, 0) AS links_digest, coalesce(digests.link_rules, 0) AS link_rules
        FROM ({node_rows}) AS nodes
        LEFT JOIN {digests} AS digests ON nodes.node_fingerprint = digests.node_fingerprint"""


def _clusters_again(con: duckdb.DuckDBPyConnection, redo: str, edge_rows: str) -> pa.Table:
    """cluster_representatives of the nodes in table `redo` (node_id, node_fingerprint) over their links."""
    redo_edges = con.sql(
        f"SELECT node_a, node_b FROM ({edge_rows}) "
        f"WHERE node_a_fingerprint IN (SELECT node_fingerprint FROM {redo}) "
        f"OR node_b_fingerprint IN (SELECT node_fingerprint FROM {redo})"
    )
    try:
        return cluster_representatives(con, con.table(redo), redo_edges)
    except ValueError as error:
        raise ValueError(
            "a link joins a node clustered again to a kept cluster that did not change: the kept "
            "clusters are not what these nodes and links give; rebuild with cx-unify run --full-refresh"
        ) from error


def built_by_this_version(con: duckdb.DuckDBPyConnection, kept: duckdb.DuckDBPyRelation | None) -> bool:
    """Whether every kept cluster was built by this clustering code (CLUSTERING_VERSION), with the columns
    it keeps: then cluster_representatives_kept finds again only what changed."""
    if kept is None or not {"node_fingerprint", "links_digest", "clustering_version"} <= set(kept.columns):
        return False
    rows = con.execute(
        f"SELECT count(*) FROM ({kept.sql_query()}) WHERE clustering_version IS DISTINCT FROM ?",
        [CLUSTERING_VERSION],
    ).fetchall()
    return rows[0][0] == 0


# kept clusters built by other clustering code are found again: the digest of this module's code (any
# change to it, not a list of the functions that cluster kept by hand)
CLUSTERING_VERSION = hashlib.md5(Path(__file__).read_bytes()).hexdigest()[:16]


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
