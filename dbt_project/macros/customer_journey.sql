{#- A select of every unified customer's key and inputs_fingerprint for customer_journey: a digest of
    everything its touchpoints are built from, read from the fingerprints upstream models already keep
    instead of building every touchpoint to digest it. Per record of the customer (customer_identity_map):
    a complaint's record and linked change history (int_complaint_histories' fingerprint digests both); a
    survey response's record and the records of the complaints it names (their team and category are on
    its touchpoint, even when the complaint belongs to another customer); a contact's record. Mixed with
    the customer's key (rows are matched on the fingerprint alone: a customer renamed is built again) and
    the team mapping (departments). A record that joins or leaves the customer changes the set.
    customer_journey rebuilds the customers whose fingerprint changed and deletes the others that are no
    longer current; customers fingerprints its rows by the journey's. -#}
{% macro journey_input_fingerprints() -%}
    {%- set records_digest = fingerprint_set_digest(mix_digest(hash_order('identity_map.node_id'), 'coalesce(records.fingerprint, 0)')) %}
    select
        identity_map.customer_key,
        {{ mix_digest(mix_digest(records_digest, digest('identity_map.customer_key')),
            digest(seed_digest('team_mapping', ['team', 'department']))) }} as inputs_fingerprint
    from {{ ref('customer_identity_map') }} as identity_map
    left join (
        select complaint_key as node_id, source_fingerprint as fingerprint from {{ ref('int_complaint_histories') }}
        union all
        select responses.record_key, {{ mix_digest('responses.source_fingerprint', 'coalesce(named.fingerprint, 0)') }}
        from {{ ref('stg_marketing__survey_responses') }} as responses
        left join (
            select complaint_id, {{ fingerprint_set_digest('source_fingerprint') }} as fingerprint
            from {{ ref('stg_service__complaints') }}
            group by complaint_id
        ) as named on responses.complaint_id = named.complaint_id
        union all
        select record_key, source_fingerprint from {{ ref('stg_operations__contacts') }}
    ) as records on identity_map.node_id = records.node_id
    group by identity_map.customer_key
{%- endmacro %}

