-- One row per candidate pair of deterministic clusters with the best agreement level of every feature,
-- the Fellegi-Sunter match weight and the match probability. m from seeds/identity_m_probabilities.csv,
-- u measured on the data; exact name, postcode and city agreements weighted by how common the value is.
-- Precision before recall: known, different first names, last names or birth dates veto a link, so do
-- two different CRM numbers (only deterministic rules may join those: that is how a CRM duplicate shows), and
-- agreeing names alone are never enough (a namesake is not the same person): some other attribute
-- (email, phone, birth date, postcode or city) must agree too.
with

pairs as (
    select * from {{ ref('int_identity_pairs_candidate') }}
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
    from profiles, unnest(postcodes) as u(postcode) group by postcode
    union all
    select 'city', city, count(*) / (select count(*) from profiles)
    from profiles, unnest(cities) as u(city) group by city
),

prior as (
    -- a cluster has, on average, about one other cluster of the same person: 1 / clusters (conservative)
    select 1.0 / greatest(count(*), 2) as lambda from profiles
),

{{ identity_compare('pairs') }},

features as (
    select cluster_a, cluster_b, 'first_name' as feature, first_name_level as level, first_name_value as value from compared
    union all select cluster_a, cluster_b, 'last_name', last_name_level, last_name_value from compared
    union all select cluster_a, cluster_b, 'email', email_level, null from compared
    union all select cluster_a, cluster_b, 'phone', phone_level, null from compared
    union all select cluster_a, cluster_b, 'birth_date', birth_date_level, null from compared
    union all select cluster_a, cluster_b, 'postcode', postcode_level, postcode_value from compared
    union all select cluster_a, cluster_b, 'city', city_level, city_value from compared
    union all select cluster_a, cluster_b, 'crm_id', crm_id_level, null from compared
),

weighted as (
    select
        features.cluster_a,
        features.cluster_b,
        log2(
            m_probabilities.m_probability
            / greatest(
                case
                    when features.level = 'exact' and value_frequencies.frequency is not null then value_frequencies.frequency
                    else coalesce(u_probabilities.u_probability, 1e-6)
                end,
                1e-6
            )
        ) as weight
    from features
    inner join m_probabilities on features.feature = m_probabilities.feature and features.level = m_probabilities.level
    left join u_probabilities on features.feature = u_probabilities.feature and features.level = u_probabilities.level
    left join value_frequencies on features.feature = value_frequencies.feature and features.value = value_frequencies.value
    where features.level <> 'null'
),

totals as (
    select cluster_a, cluster_b, sum(weight) as match_weight from weighted group by cluster_a, cluster_b
),

final as (
    select
        compared.cluster_a,
        compared.cluster_b,
        compared.first_name_level,
        compared.last_name_level,
        compared.email_level,
        compared.phone_level,
        compared.birth_date_level,
        compared.postcode_level,
        compared.city_level,
        compared.crm_id_level,
        totals.match_weight,
        1.0 / (1.0 + ((1.0 - prior.lambda) / prior.lambda) * pow(2.0, -totals.match_weight)) as match_probability,
        compared.first_name_level = 'different' or compared.last_name_level = 'different'
            or compared.birth_date_level = 'different' or compared.crm_id_level = 'conflict' as is_vetoed,
        compared.email_level in ('exact', 'close') or compared.phone_level = 'exact'
            or compared.birth_date_level in ('exact', 'close') or compared.postcode_level in ('exact', 'outward')
            or compared.city_level = 'exact' as is_corroborated
    from compared
    inner join totals on compared.cluster_a = totals.cluster_a and compared.cluster_b = totals.cluster_b
    cross join prior
)

select
    *,
    not is_vetoed and is_corroborated and match_probability >= {{ var('identity_match_probability') }} as is_match
from final
