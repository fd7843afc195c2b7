{{ config(materialized='view') }}
-- One row per candidate pair of deterministic clusters with the best agreement level of every feature,
-- the Fellegi-Sunter match weight and the match probability. Levels from int_identity_pair_comparisons
-- (kept between builds, by the two profiles' fingerprints); m from seeds/identity_m_probabilities.csv,
-- u measured on the data; exact name, postcode and city agreements weighted by how common the value is.
-- Precision before recall: known, different first names, last names or birth dates veto a link, so do
-- two different CRM numbers (only deterministic rules may join those: that is how a CRM duplicate shows), and
-- agreeing names alone are never enough (a namesake is not the same person): some other attribute
-- (email, phone, birth date, postcode or city) must agree too.
-- A view: u moves every night, so every pair's weight does too, and its one reader
-- (int_identity_cluster_merges) keeps only the matches: scoring while reading costs ~0.6 s at SF 10,
-- writing every scored pair ~5.5 s.
-- The candidate pairs of clusters are the clusters of every compared pair of profile contents
-- (int_identity_pair_comparisons holds exactly the pairs that block together, test
-- compares_every_profile_pair, after a build of both), so a reader's filter on the levels (a veto, no
-- corroboration) applies before the pairs are spread over their clusters: the matches are scored from
-- ~15 % of the pairs.
with

comparisons as (
    select * from {{ ref('int_identity_pair_comparisons') }}
),

m_probabilities as (
    select * from {{ ref('identity_m_probabilities') }}
),

u_probabilities as (
    select * from {{ ref('int_identity_u_probabilities') }}
),

profile_names as (
    select * from {{ ref('int_identity_profile_names') }}
),

profiles as (
    select * from {{ ref('int_identity_profiles') }}
),

clusters as (
    -- its own read of the profiles: a CTE read several times is materialised, with every column
    select cluster_node_id, profile_fingerprint from {{ ref('int_identity_profiles') }}
),

value_frequencies as (
    -- share of clusters holding the value: u of an exact agreement on exactly this value
    select 'first_name' as feature, first_name as value,
        count(distinct cluster_node_id) / (select count(*) from profiles) as frequency
    from profile_names group by first_name
    union all
    select 'last_name', last_name, count(distinct cluster_node_id) / (select count(*) from profiles)
    from profile_names where last_name is not null group by last_name
    union all
    select 'postcode', postcode, count(*) / (select count(*) from profiles)
    from profiles {{ unnest_join('postcodes', 'u', 'postcode') }} group by postcode
    union all
    select 'city', city, count(*) / (select count(*) from profiles)
    from profiles {{ unnest_join('cities', 'u', 'city') }} group by city
),

prior as (
    -- a cluster has, on average, about one other cluster of the same person: 1 / clusters (conservative)
    select 1.0 / greatest(count(*), 2) as lambda from profiles
),

compared as (
    -- every pair of clusters holding a compared pair of profile contents; two clusters of equal content
    -- once (when it carries a key, it is compared with itself)
    select
        least(side_a.cluster_node_id, side_b.cluster_node_id) as cluster_a,
        greatest(side_a.cluster_node_id, side_b.cluster_node_id) as cluster_b,
        comparisons.first_name_level,
        comparisons.last_name_level,
        comparisons.email_level,
        comparisons.phone_level,
        comparisons.birth_date_level,
        comparisons.postcode_level,
        comparisons.city_level,
        comparisons.crm_id_level,
        comparisons.first_name_value,
        comparisons.last_name_value,
        comparisons.postcode_value,
        comparisons.city_value
    from comparisons
    inner join clusters as side_a on comparisons.profile_a = side_a.profile_fingerprint
    inner join clusters as side_b on comparisons.profile_b = side_b.profile_fingerprint
    where comparisons.profile_a <> comparisons.profile_b or side_a.cluster_node_id < side_b.cluster_node_id
),

level_weights as (
    -- log2(m / u) of every comparison level; exact agreements on a value use that value's frequency
    select
        m_probabilities.feature,
        m_probabilities.level,
        m_probabilities.m_probability,
        {{ log2('m_probabilities.m_probability / greatest(coalesce(u_probabilities.u_probability, 1e-6), 1e-6)') }} as weight
    from m_probabilities
    left join u_probabilities
        on m_probabilities.feature = u_probabilities.feature and m_probabilities.level = u_probabilities.level
),

{%- set features = [
    ('first_name', 'first_name_value'), ('last_name', 'last_name_value'), ('email', none), ('phone', none),
    ('birth_date', none), ('postcode', 'postcode_value'), ('city', 'city_value'), ('crm_id', none)] %}

weighted as (
    -- one pass over the compared pairs: every level's weight looked up beside the pair's own columns
    select
        compared.*,
        {%- for feature, value in features %}
        case
            when compared.{{ feature }}_level = 'null' then 0.0
            {%- if value %}
            when compared.{{ feature }}_level = 'exact' and freq_{{ feature }}.frequency is not null
                then {{ log2('w_' ~ feature ~ '.m_probability / greatest(freq_' ~ feature ~ '.frequency, 1e-6)') }}
            {%- endif %}
            else coalesce(w_{{ feature }}.weight, 0.0)
        end{% if not loop.last %} +{% endif %}
        {%- endfor %}
        as match_weight
    from compared
    {%- for feature, value in features %}
    left join level_weights as w_{{ feature }}
        on w_{{ feature }}.feature = '{{ feature }}' and w_{{ feature }}.level = compared.{{ feature }}_level
    {%- if value %}
    left join value_frequencies as freq_{{ feature }}
        on freq_{{ feature }}.feature = '{{ feature }}' and freq_{{ feature }}.value = compared.{{ value }}
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        weighted.cluster_a,
        weighted.cluster_b,
        weighted.first_name_level,
        weighted.last_name_level,
        weighted.email_level,
        weighted.phone_level,
        weighted.birth_date_level,
        weighted.postcode_level,
        weighted.city_level,
        weighted.crm_id_level,
        weighted.match_weight,
        1.0 / (1.0 + ((1.0 - prior.lambda) / prior.lambda) * power(2.0, -weighted.match_weight)) as match_probability,
        weighted.first_name_level = 'different' or weighted.last_name_level = 'different'
            or weighted.birth_date_level = 'different' or weighted.crm_id_level = 'conflict' as is_vetoed,
        weighted.email_level in ('exact', 'close') or weighted.phone_level = 'exact'
            or weighted.birth_date_level in ('exact', 'close') or weighted.postcode_level in ('exact', 'outward')
            or weighted.city_level = 'exact' as is_corroborated,
        weighted.first_name_level not in ('null', 'different') or weighted.last_name_level not in ('null', 'different')
            as is_named
    from weighted
    cross join prior
)

select
    *,
    -- two clusters join when they agree on a name and another attribute: without a name to agree on (an
    -- empty name, a name against none) a shared phone and postcode are a household's, not one person's
    not is_vetoed and is_corroborated and is_named
        and match_probability >= {{ var('identity_match_probability') }} as is_match
from final
