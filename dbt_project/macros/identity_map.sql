{#- A select of every identity node's id and inputs_fingerprint for customer_identity_map: what the node
    is (its fingerprint), the key groups it is in (links_digest: the rule that ties it) and the customer
    it resolves to (its final cluster, and the probability of the match that merged it, which moves
    every night with u). customer_identity_map rebuilds the nodes whose fingerprint changed and deletes
    the others that are no longer current. -#}
{% macro identity_map_fingerprints() -%}
    select
        node_id,
        {{ mix_digest(mix_digest('node_fingerprint', 'links_digest'),
            hash_order("cluster_node_id || '|' || coalesce(cast(merge_probability as " ~ dbt.type_string() ~ "), '~')")) }}
            as inputs_fingerprint
    from {{ ref('int_identity_clusters') }}
{%- endmacro %}
