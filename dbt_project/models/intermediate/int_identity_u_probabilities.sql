-- One row per comparison level: how often the profiles of two different people agree at that level
-- (u), measured on pairs of deterministic clusters drawn pseudo-randomly (hash order, fixed offsets).
with

profiles as (
    select * from {{ ref('int_identity_profiles') }}
),

shuffled as (
    -- the id breaks ties in the hash (they occur: a few hundred in a million ids), so the sample is the
    -- same on every run
    select cluster_node_id, row_number() over (order by {{ hash_order('cluster_node_id') }}, cluster_node_id) as position
    from profiles
    where has_name or {{ array_length('emails') }} > 0 or {{ array_length('phones') }} > 0
),

random_pairs as (
    -- each profile against the ones 1, 7 and 31 places further in a hash order (up to 300,000 pairs:
    -- plenty for u, bounded at any scale); equi-joins, so the cost stays linear
    select
        row_number() over (order by a.position, steps.step) as pair_id,
        least(a.cluster_node_id, b.cluster_node_id) as cluster_a,
        greatest(a.cluster_node_id, b.cluster_node_id) as cluster_b
    from shuffled as a
    inner join (select 1 as step union all select 7 union all select 31) as steps on true
    inner join shuffled as b on b.position = a.position + steps.step
    where a.position <= 100000
),

{{ identity_compare('random_pairs') }},

levels as (
    select 'first_name' as feature, first_name_level as level from compared
    union all select 'last_name', last_name_level from compared
    union all select 'email', email_level from compared
    union all select 'phone', phone_level from compared
    union all select 'birth_date', birth_date_level from compared
    union all select 'postcode', postcode_level from compared
    union all select 'city', city_level from compared
    union all select 'crm_id', crm_id_level from compared
),

counted as (
    select feature, level, count(*) as pairs, sum(count(*)) over (partition by feature) as feature_pairs
    from levels
    where level <> 'null'
    group by feature, level
)

select feature, level, pairs, greatest(pairs, 0.5) / feature_pairs as u_probability
from counted
