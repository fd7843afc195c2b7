{%- set record_keys = [('source', '_source'), ('response_id', 'response_id')] %}
{%- set record_inputs = {'seeds': {'identity_placeholders': ['identifier', 'value']}, 'vars': ['phone_region']} %}
{{ incremental_by_record('survey_responses', record_keys, changes=['record_key'], **record_inputs) }}
-- One row per survey response (latest version), with normalised customer identifiers and whether
-- the score counts as happy on its scale (CSAT >= 4 of 5, NPS >= 9 of 10, CES >= 6 of 7).
-- Incremental by record (macros/incremental.sql): a night rebuilds the records whose raw rows, the phone
-- region or the SQL changed. The responses its build removed and added are kept in
-- stg_marketing__survey_responses__changes (macros/deltas.sql) for customer_journey.
with

{{ changed_records(source('raw', 'survey_responses'), record_keys, **record_inputs) }},

phone_numbers as (
    select * from {{ ref('stg_reference__phone_numbers') }}
),

latest as (
    select
        *,
        row_number() over (
            partition by _source, response_id order by {{ newer_export_first() }}
        ) as version_rank
    from changed_rows
),

renamed as (
    select
        _source as source,
        response_id,
        _source || '|survey_response|' || response_id as record_key,
        survey,
        submitted_at,
        score,
        scale,
        comment,
        touchpoint,
        nullif(trim(complaint_id), '') as complaint_id,
        customer_id,
        customer_crm_id,
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
    where version_rank = 1
),

final as (
    select
        renamed.source,
        renamed.response_id,
        renamed.record_key,
        renamed.survey,
        renamed.submitted_at,
        renamed.score,
        renamed.scale,
        case renamed.scale
            when 'csat_5' then renamed.score >= 4
            when 'nps_10' then renamed.score >= 9
            when 'ces_7' then renamed.score >= 6
        end as is_happy,
        case renamed.scale
            when 'csat_5' then renamed.score <= 2
            when 'nps_10' then renamed.score <= 6
            when 'ces_7' then renamed.score <= 3
        end as is_unhappy,
        renamed.comment,
        renamed.touchpoint,
        renamed.complaint_id,
        renamed.customer_id,
        renamed.customer_crm_id,
        {{ customer_identifiers('renamed', 'phone_numbers') }},
        renamed.source_file,
        renamed.source_row,
        renamed.source_fingerprint
    from renamed
    left join phone_numbers
        on trim(renamed.customer_phone) = phone_numbers.phone_raw and renamed.phone_region = phone_numbers.region
)

select * from final
