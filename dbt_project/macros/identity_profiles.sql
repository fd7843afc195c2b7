{#- A select of every deterministic cluster's id and inputs_fingerprint: a digest of its nodes'
    fingerprints (int_identity_nodes.source_fingerprint: which records it holds, and what they say). int_identity_profiles rebuilds the clusters whose fingerprint
    changed (a record joined, left or changed; a cluster now named by a smaller node id) and deletes the
    others that are no longer current. With `delta` (macros/deltas.sql) and its candidates staged, only
    the candidate clusters; with `named_only`, only the clusters a record names with a first name
    (int_identity_profile_names holds no rows of the others). -#}
{% macro identity_profile_fingerprints(delta=none, named_only=false) -%}
    {%- set candidates = delta_candidates(delta) %}
    select
        clusters.cluster_node_id,
        {{ fingerprint_set_digest('nodes.source_fingerprint') }} as inputs_fingerprint
    from {{ ref('int_identity_clusters_deterministic') }} as clusters
    inner join {{ ref('int_identity_nodes') }} as nodes on clusters.node_id = nodes.node_id
    {%- if candidates is not none %}
    where clusters.cluster_node_id in (select cluster_node_id from {{ candidates }})
    {%- endif %}
    group by clusters.cluster_node_id
    {%- if named_only %}
    having count(nodes.first_name) > 0
    {%- endif %}
{%- endmacro %}

{#- The delta (macros/deltas.sql) of the models kept by deterministic cluster, int_identity_profiles and
    int_identity_profile_names: both build from int_identity_clusters_deterministic's changes. -#}
{% macro identity_cluster_delta() -%}
    {{ return({'upstreams': {'int_identity_clusters_deterministic': 'identity_profile_candidates'}}) }}
{%- endmacro %}

{#- The clusters the rows of `changes` (int_identity_clusters_deterministic__changes: nodes clustered
    again, gone, new) were or are in: the only profiles whose records may have changed. -#}
{% macro identity_profile_candidates(changes) -%}
    select distinct cluster_node_id from {{ changes }} as changed
{%- endmacro %}
