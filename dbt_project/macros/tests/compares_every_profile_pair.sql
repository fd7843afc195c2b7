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

select profile_a, profile_b, 'not compared' as problem
from (select * from needed except select * from compared) as missing
union all
select profile_a, profile_b, 'compared, not a pair'
from (select * from compared except select * from needed) as extra
{% endtest %}
