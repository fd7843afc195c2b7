{{ incremental_by_fingerprint(['node_id'], 'identity_node_fingerprints()') }}
-- One row per record that names a customer (complaint, survey response, identified contact): the
-- identity graph's nodes, with every identifier the record carries, normalised for matching (a stand-in
-- such as noemail@... is no identifier: seeds/identity_placeholders.csv).
-- Incremental by record: a night builds the nodes whose staged record, nickname or placeholder seed or this SQL
-- changed (source_fingerprint, macros/identity_nodes.sql) and deletes the nodes no longer current.
with

to_build as (
    {{ fingerprints_to_build(identity_node_fingerprints()) }}
),

complaints as (
    select staged.*, to_build.source_fingerprint as node_fingerprint
    from {{ ref('stg_service__complaints') }} as staged
    inner join to_build on staged.record_key = to_build.node_id
),

survey_responses as (
    select staged.*, to_build.source_fingerprint as node_fingerprint
    from {{ ref('stg_marketing__survey_responses') }} as staged
    inner join to_build on staged.record_key = to_build.node_id
),

contacts as (
    select staged.*, to_build.source_fingerprint as node_fingerprint
    from {{ ref('stg_operations__contacts') }} as staged
    inner join to_build on staged.record_key = to_build.node_id
),

nicknames as (
    select nickname, min(formal) as formal from {{ ref('nicknames') }} group by nickname
),

complaint_nodes as (
    select
        record_key as node_id,
        source,
        'complaint' as record_kind,
        complaint_id as record_id,
        created_at as seen_at,
        case when customer_id is not null then source || ':' || customer_id end as system_id_key,
        nullif(trim(customer_crm_id), '') as crm_id,
        email_norm,
        phone_e164,
        name_folded,
        birth_date,
        postcode_norm,
        city_folded,
        cast(null as varchar) as linked_complaint_id,
        node_fingerprint as source_fingerprint
    from complaints
),

survey_nodes as (
    select
        record_key as node_id,
        source,
        'survey_response' as record_kind,
        response_id as record_id,
        submitted_at as seen_at,
        case when customer_id is not null then source || ':' || customer_id end as system_id_key,
        nullif(trim(customer_crm_id), '') as crm_id,
        email_norm,
        phone_e164,
        name_folded,
        birth_date,
        postcode_norm,
        city_folded,
        complaint_id as linked_complaint_id,
        node_fingerprint as source_fingerprint
    from survey_responses
),

contact_nodes as (
    select
        record_key as node_id,
        source,
        'contact' as record_kind,
        contact_id as record_id,
        started_at as seen_at,
        case when customer_id is not null then source || ':' || customer_id end as system_id_key,
        nullif(trim(customer_crm_id), '') as crm_id,
        cast(null as varchar) as email_norm,
        cast(null as varchar) as phone_e164,
        cast(null as varchar) as name_folded,
        birth_date,
        postcode_norm,
        city_folded,
        cast(null as varchar) as linked_complaint_id,
        node_fingerprint as source_fingerprint
    from contacts
),

unioned as (
    select * from complaint_nodes
    union all
    select * from survey_nodes
    union all
    select * from contact_nodes
),

placeholders as (
    -- stand-ins a help desk types for a customer without an address or number (noemail@...): no identifier
    select distinct identifier, lower(trim(value)) as value from {{ ref('identity_placeholders') }}
),

identified as (
    select
        unioned.node_id,
        unioned.source,
        unioned.record_kind,
        unioned.record_id,
        unioned.seen_at,
        unioned.system_id_key,
        -- a CRM number as a spreadsheet keeps it: 00012345 is 12345
        case when crm_stand_in.value is not null then null
            when {{ regex_matches('unioned.crm_id', '^[0-9]+$') }} then nullif(ltrim(unioned.crm_id, '0'), '')
            else unioned.crm_id end as crm_id,
        case when email_local_stand_in.value is null and email_stand_in.value is null
            then unioned.email_norm end as email_norm,
        case when phone_stand_in.value is null then unioned.phone_e164 end as phone_e164,
        unioned.name_folded,
        unioned.birth_date,
        unioned.postcode_norm,
        unioned.city_folded,
        unioned.linked_complaint_id,
        unioned.source_fingerprint
    from unioned
    left join placeholders as email_local_stand_in
        on email_local_stand_in.identifier = 'email_local' and email_local_stand_in.value = split_part(unioned.email_norm, '@', 1)
    left join placeholders as email_stand_in
        on email_stand_in.identifier = 'email' and email_stand_in.value = unioned.email_norm
    left join placeholders as phone_stand_in
        on phone_stand_in.identifier = 'phone' and phone_stand_in.value = unioned.phone_e164
    left join placeholders as crm_stand_in
        on crm_stand_in.identifier = 'crm' and crm_stand_in.value = lower(unioned.crm_id)
),

named as (
    select
        *,
        -- name tokens in sorted order: "smith john" and "john smith" agree
        case when name_folded is not null
            then {{ sorted_words('name_folded') }} end as name_key,
        split_part(name_folded, ' ', 1) as first_name,
        case when name_folded like '% %' then {{ last_word('name_folded') }} end as last_name,
        split_part(email_norm, '@', 1) as email_local,
        split_part(email_norm, '@', 2) as email_domain,
        {{ regex_group('postcode_norm', '^([A-Z]{1,2}[0-9][0-9A-Z]?)[0-9][A-Z]{2}$', 1) }} as postcode_outward
    from identified  -- only records that carry an identifier (identity_node_fingerprints chose them)
),

final as (
    select
        named.*,
        coalesce(first_nick.formal, named.first_name) as first_name_canon,
        coalesce(last_nick.formal, named.last_name) as last_name_canon
    from named
    left join nicknames as first_nick on named.first_name = first_nick.nickname
    left join nicknames as last_nick on named.last_name = last_nick.nickname
)

select * from final
