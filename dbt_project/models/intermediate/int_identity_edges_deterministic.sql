{%- set delta = {'upstreams': {'int_identity_nodes': 'identity_edge_candidates'},
    'seeds': {'nicknames': ['nickname', 'formal']}} -%}
{{ incremental_by_fingerprint(['match_rule', 'match_key'], 'identity_edge_fingerprints(' ~ delta ~ ')',
    changes=['match_rule', 'match_key', 'node_a', 'node_b', 'node_a_fingerprint', 'node_b_fingerprint', 'rule_bit',
        'source_fingerprint'],
    delta=delta) }}
-- One row per deterministic link between two identity nodes: same system customer id (within one
-- source), same CRM number, same normalised email, or a survey sent for a ticket (a complaint id that
-- appears in one complaint source only, so the link is unambiguous). (A shared phone with the same
-- name is left to the probabilistic stage: a father and son in one household share both.) Each group
-- of nodes sharing a key is linked as a star to its first node; a ticket's survey responses to the
-- complaint.
-- Incremental by key group: a night builds the groups a new, changed or removed node belongs to
-- (source_fingerprint, macros/identity_edges.sql) and deletes the links of groups no longer current.
-- Only the groups of the nodes int_identity_nodes changed are looked at (their keys: delta,
-- macros/deltas.sql), unless its changes do not reach back to this model's last build; the links it
-- removed and added are kept for int_identity_clusters_deterministic.
with

to_build as (
    {{ fingerprints_to_build(identity_edge_fingerprints()) }}
),

node_keys as (
    select node_keys.*, to_build.source_fingerprint as group_fingerprint
    from ({{ identity_node_keys(ref('int_identity_nodes')) }}) as node_keys
    inner join to_build on node_keys.match_rule = to_build.match_rule and node_keys.match_key = to_build.match_key
),

centers as (
    -- the node every other member links to: the first node, or the ticket's complaint
    select
        match_rule,
        match_key,
        min(case when match_rule <> 'ticket_link' or is_ticket_complaint then node_id end) as center
    from node_keys
    group by match_rule, match_key
),

final as (
    select
        node_keys.node_id as node_a,
        centers.center as node_b,
        node_keys.match_rule,
        1.0 as match_probability,
        node_keys.match_key,
        {{ link_rule_bit('node_keys.match_rule') }} as rule_bit,
        -- the two nodes' fingerprints: int_identity_clusters_deterministic tells the nodes whose groups
        -- changed by them (integers, where node ids are long text)
        node_keys.source_fingerprint as node_a_fingerprint,
        center_keys.source_fingerprint as node_b_fingerprint,
        node_keys.group_fingerprint as source_fingerprint
    from node_keys
    inner join centers on node_keys.match_rule = centers.match_rule and node_keys.match_key = centers.match_key
    inner join node_keys as center_keys
        on centers.match_rule = center_keys.match_rule and centers.match_key = center_keys.match_key
        and centers.center = center_keys.node_id
    where node_keys.node_id <> centers.center
)

select * from final
