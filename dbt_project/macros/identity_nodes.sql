{#- A select of every identity node's key and inputs_fingerprint: the staged record's source_fingerprint
    (its raw rows, mapping seeds and staging code) mixed with the nickname and placeholder seeds. int_identity_nodes rebuilds the nodes whose fingerprint changed and deletes the others that
    are no longer current. Only records that carry an identifier are nodes: the filter is here, so a
    record without one is not built again every night. (One whose identifiers are all stand-ins, such as
    noemail@..., passes it; int_identity_nodes drops it, so only such records are looked at again each night.) -#}
{% macro identity_node_fingerprints() -%}
    {%- set inputs = digest(seed_digest('nicknames', ['nickname', 'formal']) ~ " || '|' || "
        ~ seed_digest('identity_placeholders', ['identifier', 'value'])) -%}
    {%- set system_ids = "customer_id is not null or nullif(trim(customer_crm_id), '') is not null" %}
    {%- set identifiers = system_ids ~ " or email_norm is not null or phone_e164 is not null or name_folded is not null" %}
    select record_key as node_id, {{ mix_digest('source_fingerprint', inputs) }} as inputs_fingerprint
    from {{ ref('stg_service__complaints') }}
    where {{ identifiers }}
    union all
    select record_key, {{ mix_digest('source_fingerprint', inputs) }}
    from {{ ref('stg_marketing__survey_responses') }}
    where {{ identifiers }} or complaint_id is not null
    union all
    select record_key, {{ mix_digest('source_fingerprint', inputs) }}
    from {{ ref('stg_operations__contacts') }}
    where {{ system_ids }}
{%- endmacro %}

{#- Titles a name may start with ("Mr John Smith", "Dr. Priya Patel"): no first name. A regular expression
    group of folded words. -#}
{% macro name_titles() -%}
    {{ return('(mr|mrs|ms|miss|mx|dr|prof|sir|dame|rev|herr|frau|mme|mlle|sr|sra|srta)') }}
{%- endmacro %}

{#- The columns of int_identity_nodes__changes: the node and the keys identity_node_keys reads, so the key
    groups a node left or joined are found (macros/deltas.sql). -#}
{% macro identity_node_change_columns() -%}
    {{ return(['node_id', 'source_fingerprint', 'system_id_key', 'crm_id', 'email_norm', 'record_kind', 'record_id',
        'linked_complaint_id']) }}
{%- endmacro %}
