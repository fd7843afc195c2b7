{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    post_hook="{{ delete_rows_gone(ref('int_identity_profiles'), [('profile_fingerprint', 'profile_fingerprint')],
        or_where=\"blocking_version <> '\" ~ identity_blocking_version() ~ \"'\") }}"
) }}
-- One row per profile content (fingerprint, see int_identity_profiles) and blocking key it carries
-- (macros/identity_blocking.sql): key_kind 'block' (two profiles sharing the key are compared) or
-- 'initial' (a profile with is_initial meets every other profile with the key), and one row 'keyed'
-- (no key) per fingerprint keyed.
-- The keys depend on the profile's content only, so they are kept between builds: a night keys only
-- the fingerprints it has not keyed (a profile that gained or lost a record, a new cluster); the keys of
-- fingerprints gone from int_identity_profiles are deleted after the insert. blocking_version is a
-- digest of the blocking rules as rendered: keys made by other rules are made again and deleted.
{%- set blocking_version = identity_blocking_version() %}
with

to_key as (
    -- one cluster per profile content: equal fingerprints carry equal keys
    select profile_fingerprint, min(cluster_node_id) as cluster_node_id
    from {{ ref('int_identity_profiles') }} as all_profiles
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as keyed
        where keyed.key_kind = 'keyed' and keyed.profile_fingerprint = all_profiles.profile_fingerprint
            and keyed.blocking_version = '{{ blocking_version }}'
    )
    {%- endif %}
    group by profile_fingerprint
),

profiles as (
    select all_profiles.*
    from {{ ref('int_identity_profiles') }} as all_profiles
    inner join to_key on all_profiles.cluster_node_id = to_key.cluster_node_id
),

profile_names as (
    select all_names.*
    from {{ ref('int_identity_profile_names') }} as all_names
    inner join to_key on all_names.cluster_node_id = to_key.cluster_node_id
),

{{ identity_block_keys() }},

final as (
    select profiles.profile_fingerprint, 'block' as key_kind, block_keys.block_key, false as is_initial
    from block_keys inner join profiles on block_keys.cluster_node_id = profiles.cluster_node_id
    union all
    select profiles.profile_fingerprint, 'initial', initial_keys.initial_key, initial_keys.is_initial
    from initial_keys inner join profiles on initial_keys.cluster_node_id = profiles.cluster_node_id
    union all
    -- one row per fingerprint keyed, keys or not: it is not keyed again, and int_identity_profile_pairs
    -- pairs only fingerprints keyed
    select profile_fingerprint, 'keyed', cast(null as {{ dbt.type_string() }}), false from to_key
)

select
    profile_fingerprint,
    cast(key_kind as {{ dbt.type_string() }}) as key_kind,
    block_key,
    is_initial,
    cast('{{ blocking_version }}' as {{ dbt.type_string() }}) as blocking_version
from final
