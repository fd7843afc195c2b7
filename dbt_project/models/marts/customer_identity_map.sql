{{ incremental_by_fingerprint(['node_id'], 'identity_map_fingerprints()') }}
-- One row per record that names a customer, with the unified customer it belongs to.
-- Incremental by node: a night builds the nodes whose record, key groups or customer changed
-- (source_fingerprint, macros/identity_map.sql) and deletes the nodes no longer current.
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

edges as (
    -- the links of the nodes to build
    select * from {{ ref('int_identity_edges_deterministic') }}
    where node_a in (select node_id from to_build) or node_b in (select node_id from to_build)
),

incident as (
    select node_a as node_id, match_rule, match_probability from edges
    union all
    select node_b as node_id, match_rule, match_probability from edges
),

node_rule as (
    -- the strongest rule that ties the node to another record
    select node_id, match_rule, match_probability
    from (
        select
            node_id,
            match_rule,
            match_probability,
            row_number() over (
                partition by node_id
                order by
                    case match_rule
                        when 'system_id' then 1 when 'crm_id' then 2 when 'ticket_link' then 3
                        when 'email' then 4 when 'phone_name' then 5 else 9
                    end,
                    match_probability desc
            ) as rule_rank
        from incident
    ) as ranked
    where rule_rank = 1
),

final as (
    select
        cast(nodes.source as varchar) as source,
        cast(nodes.record_kind as varchar) as record_kind,
        cast(nodes.record_id as varchar) as source_record_id,
        cast(nodes.node_id as varchar) as node_id,
        cast('C' || left({{ dbt.hash('clusters.cluster_node_id') }}, 15) as varchar) as customer_key,
        cast(coalesce(node_rule.match_rule, case when clusters.merge_probability is not null then 'probabilistic' end,
            'singleton') as varchar) as match_rule,
        cast(coalesce(node_rule.match_probability, clusters.merge_probability, 1.0) as double precision) as match_probability,
        nodes.map_fingerprint as source_fingerprint
    from nodes
    inner join clusters on nodes.node_id = clusters.node_id
    left join node_rule on nodes.node_id = node_rule.node_id
)

select * from final
