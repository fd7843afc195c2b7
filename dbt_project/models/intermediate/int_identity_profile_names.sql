{%- set delta = identity_cluster_delta() -%}
{{ incremental_by_fingerprint(['cluster_node_id'], 'identity_profile_fingerprints(' ~ delta ~ ', named_only=true)',
    changes=['cluster_node_id', 'source_fingerprint'], delta=delta) }}
-- One row per deterministic cluster and distinct way its records write the person's name.
-- Incremental by cluster, as int_identity_profiles (by the same digest of its nodes, over the clusters a
-- record names): a night builds the clusters whose records changed and deletes the others no longer
-- current; only the clusters int_identity_clusters_deterministic changed are looked at (delta,
-- macros/deltas.sql), unless its changes do not reach back to this model's last build.
with

to_build as (
    {{ fingerprints_to_build(identity_profile_fingerprints(named_only=true)) }}
),

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

clusters as (
    select clusters.node_id, clusters.cluster_node_id, to_build.source_fingerprint
    from {{ ref('int_identity_clusters_deterministic') }} as clusters
    inner join to_build on clusters.cluster_node_id = to_build.cluster_node_id
),

final as (
    select distinct
        clusters.cluster_node_id,
        nodes.first_name,
        nodes.first_name_canon,
        nodes.last_name,
        nodes.last_name_canon,
        clusters.source_fingerprint
    from nodes
    inner join clusters on nodes.node_id = clusters.node_id
    where nodes.first_name is not null
)

select * from final
