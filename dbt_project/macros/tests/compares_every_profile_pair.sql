{#- Generic test on int_identity_pair_comparisons: it holds exactly the profile pairs that clusters make
    (int_identity_profile_pairs that block together; a fingerprint with itself while two clusters hold
    it). With unique (profile_a, profile_b): every candidate pair of clusters is compared once. -#}
{% test compares_every_profile_pair(model) %}
with

needed as (
    {{ profile_pairs_clustered() }}
),

compared as (
    select profile_a, profile_b from {{ model }}
)

-- one full join finds both (two set differences built a hash table of each side twice: SF 10's 3.2 M
-- pairs 0.65 -> 0.27 s); the fingerprints are never null
select coalesce(needed.profile_a, compared.profile_a) as profile_a,
    coalesce(needed.profile_b, compared.profile_b) as profile_b,
    case when compared.profile_a is null then 'not compared' else 'compared, not a pair' end as problem
from needed
full outer join compared
    on needed.profile_a = compared.profile_a and needed.profile_b = compared.profile_b
where needed.profile_a is null or compared.profile_a is null
{% endtest %}
