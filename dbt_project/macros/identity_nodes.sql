{#- A select of every identity node's key and fingerprint: the staged record's source_fingerprint (its
    raw rows, mapping seeds and staging code) mixed with the nickname seed and int_identity_nodes' own
    code. int_identity_nodes rebuilds the nodes whose fingerprint changed and deletes the others that
    are no longer current. Records that cannot name a customer (contacts with no customer id) are left
    out here already; the rest of the node filter is applied when a node is built. -#}
{% macro identity_node_fingerprints() -%}
    {%- set inputs = digest(seed_digest('nicknames', ['nickname', 'formal'])
        ~ " || '|" ~ code_digest(['model.' ~ project_name ~ '.int_identity_nodes']) ~ "'") -%}
    select record_key as node_id, {{ mix_digest('source_fingerprint', inputs) }} as source_fingerprint
    from {{ ref('stg_service__complaints') }}
    union all
    select record_key, {{ mix_digest('source_fingerprint', inputs) }}
    from {{ ref('stg_marketing__survey_responses') }}
    union all
    select record_key, {{ mix_digest('source_fingerprint', inputs) }}
    from {{ ref('stg_operations__contacts') }}
    where customer_id is not null or customer_crm_id is not null
{%- endmacro %}
