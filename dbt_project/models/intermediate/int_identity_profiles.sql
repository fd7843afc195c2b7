{%- set delta = identity_cluster_delta() -%}
{{ incremental_by_fingerprint(['cluster_node_id'], 'identity_profile_fingerprints(' ~ delta ~ ')',
    changes=['cluster_node_id', 'profile_fingerprint', 'source_fingerprint'], delta=delta) }}
-- One row per deterministic cluster: everything its records say about the person (emails, phones,
-- birth dates, postcodes, cities, CRM numbers). The probabilistic stage compares these profiles, so a
-- person's attributes scattered over several records all count as evidence.
-- profile_fingerprint: a digest of everything the comparison reads about the cluster (these arrays and
-- its name readings, the rows of int_identity_profile_names). Two profiles with equal fingerprints
-- compare alike, so int_identity_pair_comparisons keeps a comparison while both last.
-- Incremental by cluster: a night builds the clusters whose records changed (source_fingerprint,
-- macros/identity_profiles.sql) and deletes the clusters no longer current. Only the clusters
-- int_identity_clusters_deterministic changed are looked at (delta, macros/deltas.sql), unless its changes
-- do not reach back to this model's last build.
{%- set arrays = ['emails', 'phones', 'birth_dates', 'postcodes', 'postcode_outwards', 'cities', 'crm_ids'] %}
with

to_build as (
    {{ fingerprints_to_build(identity_profile_fingerprints()) }}
),

clusters as (
    select clusters.node_id, clusters.cluster_node_id, to_build.source_fingerprint
    from {{ ref('int_identity_clusters_deterministic') }} as clusters
    inner join to_build on clusters.cluster_node_id = to_build.cluster_node_id
),

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

aggregated as (
    select
        clusters.cluster_node_id,
        clusters.source_fingerprint,
        count(*) as records,
        {{ array_agg_distinct('nodes.email_norm') }} as emails,
        {{ array_agg_distinct('nodes.phone_e164') }} as phones,
        {{ array_agg_distinct('nodes.birth_date') }} as birth_dates,
        {{ array_agg_distinct('nodes.postcode_norm') }} as postcodes,
        {{ array_agg_distinct('nodes.postcode_outward') }} as postcode_outwards,
        {{ array_agg_distinct('nodes.city_folded') }} as cities,
        {{ array_agg_distinct('nodes.crm_id') }} as crm_ids,
        -- the rows of int_identity_profile_names ('~' for a missing part; none without a first name)
        {{ text_set_digest("nodes.first_name || '|' || coalesce(nodes.first_name_canon, '~') || '|'
            || coalesce(nodes.last_name, '~') || '|' || coalesce(nodes.last_name_canon, '~')") }} as names_digest,
        {{ dbt.bool_or('nodes.name_folded is not null') }} as has_name
    from nodes
    inner join clusters on nodes.node_id = clusters.node_id
    group by clusters.cluster_node_id, clusters.source_fingerprint
),

final as (
    select
        cluster_node_id,
        records,
        emails,
        phones,
        birth_dates,
        postcodes,
        postcode_outwards,
        cities,
        crm_ids,
        has_name,
        {%- set parts = [] %}
        {%- for column in arrays %}{% do parts.append(array_text(column)) %}{% endfor %}
        {%- do parts.append('cast(names_digest as ' ~ dbt.type_string() ~ ')') %}
        {{ digest(parts | join(' || chr(30) || ')) }}
            as profile_fingerprint,
        source_fingerprint
    from aggregated
)

select * from final
