-- One row per record that names a customer, with the unified customer it belongs to.
with

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

clusters as (
    select * from {{ ref('int_identity_clusters') }}
),

edges as (
    select * from {{ ref('int_identity_edges_deterministic') }}
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
        cast(coalesce(node_rule.match_probability, clusters.merge_probability, 1.0) as double precision) as match_probability
    from nodes
    inner join clusters on nodes.node_id = clusters.node_id
    left join node_rule on nodes.node_id = node_rule.node_id
)

select * from final
