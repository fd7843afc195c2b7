-- One row per link between two identity nodes: every deterministic link plus, for each accepted
-- probabilistic match of two deterministic clusters, a link between their first nodes.
with

deterministic as (
    select * from {{ ref('int_identity_edges_deterministic') }}
),

scored as (
    select * from {{ ref('int_identity_pairs_scored') }}
),

final as (
    select node_a, node_b, match_rule, match_probability from deterministic
    union all
    select cluster_a, cluster_b, 'probabilistic' as match_rule, match_probability from scored where is_match
)

select * from final
