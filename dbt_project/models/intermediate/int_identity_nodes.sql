{{ incremental_by_fingerprint(['node_id'], 'identity_node_fingerprints()', changes=identity_node_change_columns()) }}
-- One row per record that names a customer (complaint, survey response, identified contact): the
-- identity graph's nodes, with every identifier the record carries, normalised for matching (a stand-in
-- such as noemail@... is no identifier: seeds/identity_placeholders.csv).
-- Incremental by record: a night builds the nodes whose staged record, nickname or placeholder seed or this SQL
-- changed (source_fingerprint, macros/identity_nodes.sql) and deletes the nodes no longer current. The
-- nodes it removed and added, with their keys, are kept in int_identity_nodes__changes
-- (macros/deltas.sql): int_identity_edges_deterministic finds again only the key groups they are in.
{%- set _titles = name_titles() %}
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

mailboxes as (
    -- identifiers as their owners' systems tell them apart: an email's mailbox (a +tag reaches the same
    -- one: ann+shop@x is ann@x; ann@googlemail.com is ann@gmail.com; Gmail's dots are kept, although Gmail
    -- ignores them: namesakes' addresses differ by just such a dot, ann.lee@ and annlee@);
    -- a CRM number without its formatting (CRM-0012345, crm 12345, #12345, 12 345 are 12345: digits lose
    -- the leading zeros a spreadsheet drops)
    select
        unioned.*,
        {{ regex_replace_all('unioned.email_norm', '[+][^@]*@', '@') }} as untagged_email,
        nullif({{ regex_replace_all(regex_replace_all('upper(unioned.crm_id)', '[^A-Z0-9]+', ''), '^CRM([0-9])', '\\1') }}, '') as crm_plain
    from unioned
),

canonical as (
    select
        node_id,
        source,
        record_kind,
        record_id,
        seen_at,
        system_id_key,
        crm_id as crm_id_as_written,
        case when {{ regex_matches('crm_plain', '^[0-9]+$') }} then nullif(ltrim(crm_plain, '0'), '')
            else crm_plain end as crm_id,
        untagged_email,
        case when split_part(untagged_email, '@', 2) = 'googlemail.com'
            then split_part(untagged_email, '@', 1) || '@gmail.com'
            else untagged_email end as email_norm,
        phone_e164,
        name_folded,
        birth_date,
        postcode_norm,
        city_folded,
        linked_complaint_id,
        source_fingerprint
    from mailboxes
),

placeholders as (
    -- stand-ins a help desk types for a customer without an address or number (noemail@...): no identifier
    select distinct identifier, lower(trim(value)) as value from {{ ref('identity_placeholders') }}
),

identified as (
    select
        canonical.node_id,
        canonical.source,
        canonical.record_kind,
        canonical.record_id,
        canonical.seen_at,
        canonical.system_id_key,
        case when crm_stand_in.value is null then canonical.crm_id end as crm_id,
        case when email_local_stand_in.value is null and email_stand_in.value is null
            then canonical.email_norm end as email_norm,
        case when phone_stand_in.value is null then canonical.phone_e164 end as phone_e164,
        -- a title is no first name ("Mr John Smith" is john smith); "Mrs Smith" keeps it (no name left)
        case when {{ regex_matches('canonical.name_folded', '^' ~ _titles ~ ' [^ ]+ [^ ]+') }}
            then {{ regex_replace_all('canonical.name_folded', '^' ~ _titles ~ ' ', '') }}
            else canonical.name_folded end as name_folded,
        canonical.birth_date,
        canonical.postcode_norm,
        canonical.city_folded,
        canonical.linked_complaint_id,
        canonical.source_fingerprint
    from canonical
    -- a stand-in is matched as written (a +tag aside)
    left join placeholders as email_local_stand_in
        on email_local_stand_in.identifier = 'email_local' and email_local_stand_in.value = split_part(canonical.untagged_email, '@', 1)
    left join placeholders as email_stand_in
        on email_stand_in.identifier = 'email' and email_stand_in.value = canonical.untagged_email
    left join placeholders as phone_stand_in
        on phone_stand_in.identifier = 'phone' and phone_stand_in.value = canonical.phone_e164
    left join placeholders as crm_stand_in
        on crm_stand_in.identifier = 'crm' and crm_stand_in.value = lower(trim(canonical.crm_id_as_written))
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
    from identified
    -- a record whose only identifiers are stand-ins (noemail@..., CRM n/a) names no customer: no node
    -- (identity_node_fingerprints chose the records that carry one as written; the stand-ins are known here)
    where system_id_key is not null or crm_id is not null or email_norm is not null or phone_e164 is not null
        or name_folded is not null or linked_complaint_id is not null
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
