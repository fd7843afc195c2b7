{{ config(materialized='incremental', unique_key=['phone_raw', 'region']) }}
-- One row per distinct phone text any source has carried, with its E.164 form (phonenumbers, through
-- the cx_e164 function). Incremental: a night normalises only numbers it has not seen, the costly part
-- of staging (~31 us a number); the staging views look numbers up here.
with

phones as (
    -- union: each distinct text once
    select trim(customer_phone) as phone_raw from {{ source('raw', 'complaints') }}
    where nullif(trim(customer_phone), '') is not null
    union
    select trim(customer_phone) from {{ source('raw', 'survey_responses') }}
    where nullif(trim(customer_phone), '') is not null
),

new_phones as (
    select phones.phone_raw
    from phones
    {% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as known
        where known.phone_raw = phones.phone_raw and known.region = '{{ var("phone_region") }}'
    )
    {% endif %}
),

final as (
    select
        phone_raw,
        '{{ var("phone_region") }}' as region,
        {{ normalize_phone('phone_raw') }} as phone_e164
    from new_phones
)

select * from final
