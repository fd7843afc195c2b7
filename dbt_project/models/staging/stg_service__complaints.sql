{%- set record_keys = [('source', '_source'), ('complaint_id', 'complaint_id')] %}
{%- set record_inputs = {'seeds': {
    'team_mapping': ['source_value', 'team', 'department'],
    'category_mapping': ['source_value', 'category', 'category_group'],
    'channel_mapping': ['source_value', 'channel'],
    'identity_placeholders': ['identifier', 'value'],
}, 'vars': ['phone_region']} %}
{{ incremental_by_record('complaints', record_keys, changes=['record_key', 'source', 'complaint_id'], **record_inputs) }}
-- One row per complaint (latest exported version), with mapped team / category / channel and
-- normalised customer identifiers. A ticket whose latest version is deleted (Zendesk keeps a deleted
-- ticket, status 'deleted', in its API and Fivetran's table) is withdrawn, as a record gone from raw is:
-- no complaint, and its change history reaches none.
-- Incremental by record (macros/incremental.sql): a night rebuilds the records whose raw rows, mapping
-- seeds or SQL changed.
-- The complaints its build removed and added are kept in stg_service__complaints__changes (macros/deltas.sql):
-- int_complaint_events_linked and int_complaint_histories look again only at the complaints they name.
with

{{ changed_records(source('raw', 'complaints'), record_keys, **record_inputs) }},

team_map as (
    select * from {{ ref('team_mapping') }}
),

category_map as (
    select * from {{ ref('category_mapping') }}
),

channel_map as (
    select * from {{ ref('channel_mapping') }}
),

phone_numbers as (
    select * from {{ ref('stg_reference__phone_numbers') }}
),

latest as (
    -- an incremental export carries a ticket again each time it changes: keep its newest version
    select
        *,
        row_number() over (
            partition by _source, complaint_id
            order by updated_at desc nulls last, {{ newer_export_first() }}
        ) as version_rank
    from changed_rows
),

renamed as (
    select
        _source as source,
        complaint_id,
        _source || '|complaint|' || complaint_id as record_key,
        created_at,
        updated_at,
        resolved_at,
        lower(trim(status)) as status,
        nullif(lower(trim(priority)), '-') as priority,
        channel as channel_raw,
        category as category_raw,
        subject,
        team as team_raw,
        owner,
        customer_id,
        customer_crm_id,
        satisfaction_score,
        customer_email,
        customer_phone,
        {{ phone_region_of('customer_phone_region') }} as phone_region,
        customer_name,
        customer_birth_date,
        customer_city,
        customer_postcode,
        _file as source_file,
        _row as source_row,
        source_fingerprint
    from latest
    where version_rank = 1 and lower(trim(status)) <> 'deleted'
),

final as (
    select
        renamed.source,
        renamed.complaint_id,
        renamed.record_key,
        renamed.created_at,
        renamed.updated_at,
        renamed.resolved_at,
        renamed.status,
        renamed.status in ('solved', 'closed') as is_resolved,
        renamed.priority,
        coalesce(channel_map.channel, lower(trim(renamed.channel_raw))) as channel,
        renamed.channel_raw,
        renamed.category_raw,
        category_map.category,
        category_map.category_group,
        renamed.category_raw is null or category_map.source_value is not null as is_category_mapped,
        renamed.subject,
        renamed.team_raw,
        team_map.team,
        team_map.department,
        renamed.team_raw is null or team_map.source_value is not null as is_team_mapped,
        renamed.owner,
        renamed.customer_id,
        renamed.customer_crm_id,
        renamed.satisfaction_score,
        {{ customer_identifiers('renamed', 'phone_numbers') }},
        renamed.source_file,
        renamed.source_row,
        renamed.source_fingerprint
    from renamed
    left join phone_numbers
        on trim(renamed.customer_phone) = phone_numbers.phone_raw and renamed.phone_region = phone_numbers.region
    left join team_map on lower(trim(renamed.team_raw)) = team_map.source_value
    left join category_map on lower(trim(renamed.category_raw)) = category_map.source_value
    left join channel_map on lower(trim(renamed.channel_raw)) = channel_map.source_value
)

select * from final
