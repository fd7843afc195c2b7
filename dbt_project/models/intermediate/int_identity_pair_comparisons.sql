{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "drop table if exists identity_pairs_to_compare",
        "create temporary table identity_pairs_to_compare as {{ identity_pairs_to_compare() }}",
    ],
    post_hook=[
        "drop table if exists identity_pairs_to_compare",
        "{{ delete_rows_gone('(' ~ profile_pairs_clustered() ~ ')', [('profile_a', 'profile_a'), ('profile_b', 'profile_b')],
            or_where=\"comparison_version <> '\" ~ identity_comparison_version() ~ \"'\") }}",
    ]
) }}
-- One row per pair of profile contents (fingerprints, see int_identity_profiles) that block together
-- (int_identity_profile_pairs): the best agreement level of every feature and the values behind exact
-- name, postcode and city agreements. These depend on the two profiles only, not on u or on how common
-- a value is (int_identity_pairs_scored weighs them), so they are kept between builds.
-- Incremental: a night compares only the profile pairs it has not compared (a profile that gained or
-- lost a record, a new pair); comparisons of pairs no longer in int_identity_profile_pairs are deleted
-- after the insert. A fingerprint paired with itself is compared only while two clusters hold it.
-- Each fingerprint is compared through one of its clusters (equal fingerprints compare alike), side a
-- holding profile_a.
-- comparison_version is a digest of the comparison's SQL as rendered: a change to the comparison rules
-- (identity_comparison.sql, a threshold, a similarity function) makes every kept comparison stale, so
-- the night compares every pair again and the stale ones are deleted.
{%- set comparison_version = identity_comparison_version() %}
with

to_compare as (
    -- the pairs to compare tonight (macros/identity_blocking.sql), made a table by the pre-hook: the
    -- comparison reads them four times
    select * from identity_pairs_to_compare
),

{{ identity_compare('to_compare', carry=['profile_a', 'profile_b']) }},

final as (
    select
        profile_a,
        profile_b,
        {{ compared_columns(comparison_version, with_values=true) }}
    from compared
)

select * from final
