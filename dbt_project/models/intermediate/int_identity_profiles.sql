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
        {{ array_agg_distinct('nodes.email_norm') }} as emails,
        {{ array_agg_distinct('nodes.phone_e164') }} as phones,
        {{ array_agg_distinct('nodes.birth_date') }} as birth_dates,
        {{ array_agg_distinct('nodes.postcode_norm') }} as postcodes,
        {{ array_agg_distinct('nodes.postcode_outward') }} as postcode_outwards,
        {{ array_agg_distinct('nodes.city_folded') }} as cities,
        {{ array_agg_distinct('nodes.crm_id') }} as crm_ids,
        {{ dbt.bool_or('nodes.name_folded is not null') }} as has_name
    from nodes
    inner join clusters on nodes.node_id = clusters.node_id
    group by clusters.cluster_node_id
)

select * from final
