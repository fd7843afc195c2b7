{{ config(materialized='incremental', unique_key=['phone_raw', 'region']) }}
-- One row per distinct phone text any source has carried, with its E.164 form (phonenumbers, through
-- the cx_e164 function). Incremental: a night normalises only numbers it has not seen, the costly part
-- of staging (~31 us a number); the staging views look numbers up here.
with

phones as (
    -- union: each distinct text once
    -- a number is read in its record's country (customer_phone_region), else CX_PHONE_REGION's
    select trim(customer_phone) as phone_raw, {{ phone_region_of('customer_phone_region') }} as region
    from {{ source('raw', 'complaints') }}
    where nullif(trim(customer_phone), '') is not null
    union
    select trim(customer_phone), {{ phone_region_of('customer_phone_region') }} from {{ source('raw', 'survey_responses') }}
    where nullif(trim(customer_phone), '') is not null
),

new_phones as (
    select phones.phone_raw, phones.region
    from phones
    {% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as known
        where known.phone_raw = phones.phone_raw and known.region = phones.region
    )
    {% endif %}
),

final as (
    select
        phone_raw,
        region,
        {{ normalize_phone('phone_raw', 'region') }} as phone_e164
    from new_phones
)

select * from final
