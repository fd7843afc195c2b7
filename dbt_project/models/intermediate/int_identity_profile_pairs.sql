{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    post_hook=[
        "{{ delete_rows_gone(ref('int_identity_profiles'), [('profile_a', 'profile_fingerprint')],
            or_where=\"blocking_version <> '\" ~ identity_blocking_version() ~ \"'\") }}",
        "{{ delete_rows_gone(ref('int_identity_profiles'), [('profile_b', 'profile_fingerprint')]) }}",
    ]
) }}
-- One row per pair of profile contents (fingerprints, profile_a <= profile_b) that share a blocking key
-- (int_identity_block_keys), plus one row (profile_a = profile_b) per fingerprint blocked: its
-- blocks_together says whether two clusters with that same content meet (they do when it carries a
-- key). int_identity_pair_comparisons compares them; int_identity_pairs_scored spreads them over clusters.
-- Kept between builds: a night pairs only the fingerprints without their own row yet, against every
-- fingerprint's keys; pairs with a side gone from int_identity_profiles are deleted after the insert.
{%- set blocking_version = identity_blocking_version() %}
with

block_keys as (
    select * from {{ ref('int_identity_block_keys') }}
),

to_pair as (
    -- fingerprints keyed by the current rules (int_identity_block_keys) and not paired yet
    select distinct block_keys.profile_fingerprint
    from block_keys
    where block_keys.key_kind = 'keyed' and block_keys.blocking_version = '{{ blocking_version }}'
    {%- if is_incremental() %}
        and not exists (
            select 1 from {{ this }} as paired
            where paired.profile_a = block_keys.profile_fingerprint
                and paired.profile_b = block_keys.profile_fingerprint
                and paired.blocking_version = '{{ blocking_version }}'
        )
    {%- endif %}
),

new_keys as (
    select block_keys.*
    from block_keys
    inner join to_pair on block_keys.profile_fingerprint = to_pair.profile_fingerprint
),

sharing as (
    -- each new fingerprint against every fingerprint's keys; on a first build every fingerprint is new,
    -- so each pair is found from its lower side only
    select distinct
        least(new_keys.profile_fingerprint, other.profile_fingerprint) as profile_a,
        greatest(new_keys.profile_fingerprint, other.profile_fingerprint) as profile_b
    from new_keys
    inner join block_keys as other
        on new_keys.block_key = other.block_key
        and new_keys.key_kind = other.key_kind
        and (new_keys.key_kind = 'block' or new_keys.is_initial or other.is_initial)
        {%- if is_incremental() %}
        and new_keys.profile_fingerprint <> other.profile_fingerprint
        {%- else %}
        and new_keys.profile_fingerprint < other.profile_fingerprint
        {%- endif %}
),

selves as (
    -- two clusters with equal content share all their keys: they meet when there is a key to share
    select
        to_pair.profile_fingerprint as profile_a,
        to_pair.profile_fingerprint as profile_b,
        coalesce({{ dbt.bool_or("new_keys.key_kind = 'block' or new_keys.is_initial") }}, false) as blocks_together
    from to_pair
    left join new_keys on to_pair.profile_fingerprint = new_keys.profile_fingerprint
    group by to_pair.profile_fingerprint
),

final as (
    select profile_a, profile_b, true as blocks_together from sharing
    union all
    select profile_a, profile_b, blocks_together from selves
)

select
    profile_a,
    profile_b,
    blocks_together,
    cast('{{ blocking_version }}' as {{ dbt.type_string() }}) as blocking_version
from final
