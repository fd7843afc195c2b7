"""One row per identity node with the first node of its component under the deterministic links only.

The probabilistic stage compares records across these clusters (never inside one). Algorithm in
cx_unify/identity.py (tested in pytest).

Incremental: a night finds again only the clusters of nodes changed, gone, or whose key groups changed
(links_digest, the digest of the groups a node is in), over their nodes and the new ones; rows of nodes
gone are deleted after the insert. Clusters built by other clustering code are all found again.
"""

from cx_unify.identity import cluster_representatives_kept


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key="node_id",
        incremental_strategy="delete+insert",
        on_schema_change="append_new_columns",
    )  # the post-hook that deletes the rows of nodes gone is in _intermediate.yml (no Jinja here)
    kept = session.sql(f"SELECT * FROM {dbt.this!r}") if dbt.is_incremental else None
    return cluster_representatives_kept(
        session, dbt.ref("int_identity_nodes"), dbt.ref("int_identity_edges_deterministic"), kept
    )
