{#- A select of every unified customer's key and inputs_fingerprint for customers: a digest of its records
    (which ones customer_identity_map gives it, and what each says: int_identity_nodes.source_fingerprint)
    and of its touchpoints in customer_journey (the fingerprint the journey keeps the customer's rows by:
    equal fingerprints, equal touchpoints), and of its key (rows are matched on the fingerprint alone).
    customers rebuilds the customers whose fingerprint changed and deletes the others that are no longer
    current. -#}
{% macro customer_fingerprints() -%}
    select
        records.customer_key,
        {{ mix_digest(mix_digest('records.records_digest', 'coalesce(touchpoints.fingerprint, 0)'),
            digest('records.customer_key')) }} as inputs_fingerprint
    from (
        select identity_map.customer_key, {{ fingerprint_set_digest('nodes.source_fingerprint') }} as records_digest
        from {{ ref('customer_identity_map') }} as identity_map
        inner join {{ ref('int_identity_nodes') }} as nodes on identity_map.node_id = nodes.node_id
        group by identity_map.customer_key
    ) as records
    left join (
        select customer_key, min(source_fingerprint) as fingerprint
        from {{ ref('customer_journey') }}
        group by customer_key
    ) as touchpoints
        on records.customer_key = touchpoints.customer_key
{%- endmacro %}
