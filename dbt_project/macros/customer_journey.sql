{#- A select of every customer's touchpoint count and an order-independent digest of its touchpoints in
    `relation` (customer_journey's rows, or the ones it is about to write): equal digests, equal
    journeys (seq and the gaps follow from the touchpoints). customer_journey rewrites the customers whose
    digest changed; customers fingerprints its rows by the same digest. -#}
{% macro journey_touchpoint_digests(relation) -%}
    {%- set touchpoint_columns = ['event_at', 'event_type', 'team', 'department', 'channel', 'category', 'source',
        'source_record_id', 'complaint_id', 'score', 'scale', 'owner'] %}
    select customer_key, count(*) as touchpoints, {{ set_fingerprint(touchpoint_columns) }} as fingerprint
    from {{ relation }}
    group by customer_key
{%- endmacro %}
