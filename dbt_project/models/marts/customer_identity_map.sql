{{ incremental_by_fingerprint(['node_id'], 'identity_map_fingerprints()', changes=['node_id', 'customer_key']) }}
-- One row per record that names a customer, with the unified customer it belongs to.
-- Incremental by node: a night builds the nodes whose record, linking rules or customer changed
-- (source_fingerprint, macros/identity_map.sql) and deletes the nodes no longer current. The rows it removed
-- and added are kept in customer_identity_map__changes (macros/deltas.sql) for customer_journey and customers.
with

to_build as (
    {{ fingerprints_to_build(identity_map_fingerprints()) }}
),

nodes as (
    select nodes.*, to_build.source_fingerprint as map_fingerprint
    from {{ ref('int_identity_nodes') }} as nodes
    inner join to_build on nodes.node_id = to_build.node_id
),

clusters as (
    select clusters.*
    from {{ ref('int_identity_clusters') }} as clusters
    inner join to_build on clusters.node_id = to_build.node_id
),

final as (
    select
        cast(nodes.source as varchar) as source,
        cast(nodes.record_kind as varchar) as record_kind,
        cast(nodes.record_id as varchar) as source_record_id,
        cast(nodes.node_id as varchar) as node_id,
        cast('C' || left({{ dbt.hash('clusters.cluster_node_id') }}, 15) as varchar) as customer_key,
        -- the strongest deterministic rule that links the record (link_rules), else the probabilistic
        -- match that merged its cluster, else none
        cast(coalesce({{ strongest_link_rule('clusters.link_rules') }},
            case when clusters.merge_probability is not null then 'probabilistic' end, 'singleton') as varchar)
            as match_rule,
        cast(case when clusters.link_rules > 0 then 1.0 else coalesce(clusters.merge_probability, 1.0) end
            as double precision) as match_probability,
        nodes.map_fingerprint as source_fingerprint
    from nodes
    inner join clusters on nodes.node_id = clusters.node_id
)

select * from final
