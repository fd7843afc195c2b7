{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "drop table if exists identity_u_sample",
        "create temporary table identity_u_sample as {{ identity_u_sample_pairs() }}",
    ],
    post_hook=[
        "{{ delete_rows_gone('identity_u_sample', [('cluster_a', 'cluster_a'), ('cluster_b', 'cluster_b'),
            ('profile_a', 'profile_a'), ('profile_b', 'profile_b')],
            or_where=\"comparison_version <> '\" ~ identity_comparison_version() ~ \"'\") }}",
        "drop table if exists identity_u_sample",
    ]
) }}
-- One row per pair of deterministic clusters in the sample u is measured on (identity_u_sample_pairs,
-- macros/identity_comparison.sql): the agreement level of every feature, as int_identity_pair_comparisons
-- compares a candidate pair. int_identity_u_probabilities counts them.
-- Incremental: a level depends on the two profiles only (profile_a, profile_b: their fingerprints), so a
-- night compares only the sample's pairs it does not hold with these two fingerprints (a profile that
-- gained or lost a record, a draw that lands on a new profile: 6 % of the sample on a night of new files
-- at SF 10) and deletes, after the insert, the pairs that left the sample.
-- comparison_version as in int_identity_pair_comparisons: other comparison rules compare every pair again.
{%- set comparison_version = identity_comparison_version() %}
with

to_compare as (
    -- the sample drawn by the pre-hook (read again by the post-hook); the comparison reads it four times
    select sample.*
    from identity_u_sample as sample
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as known
        where known.cluster_a = sample.cluster_a and known.cluster_b = sample.cluster_b
            and known.profile_a = sample.profile_a and known.profile_b = sample.profile_b
            and known.comparison_version = '{{ comparison_version }}'
    )
    {%- endif %}
),

{{ identity_compare('to_compare', carry=['cluster_a', 'cluster_b', 'profile_a', 'profile_b']) }},

final as (
    select
        cluster_a,
        cluster_b,
        profile_a,
        profile_b,
        {{ compared_columns(comparison_version, with_values=false) }}
    from compared
)

select * from final
