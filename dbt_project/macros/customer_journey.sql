{#- A select of every unified customer's key and inputs_fingerprint for customer_journey: a digest of
    everything its touchpoints are built from, read from the fingerprints upstream models already keep
    instead of building every touchpoint to digest it. Per record of the customer (customer_identity_map):
    a complaint's record and linked change history (int_complaint_histories' fingerprint digests both); a
    survey response's record and the records of the complaints it names (their team and category are on
    its touchpoint, even when the complaint belongs to another customer); a contact's record. Mixed with
    the customer's key (rows are matched on the fingerprint alone: a customer renamed is built again) and
    the team mapping (departments). A record that joins or leaves the customer changes the set.
    customer_journey rebuilds the customers whose fingerprint changed and deletes the others that are no
    longer current; customers fingerprints its rows by the journey's. With `delta` (customer_journey_delta)
    and its candidates staged, only the candidate customers. -#}
{% macro journey_input_fingerprints(delta=none) -%}
    {%- set candidates = delta_candidates(delta) -%}
    {%- set records_digest = fingerprint_set_digest(mix_digest(hash_order('identity_map.node_id'), 'coalesce(records.fingerprint, 0)')) -%}
    {%- if candidates is none -%}
        {%- set identity_map = ref('customer_identity_map') -%}
    {%- else -%}
        {%- set identity_map = "(select * from " ~ ref('customer_identity_map') ~ " where customer_key in (select customer_key from " ~ candidates ~ "))" -%}
    {%- endif %}
    select
        identity_map.customer_key,
        {{ mix_digest(mix_digest(records_digest, digest('identity_map.customer_key')),
            digest(seed_digest('team_mapping', ['team', 'department']))) }} as inputs_fingerprint
    from {{ identity_map }} as identity_map
    left join (
        select complaint_key as node_id, source_fingerprint as fingerprint from {{ ref('int_complaint_histories') }}
        {{- records_among('complaint_key', identity_map, candidates) }}
        union all
        select responses.record_key, {{ mix_digest('responses.source_fingerprint', 'coalesce(named.fingerprint, 0)') }}
        from {{ ref('stg_marketing__survey_responses') }} as responses
        left join (
            select complaint_id, {{ fingerprint_set_digest('source_fingerprint') }} as fingerprint
            from {{ ref('stg_service__complaints') }}
            group by complaint_id
        ) as named on responses.complaint_id = named.complaint_id
        {{- records_among('responses.record_key', identity_map, candidates) }}
        union all
        select record_key, source_fingerprint from {{ ref('stg_operations__contacts') }}
        {{- records_among('record_key', identity_map, candidates) }}
    ) as records on identity_map.node_id = records.node_id
    group by identity_map.customer_key
{%- endmacro %}

{#- With candidates staged (journey_input_fingerprints), a where clause that keeps the records (`column`)
    of the identity map's candidate customers; nothing without. -#}
{% macro records_among(column, identity_map, candidates) -%}
    {%- if candidates is not none %}
        where {{ column }} in (select node_id from {{ identity_map }} as candidate_records)
    {%- endif -%}
{%- endmacro %}

{#- The delta (macros/deltas.sql) of customer_journey: a customer's touchpoints change when a record joins
    or leaves it (customer_identity_map), when one of its records changes (a complaint with its change
    history, a survey response, a contact), or when a complaint a response of it names changes. -#}
{% macro customer_journey_delta() -%}
    {{ return({
        'upstreams': {
            'customer_identity_map': 'customers_regrouped',
            'int_complaint_histories': 'customers_of_changed_complaint_histories',
            'stg_service__complaints': 'customers_of_changed_complaints',
            'stg_marketing__survey_responses': 'customers_of_changed_records',
            'stg_operations__contacts': 'customers_of_changed_records',
        },
        'seeds': {'team_mapping': ['team', 'department']},
    }) }}
{%- endmacro %}

{#- The customers a record joined or left in `changes` (customer_identity_map__changes): a node whose row
    was only built again for its match probability, in the same customer, names none. -#}
{% macro customers_regrouped(changes) -%}
    select distinct customer_key from (
        select node_id, customer_key from {{ changes }} as changed
        group by node_id, customer_key
        having count(distinct is_current) = 1
    ) as regrouped
{%- endmacro %}

{#- The customers (customer_identity_map) of the identity nodes in `nodes_sql`, a select of node ids. -#}
{% macro customers_of_nodes(nodes_sql) -%}
    select distinct identity_map.customer_key
    from {{ ref('customer_identity_map') }} as identity_map
    where identity_map.node_id in ({{ nodes_sql }})
{%- endmacro %}

{#- The customers of the complaints whose history `changes` (int_complaint_histories__changes) names. -#}
{% macro customers_of_changed_complaint_histories(changes) -%}
    {{ customers_of_nodes("select complaint_key from " ~ changes ~ " as changed") }}
{%- endmacro %}

{#- The customers of the records `changes` (a staged model's __changes) names. -#}
{% macro customers_of_changed_records(changes) -%}
    {{ customers_of_nodes("select record_key from " ~ changes ~ " as changed") }}
{%- endmacro %}

{#- The customers of the complaints `changes` (stg_service__complaints__changes) names, and of the survey
    responses that name a complaint with their ids (their touchpoints carry its team and category). -#}
{% macro customers_of_changed_complaints(changes) -%}
    {{ customers_of_nodes("select record_key from " ~ changes ~ " as changed union all select responses.record_key from "
        ~ ref('stg_marketing__survey_responses') ~ " as responses where responses.complaint_id in (select complaint_id from "
        ~ changes ~ " as changed)") }}
{%- endmacro %}

