{{ config(materialized='view') }}
-- One row per pair of deterministic clusters worth comparing: the clusters of every pair of profile
-- contents that share a blocking key (int_identity_profile_pairs; the rules are in
-- macros/identity_blocking.sql), and clusters of equal content that carry a key. profile_a and
-- profile_b are the pair's fingerprints as int_identity_profile_pairs orders them (the key of their
-- comparison), not necessarily cluster_a's first. A view: int_identity_pairs_scored reads it once.
with

profiles as (
    select cluster_node_id, profile_fingerprint from {{ ref('int_identity_profiles') }}
),

profile_pairs as (
    select profile_a, profile_b from {{ ref('int_identity_profile_pairs') }} where blocks_together
),

final as (
    select
        least(side_a.cluster_node_id, side_b.cluster_node_id) as cluster_a,
        greatest(side_a.cluster_node_id, side_b.cluster_node_id) as cluster_b,
        profile_pairs.profile_a,
        profile_pairs.profile_b
    from profile_pairs
    inner join profiles as side_a on profile_pairs.profile_a = side_a.profile_fingerprint
    inner join profiles as side_b on profile_pairs.profile_b = side_b.profile_fingerprint
    where profile_pairs.profile_a <> profile_pairs.profile_b or side_a.cluster_node_id < side_b.cluster_node_id
)

select * from final
