-- One row per pair of deterministic clusters worth comparing. A pair is compared only when it could
-- reach a match: a name alone never links two records (int_identity_pairs_scored asks for another
-- agreeing attribute), so names block together with a city, postcode district, birth year or the
-- shape of an email address (what a typo leaves unchanged); phones and postcodes block on their own; a birth date blocks with the last name; an initial
-- ("J. Smith") meets the full first names with that initial and last name and a corroborating attribute.
with

profiles as (
    select * from {{ ref('int_identity_profiles') }}
),

profile_names as (
    select * from {{ ref('int_identity_profile_names') }}
),

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
    -- attribute: initial + last name alone would pair every J. Smith with every James, John and Jane Smith
    select distinct cluster_node_id, is_initial, initial_key from (
        select i.cluster_node_id, i.is_initial, i.initial_name || '|c|' || city as initial_key
        from initial_names as i inner join profiles using (cluster_node_id) {{ unnest_join('profiles.cities', 'u', 'city') }}
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
),

shared_key_pairs as (
    select distinct left_side.cluster_node_id as cluster_a, right_side.cluster_node_id as cluster_b
    from block_keys as left_side
    inner join block_keys as right_side
        on left_side.block_key = right_side.block_key
        and left_side.cluster_node_id < right_side.cluster_node_id
),

initial_pairs as (
    select distinct least(initials.cluster_node_id, full_names.cluster_node_id) as cluster_a,
        greatest(initials.cluster_node_id, full_names.cluster_node_id) as cluster_b
    from initial_keys as initials
    inner join initial_keys as full_names
        on initials.initial_key = full_names.initial_key
        and initials.is_initial
        and initials.cluster_node_id <> full_names.cluster_node_id
),

all_pairs as (
    select cluster_a, cluster_b from shared_key_pairs
    union
    select cluster_a, cluster_b from initial_pairs
),

final as (
    -- pair_id: an integer key for the comparison's joins and groupings inside one build (not stable
    -- between builds: nothing keeps it); the two profiles' fingerprints key the kept comparison
    select
        row_number() over () as pair_id,
        all_pairs.cluster_a,
        all_pairs.cluster_b,
        profile_a.profile_fingerprint as profile_a,
        profile_b.profile_fingerprint as profile_b
    from all_pairs
    inner join profiles as profile_a on all_pairs.cluster_a = profile_a.cluster_node_id
    inner join profiles as profile_b on all_pairs.cluster_b = profile_b.cluster_node_id
)

select * from final
