{#- A select of every deterministic cluster's id and inputs_fingerprint: a digest of its nodes'
    fingerprints (int_identity_nodes.source_fingerprint: which records it holds, and what they say). int_identity_profiles rebuilds the clusters whose fingerprint
    changed (a record joined, left or changed; a cluster now named by a smaller node id) and deletes the
    others that are no longer current. -#}
{% macro identity_profile_fingerprints() -%}
    select
        clusters.cluster_node_id,
        {{ fingerprint_set_digest('nodes.source_fingerprint') }} as inputs_fingerprint
    from {{ ref('int_identity_clusters_deterministic') }} as clusters
    inner join {{ ref('int_identity_nodes') }} as nodes on clusters.node_id = nodes.node_id
    group by clusters.cluster_node_id
{%- endmacro %}
