-- One row per comparison level: how often the profiles of two different people agree at that level
-- (u), measured on pairs of deterministic clusters drawn pseudo-randomly (identity_u_sample_pairs: the
-- first profiles in a hash order, partners drawn by hash) and compared in int_identity_u_sample_comparisons.
with

compared as (
    select * from {{ ref('int_identity_u_sample_comparisons') }}
),

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
