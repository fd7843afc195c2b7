-- One row per deterministic cluster: everything its records say about the person (emails, phones,
-- birth dates, postcodes, cities, CRM numbers). The probabilistic stage compares these profiles, so a
-- person's attributes scattered over several records all count as evidence.
with

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

clusters as (
    select * from {{ ref('int_identity_clusters_deterministic') }}
),

final as (
    select
        clusters.cluster_node_id,
        count(*) as records,
        coalesce(list(distinct nodes.email_norm) filter (where nodes.email_norm is not null), []) as emails,
        coalesce(list(distinct nodes.phone_e164) filter (where nodes.phone_e164 is not null), []) as phones,
        coalesce(list(distinct nodes.birth_date) filter (where nodes.birth_date is not null), []) as birth_dates,
        coalesce(list(distinct nodes.postcode_norm) filter (where nodes.postcode_norm is not null), []) as postcodes,
        coalesce(list(distinct nodes.postcode_outward) filter (where nodes.postcode_outward is not null), []) as postcode_outwards,
        coalesce(list(distinct nodes.city_folded) filter (where nodes.city_folded is not null), []) as cities,
        coalesce(list(distinct nodes.crm_id) filter (where nodes.crm_id is not null), []) as crm_ids,
        bool_or(nodes.name_folded is not null) as has_name
    from nodes
    inner join clusters on nodes.node_id = clusters.node_id
    group by clusters.cluster_node_id
)

select * from final
