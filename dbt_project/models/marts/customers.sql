{%- set delta = customers_delta() -%}
{{ incremental_by_fingerprint(['customer_key'], 'customer_fingerprints(' ~ delta ~ ')',
    changes=['customer_key'], delta=delta) }}
-- One row per unified customer: when first and last seen, what each team knows of them.
-- Incremental by customer: a night builds the customers whose records or touchpoints changed
-- (source_fingerprint, macros/customers.sql) and deletes the customers no longer current. Only the customers
-- whose records or touchpoints its upstreams changed are looked at (delta, macros/deltas.sql), unless those
-- changes do not reach back to this model's last build.
with

to_build as (
    {{ fingerprints_to_build(customer_fingerprints()) }}
),

identity_map as (
    select identity_map.*
    from {{ ref('customer_identity_map') }} as identity_map
    inner join to_build on identity_map.customer_key = to_build.customer_key
),

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

journey as (
    select journey.*
    from {{ ref('customer_journey') }} as journey
    inner join to_build on journey.customer_key = to_build.customer_key
),

complaints as (
    select * from {{ ref('stg_service__complaints') }}
),

records as (
    select
        identity_map.customer_key,
        identity_map.record_kind,
        identity_map.source,
        nodes.seen_at,
        nodes.email_norm,
        nodes.phone_e164,
        nodes.crm_id,
        nodes.system_id_key
    from identity_map
    inner join nodes on identity_map.node_id = nodes.node_id
),

per_customer_records as (
    select
        customer_key,
        count(case when record_kind = 'complaint' then 1 end) as complaints,
        count(case when record_kind = 'survey_response' then 1 end) as survey_responses,
        count(case when record_kind = 'contact' then 1 end) as contacts,
        count(distinct source) as sources,
        count(distinct record_kind) as team_views,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
    from records
    group by customer_key
),

identifier_counts as (
    -- distinct emails + phones + CRM numbers + system ids, counted in one pass (one distinct count per
    -- kind costs a grouping each)
    select customer_key, count(distinct identifier) as identifiers
    from (
        select customer_key, 'email|' || email_norm as identifier from records where email_norm is not null
        union all
        select customer_key, 'phone|' || phone_e164 from records where phone_e164 is not null
        union all
        select customer_key, 'crm|' || crm_id from records where crm_id is not null
        union all
        select customer_key, 'system|' || system_id_key from records where system_id_key is not null
    ) as identifiers
    group by customer_key
),

open_complaints as (
    select identity_map.customer_key, count(*) as open_complaints
    from complaints
    inner join identity_map on complaints.record_key = identity_map.node_id
    where not complaints.is_resolved
    group by identity_map.customer_key
),

scores as (
    select
        customer_key,
        -- seq orders a customer's touchpoints by time first (customer_journey); as text, a time with a
        -- fraction of a second sorted before the same second without one
        {{ last_by('score', 'seq') }} as latest_score,
        {{ last_by('scale', 'seq') }} as latest_scale,
        avg(case when scale = 'csat_5' then score end) as mean_csat
    from journey
    where event_type = 'survey_response'
    group by customer_key
),

teams as (
    select customer_key, count(distinct team) as teams_touched
    from journey
    where team is not null
    group by customer_key
),

final as (
    select
        cast(per_customer_records.customer_key as varchar) as customer_key,
        cast(per_customer_records.first_seen_at as timestamp) as first_seen_at,
        cast(per_customer_records.last_seen_at as timestamp) as last_seen_at,
        cast(per_customer_records.complaints as bigint) as complaints,
        cast(coalesce(open_complaints.open_complaints, 0) as bigint) as open_complaints,
        cast(per_customer_records.survey_responses as bigint) as survey_responses,
        cast(scores.latest_score as double precision) as latest_score,
        cast(scores.latest_scale as varchar) as latest_scale,
        cast(scores.mean_csat as double precision) as mean_csat,
        cast(per_customer_records.contacts as bigint) as contacts,
        cast(coalesce(teams.teams_touched, 0) as bigint) as teams_touched,
        cast(per_customer_records.sources as bigint) as sources,
        cast(per_customer_records.team_views as bigint) as team_views,
        cast(coalesce(identifier_counts.identifiers, 0) as bigint) as identifiers,
        to_build.source_fingerprint
    from per_customer_records
    inner join to_build on per_customer_records.customer_key = to_build.customer_key
    left join identifier_counts on per_customer_records.customer_key = identifier_counts.customer_key
    left join open_complaints on per_customer_records.customer_key = open_complaints.customer_key
    left join scores on per_customer_records.customer_key = scores.customer_key
    left join teams on per_customer_records.customer_key = teams.customer_key
)

select * from final
