{#- A select of every identity node's id and inputs_fingerprint for customer_identity_map: what the node
    is (its fingerprint), the rules that link it (link_rules), the customer it resolves to (its final
    cluster) and, for a node no rule links, the probability of the match that merged its cluster (which
    moves every night with u). Only what the row shows: a node whose key groups changed but not its
    rules keeps its row. customer_identity_map rebuilds the nodes whose fingerprint changed and deletes
    the others that are no longer current. -#}
{% macro identity_map_fingerprints() -%}
    select
        node_id,
        {{ mix_digest('node_fingerprint', hash_order("cluster_node_id || '|' || cast(link_rules as " ~ dbt.type_string()
            ~ ") || '|' || coalesce(cast(case when link_rules = 0 then merge_probability end as " ~ dbt.type_string() ~ "), '~')")) }}
            as inputs_fingerprint
    from {{ ref('int_identity_clusters') }}
{%- endmacro %}
