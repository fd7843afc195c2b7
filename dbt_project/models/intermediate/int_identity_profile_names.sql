-- One row per deterministic cluster and distinct way its records write the person's name.
with

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

clusters as (
    select * from {{ ref('int_identity_clusters_deterministic') }}
),

final as (
    select distinct
        clusters.cluster_node_id,
        nodes.first_name,
        nodes.first_name_canon,
        nodes.last_name,
        nodes.last_name_canon
    from nodes
    inner join clusters on nodes.node_id = clusters.node_id
    where nodes.first_name is not null
)

select * from final
