"""One row per identity node with the first node of its component under the deterministic links only.

The probabilistic stage compares records across these clusters (never inside one). Algorithm in
cx_unify/identity.py (tested in pytest).

Incremental: a night finds again only the clusters of nodes changed, gone, or whose key groups changed,
over their nodes and the new ones; rows of nodes gone are deleted after the insert. Those nodes are read
from the changes int_identity_nodes and int_identity_edges_deterministic kept of their builds since this
model's last one (macros/deltas.sql, cx_unify/deltas.py), or, when those do not reach back to it, by
comparing every node's key groups (links_digest, the digest of the groups a node is in) with the kept
ones. Clusters built by other clustering code are all found again. A build from the changes keeps its
own (the rows it removed and added) for int_identity_profiles.
"""

from cx_unify.deltas import stage_changes, upstream_changes
from cx_unify.identity import NodeChanges, built_by_this_version, cluster_representatives_kept

UPSTREAMS = ["int_identity_nodes", "int_identity_edges_deterministic"]


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key="node_id",
        incremental_strategy="delete+insert",
        on_schema_change="append_new_columns",
    )  # the post-hooks (rows of nodes gone deleted, the upstream builds recorded) are in _intermediate.yml
    kept = session.sql(f"SELECT * FROM {dbt.this!r}") if dbt.is_incremental else None
    changes = None
    if kept is not None:
        found = upstream_changes(session, dbt.this.database, dbt.this.schema, dbt.this.identifier, UPSTREAMS)
        if found is not None:
            changes = NodeChanges(
                nodes=found["int_identity_nodes"], edges=found["int_identity_edges_deterministic"]
            )
    kept_now = built_by_this_version(session, kept)
    built = cluster_representatives_kept(
        session,
        dbt.ref("int_identity_nodes"),
        dbt.ref("int_identity_edges_deterministic"),
        kept,
        changes,
        kept_now=kept_now,
    )
    if changes is not None and kept_now:
        # found from the changes: its own changes are kept for int_identity_profiles (the rows of nodes
        # found again, and of nodes gone: their fingerprints removed upstream)
        removed = f"SELECT source_fingerprint FROM ({changes.nodes.sql_query()}) WHERE NOT is_current"
        stage_changes(
            session, dbt.this.identifier, kept, built, "node_id", f"node_fingerprint IN ({removed})"
        )
    # a relation: dbt-duckdb writes it on this connection (an Arrow table it writes through another
    # cursor, after which the post-hooks no longer see the tables staged here)
    return session.from_arrow(built)
