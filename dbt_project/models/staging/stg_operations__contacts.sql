{%- set record_keys = [('source', '_source'), ('contact_id', 'contact_id')] %}
{%- set record_inputs = {'seeds': {
    'team_mapping': ['source_value', 'team', 'department'],
    'contact_outcome_mapping': ['source_value', 'outcome'],
}} %}
{{ incremental_by_record('contacts', record_keys, changes=['record_key'], **record_inputs) }}
-- One row per contact-centre contact with its team (through the queue or team mapping) and outcome.
-- Incremental by record (macros/incremental.sql): a night rebuilds the records whose raw rows, mapping
-- seeds or SQL changed. The contacts its build removed and added are kept in
-- stg_operations__contacts__changes (macros/deltas.sql) for customer_journey.
with

{{ changed_records(source('raw', 'contacts'), record_keys, **record_inputs) }},

team_map as (
    select * from {{ ref('team_mapping') }}
),

outcome_map as (
    select * from {{ ref('contact_outcome_mapping') }}
),

latest as (
    select
        *,
        row_number() over (
            partition by _source, contact_id order by {{ newer_export_first() }}
        ) as version_rank
    from changed_rows
),

renamed as (
    select
        _source as source,
        contact_id,
        _source || '|contact|' || contact_id as record_key,
        customer_id,
        customer_crm_id,
        started_at,
        coalesce(team, queue) as team_raw,
        queue,
        lower(trim(channel)) as channel,
        outcome as outcome_raw,
        wait_seconds,
        handle_seconds,
        agent,
        customer_birth_date,
        customer_city,
        customer_postcode,
        _file as source_file,
        _row as source_row,
        source_fingerprint
    from latest
    where version_rank = 1
),

final as (
    select
        renamed.source,
        renamed.contact_id,
        renamed.record_key,
        renamed.customer_id,
        renamed.customer_crm_id,
        renamed.started_at,
        renamed.team_raw,
        team_map.team,
        team_map.department,
        renamed.team_raw is null or team_map.source_value is not null as is_team_mapped,
        renamed.queue,
        coalesce(renamed.channel, 'phone') as channel,
        coalesce(outcome_map.outcome, lower(trim(renamed.outcome_raw))) as outcome,
        renamed.wait_seconds,
        renamed.handle_seconds,
        renamed.agent,
        renamed.customer_birth_date as birth_date,
        {{ normalize_postcode('renamed.customer_postcode') }} as postcode_norm,
        {{ fold_text('renamed.customer_city') }} as city_folded,
        renamed.source_file,
        renamed.source_row,
        renamed.source_fingerprint
    from renamed
    left join team_map on lower(trim(renamed.team_raw)) = team_map.source_value
    left join outcome_map on lower(trim(renamed.outcome_raw)) = outcome_map.source_value
)

select * from final
