{#- A select of every unified customer's key and inputs_fingerprint for customers: a digest of its records
    (which ones customer_identity_map gives it, and what each says: int_identity_nodes.source_fingerprint)
    and of its touchpoints in customer_journey (the fingerprint the journey keeps the customer's rows by:
    equal fingerprints, equal touchpoints), and of its key (rows are matched on the fingerprint alone).
    customers rebuilds the customers whose fingerprint changed and deletes the others that are no longer
    current. With `delta` (customers_delta) and its candidates staged, only the candidate customers. -#}
{% macro customer_fingerprints(delta=none) -%}
    {%- set candidates = delta_candidates(delta) -%}
    {%- set among_candidates -%}
        {%- if candidates is not none %}
        where customer_key in (select customer_key from {{ candidates }})
        {%- endif -%}
    {%- endset %}
    select
        records.customer_key,
        {{ mix_digest(mix_digest('records.records_digest', 'coalesce(touchpoints.fingerprint, 0)'),
            digest('records.customer_key')) }} as inputs_fingerprint
    from (
        select identity_map.customer_key, {{ fingerprint_set_digest('nodes.source_fingerprint') }} as records_digest
        from (select * from {{ ref('customer_identity_map') }}{{ among_candidates }}) as identity_map
        inner join {{ ref('int_identity_nodes') }} as nodes on identity_map.node_id = nodes.node_id
        group by identity_map.customer_key
    ) as records
    left join (
        select customer_key, min(source_fingerprint) as fingerprint
        from {{ ref('customer_journey') }}
        {{- among_candidates }}
        group by customer_key
    ) as touchpoints
        on records.customer_key = touchpoints.customer_key
{%- endmacro %}

{#- The delta (macros/deltas.sql) of customers: a customer's row changes when a record joins or leaves it
    (customer_identity_map), when one of its records changes (int_identity_nodes: what the record says), or
    when its touchpoints do (customer_journey). -#}
{% macro customers_delta() -%}
    {{ return({
        'upstreams': {
            'customer_identity_map': 'customers_regrouped',
            'int_identity_nodes': 'customers_of_changed_nodes',
            'customer_journey': 'customers_changed',
        },
    }) }}
{%- endmacro %}

{#- The customers of the identity nodes `changes` (int_identity_nodes__changes) names. -#}
{% macro customers_of_changed_nodes(changes) -%}
    {{ customers_of_nodes("select node_id from " ~ changes ~ " as changed") }}
{%- endmacro %}

{#- The customers whose rows `changes` (customer_journey__changes) names. -#}
{% macro customers_changed(changes) -%}
    select distinct customer_key from {{ changes }} as changed
{%- endmacro %}
