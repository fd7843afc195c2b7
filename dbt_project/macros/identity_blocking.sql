{#- Blocking of identity profiles: the keys two deterministic clusters must share to be compared.
    `identity_block_keys()` expects CTEs `profiles` (int_identity_profiles' columns) and `profile_names`
    (int_identity_profile_names' columns) and adds CTEs `block_keys` (cluster_node_id, block_key: two
    clusters sharing one are a candidate pair) and `initial_keys` (cluster_node_id, is_initial,
    initial_key: a cluster with is_initial meets every other cluster with that key).
    A name alone never links two records (int_identity_pairs_scored asks for another agreeing
    attribute), so names block together with a city, postcode district, birth year or the shape of an
    email address (what a typo leaves unchanged); phones and postcodes block on their own; a birth date
    blocks with the last name; an initial ("J. Smith") meets the full first names with that initial and
    last name and a corroborating attribute.
    The keys depend only on what int_identity_profiles.profile_fingerprint digests, so they are kept by
    fingerprint (int_identity_block_keys). -#}
{% macro identity_block_keys() -%}
names as (
    -- the name in either order, nicknames resolved: "Bob Smith" and "Smith, Robert" share a key
    select distinct
        cluster_node_id,
        least(first_name_canon, coalesce(last_name_canon, '')) || '|'
            || greatest(first_name_canon, coalesce(last_name_canon, '')) as name_key,
        last_name
    from profile_names
    where length(first_name) > 1 and last_name is not null
),

block_keys as (
    select distinct cluster_node_id, block_key from (
        select names.cluster_node_id, 'name+city:' || names.name_key || '|' || city as block_key
        from names inner join profiles using (cluster_node_id) {{ unnest_join('profiles.cities', 'u', 'city') }}
        union all
        select names.cluster_node_id, 'name+district:' || names.name_key || '|' || district
        from names inner join profiles using (cluster_node_id) {{ unnest_join('profiles.postcode_outwards', 'u', 'district') }}
        union all
        select names.cluster_node_id, 'name+born:' || names.name_key || '|' || cast(extract(year from born) as varchar)
        from names inner join profiles using (cluster_node_id) {{ unnest_join('profiles.birth_dates', 'u', 'born') }}
        union all
        -- an address with a typo keeps its domain and its dots, underscores and digits
        select names.cluster_node_id, 'name+email shape:' || names.name_key || '|' || {{ email_shape('email') }}
        from names inner join profiles using (cluster_node_id) {{ unnest_join('profiles.emails', 'u', 'email') }}
        union all
        -- a typo in the domain keeps the local part
        select names.cluster_node_id, 'name+email local:' || names.name_key || '|' || split_part(email, '@', 1)
        from names inner join profiles using (cluster_node_id) {{ unnest_join('profiles.emails', 'u', 'email') }}
        union all
        select names.cluster_node_id, 'born+last:' || cast(born as varchar) || '|' || names.last_name
        from names inner join profiles using (cluster_node_id) {{ unnest_join('profiles.birth_dates', 'u', 'born') }}
        union all
        select cluster_node_id, 'phone:' || phone from profiles {{ unnest_join('phones', 'u', 'phone') }}
        union all
        select cluster_node_id, 'postcode:' || postcode from profiles {{ unnest_join('postcodes', 'u', 'postcode') }}
    )
),

initial_names as (
    select distinct cluster_node_id, left(first_name, 1) || '|' || last_name as initial_name,
        length(first_name) = 1 as is_initial
    from profile_names where last_name is not null
),

initial_keys as (
    -- "J. Smith" meets the full first names with that initial and last name, again with a corroborating
    -- attribute: initial + last name alone would pair every J. Smith with every James, John and Jane Smith.
    -- A city is the coarse form of a postcode district, so it corroborates only where one side has no
    -- postcode (where both have one, the district meets them): key '|c|' pairs an initial with the
    -- initials and the full names without a postcode, '|c0|' an initial without a postcode with the full
    -- names. In every city a J. Smith would otherwise meet every John and Jane Smith (SF 10: the
    -- key made 1.5 M of 3.8 M candidate pairs, 1.1 M of them made by no other key, and found 10 of 74,000
    -- matches alone; the rule removes 0.6 M pairs)
    select distinct cluster_node_id, is_initial, initial_key from (
        select i.cluster_node_id, i.is_initial, i.initial_name || city_keys.kind || city as initial_key
        from initial_names as i inner join profiles using (cluster_node_id) {{ unnest_join('profiles.cities', 'u', 'city') }}
        -- (an equi-join on which side the profile is: the same rule as an `or` of the cases, which made a
        -- nested-loop join over every initial name and city, ~2.5 s of SF 10's full night)
        inner join (
            select 'no postcode' as side, '|c|' as kind union all select 'no postcode', '|c0|'
            union all select 'initial', '|c|' union all select 'full name', '|c0|'
        ) as city_keys
            on city_keys.side = case when {{ array_length('profiles.postcode_outwards') }} = 0 then 'no postcode'
                when i.is_initial then 'initial' else 'full name' end
        union all
        select i.cluster_node_id, i.is_initial, i.initial_name || '|d|' || district
        from initial_names as i inner join profiles using (cluster_node_id)
            {{ unnest_join('profiles.postcode_outwards', 'u', 'district') }}
        union all
        select i.cluster_node_id, i.is_initial, i.initial_name || '|b|' || cast(extract(year from born) as varchar)
        from initial_names as i inner join profiles using (cluster_node_id) {{ unnest_join('profiles.birth_dates', 'u', 'born') }}
        union all
        select i.cluster_node_id, i.is_initial, i.initial_name || '|e|' || {{ email_shape('email') }}
        from initial_names as i inner join profiles using (cluster_node_id) {{ unnest_join('profiles.emails', 'u', 'email') }}
    )
)
{%- endmacro %}

{#- Digest of the blocking rules (the keys as rendered, the code of both kept models and their macros):
    kept keys and profile pairs made by other rules are made again. -#}
{% macro identity_blocking_version() -%}
    {{ return(local_md5(identity_block_keys() ~ code_digest(['model.' ~ project_name ~ '.int_identity_block_keys',
        'model.' ~ project_name ~ '.int_identity_profile_pairs']))) }}
{%- endmacro %}

{#- The profile pairs that clusters make (a subquery): the pairs that block together, a fingerprint with
    itself only while two clusters hold it. int_identity_pair_comparisons holds one comparison for each. -#}
{% macro profile_pairs_clustered() -%}
    select profile_a, profile_b
    from {{ ref('int_identity_profile_pairs') }}
    where blocks_together and (profile_a <> profile_b or profile_a in (
        select profile_fingerprint from {{ ref('int_identity_profiles') }}
        group by profile_fingerprint having count(*) > 1
    ))
{%- endmacro %}

{#- The profile pairs int_identity_pair_comparisons compares tonight (called in its context: `this` is
    the comparisons table): the pairs clusters make, not yet compared by the current rules; each
    fingerprint through one of its clusters, with pair_id for the comparison's joins. -#}
{% macro identity_pairs_to_compare() -%}
with

pending as (
    select pairs.profile_a, pairs.profile_b
    from ({{ profile_pairs_clustered() }}) as pairs
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as known
        where known.profile_a = pairs.profile_a and known.profile_b = pairs.profile_b
            and known.comparison_version = '{{ identity_comparison_version() }}'
    )
    {%- endif %}
),

clusters_of as (
    select profile_fingerprint, min(cluster_node_id) as cluster_node_id
    from {{ ref('int_identity_profiles') }}
    group by profile_fingerprint
)

select
    row_number() over () as pair_id,
    side_a.cluster_node_id as cluster_a,
    side_b.cluster_node_id as cluster_b,
    pending.profile_a,
    pending.profile_b
from pending
inner join clusters_of as side_a on pending.profile_a = side_a.profile_fingerprint
inner join clusters_of as side_b on pending.profile_b = side_b.profile_fingerprint
{%- endmacro %}
