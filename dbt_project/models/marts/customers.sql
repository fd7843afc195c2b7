-- One row per unified customer: when first and last seen, what each team knows of them.
with

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

journey as (
    select * from {{ ref('customer_journey') }}
),

complaints as (
    select * from {{ ref('stg_service__complaints') }}
),

per_customer_records as (
    select
        identity_map.customer_key,
        count(*) filter (where identity_map.record_kind = 'complaint') as complaints,
        count(*) filter (where identity_map.record_kind = 'survey_response') as survey_responses,
        count(*) filter (where identity_map.record_kind = 'contact') as contacts,
        count(distinct identity_map.source) as sources,
        count(distinct nodes.email_norm) as emails,
        count(distinct nodes.phone_e164) as phones,
        count(distinct nodes.crm_id) as crm_ids,
        count(distinct nodes.system_id_key) as system_ids,
        min(nodes.seen_at) as first_seen_at,
        max(nodes.seen_at) as last_seen_at
    from identity_map
    inner join nodes on identity_map.node_id = nodes.node_id
    group by identity_map.customer_key
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
        {{ last_by('score', "cast(event_at as varchar) || '|' || lpad(cast(seq as varchar), 9, '0')") }} as latest_score,
        {{ last_by('scale', "cast(event_at as varchar) || '|' || lpad(cast(seq as varchar), 9, '0')") }} as latest_scale,
        avg(score) filter (where scale = 'csat_5') as mean_csat
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
        per_customer_records.customer_key::varchar as customer_key,
        per_customer_records.first_seen_at::timestamp as first_seen_at,
        per_customer_records.last_seen_at::timestamp as last_seen_at,
        per_customer_records.complaints::bigint as complaints,
        coalesce(open_complaints.open_complaints, 0)::bigint as open_complaints,
        per_customer_records.survey_responses::bigint as survey_responses,
        scores.latest_score::double as latest_score,
        scores.latest_scale::varchar as latest_scale,
        scores.mean_csat::double as mean_csat,
        per_customer_records.contacts::bigint as contacts,
        coalesce(teams.teams_touched, 0)::bigint as teams_touched,
        per_customer_records.sources::bigint as sources,
        (per_customer_records.emails + per_customer_records.phones + per_customer_records.crm_ids
            + per_customer_records.system_ids)::bigint as identifiers
    from per_customer_records
    left join open_complaints on per_customer_records.customer_key = open_complaints.customer_key
    left join scores on per_customer_records.customer_key = scores.customer_key
    left join teams on per_customer_records.customer_key = teams.customer_key
)

select * from final
