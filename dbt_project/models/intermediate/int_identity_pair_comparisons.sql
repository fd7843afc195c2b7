{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    post_hook="{{ delete_rows_gone(ref('int_identity_pairs_candidate'), [('profile_a', 'profile_a'), ('profile_b', 'profile_b')],
        or_where=\"comparison_version <> '\" ~ identity_comparison_version() ~ \"'\") }}"
) }}
-- One row per pair of profile contents (fingerprints, see int_identity_profiles) that some candidate
-- pair compares: the best agreement level of every feature and the values behind exact name, postcode
-- and city agreements. These depend on the two profiles only, not on u or on how common a value is
-- (int_identity_pairs_scored weighs them), so they are kept between builds.
-- Incremental: a night compares only the candidate pairs whose fingerprint pair is new (a profile that
-- gained or lost a record, a new candidate pair); comparisons no candidate pair refers to any more are
-- deleted after the insert. Sides are kept in the candidate pair's order (cluster_a first).
-- comparison_version is a digest of the comparison's SQL as rendered: a change to the comparison rules
-- (identity_comparison.sql, a threshold, a similarity function) makes every kept comparison stale, so
-- the night compares every pair again and the stale ones are deleted.
{%- set comparison_version = identity_comparison_version() %}
with

to_compare as (
    -- two clusters can hold equal profiles, so a pair of profiles can come from several candidate
    -- pairs: the first of them is compared (a comparison reads only the profiles)
    select pair_id, cluster_a, cluster_b, profile_a, profile_b
    from {{ ref('int_identity_pairs_candidate') }}
    where pair_id in (
        select min(pairs.pair_id)
        from {{ ref('int_identity_pairs_candidate') }} as pairs
        {%- if is_incremental() %}
        where not exists (
            select 1 from {{ this }} as known
            where known.profile_a = pairs.profile_a and known.profile_b = pairs.profile_b
                and known.comparison_version = '{{ comparison_version }}'
        )
        {%- endif %}
        group by pairs.profile_a, pairs.profile_b
    )
),

{{ identity_compare('to_compare', carry=['profile_a', 'profile_b']) }},

final as (
    select
        profile_a,
        profile_b,
        {%- for column in ['first_name_level', 'last_name_level', 'email_level', 'phone_level',
            'birth_date_level', 'postcode_level', 'city_level', 'crm_id_level', 'first_name_value',
            'last_name_value', 'postcode_value', 'city_value'] %}
        {{ column }},
        {%- endfor %}
        cast('{{ comparison_version }}' as {{ dbt.type_string() }}) as comparison_version,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as compared_at
    from compared
)

select * from final
