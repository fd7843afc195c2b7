{{ config(materialized='view') }}
-- One row per identity node with its final cluster: its deterministic cluster, or the cluster that one
-- joined along accepted probabilistic matches (int_identity_cluster_merges). A view: a copy of every
-- node's cluster would cost ~5 s a night to write, and customer_identity_map reads it once (and its
-- tests). In a partial run, build it with its upstream (+customer_identity_map): the view joins the
-- deterministic clusters of now with the merges of the last build.
with

deterministic as (
    select * from {{ ref('int_identity_clusters_deterministic') }}
),

merges as (
    select * from {{ ref('int_identity_cluster_merges') }}
),

final as (
    select
        deterministic.node_id,
        deterministic.cluster_node_id as deterministic_cluster_id,
        coalesce(merges.cluster_node_id, deterministic.cluster_node_id) as cluster_node_id,
        merges.merge_probability,
        deterministic.node_fingerprint,
        deterministic.link_rules
    from deterministic
    left join merges on deterministic.cluster_node_id = merges.deterministic_cluster_id
)

select * from final
