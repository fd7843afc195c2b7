{#- Comparison of two identity profiles (int_identity_profiles + int_identity_profile_names).
    `identity_compare(pairs_relation)` expects columns pair_id (unique integer), cluster_a, cluster_b and
    returns one row per pair with the best agreement level of every feature, and the value behind exact name / postcode / city
    agreements (for the common-value adjustment), and the pair's columns named in `carry`. -#}
{% macro identity_compare(pairs, carry=[]) -%}
names_levels as (
    select
        p.pair_id,
        {{ _first_name_level('na.first_name', 'na.first_name_canon', 'nb.first_name', 'nb.first_name_canon') }} as first_direct,
        {{ _last_name_level('na.last_name', 'nb.last_name') }} as last_direct,
        {{ _first_name_level('na.first_name', 'na.first_name_canon', 'nb.last_name', 'nb.last_name_canon') }} as first_swapped,
        {{ _last_name_level('na.last_name', 'nb.first_name') }} as last_swapped,
        na.first_name as first_value, na.last_name as last_value,
        nb.first_name as b_first_value, nb.last_name as b_last_value
    from {{ pairs }} as p
    inner join {{ ref('int_identity_profile_names') }} as na on p.cluster_a = na.cluster_node_id
    inner join {{ ref('int_identity_profile_names') }} as nb on p.cluster_b = nb.cluster_node_id
),

names_compared as (
    select
        *,
        {{ _level_rank('first_direct', 'last_direct') }} as direct_rank,
        {{ _level_rank('first_swapped', 'last_swapped') }} as swapped_rank
    from names_levels
),

names_ranked as (
    -- the best reading wins; equally good readings are told apart by the names themselves, so the
    -- choice (and the common-name weight that follows from it) is the same on every run. The key also
    -- carries the reading's levels (folded names hold no '|'), so one min() per pair picks it
    select
        pair_id,
        lpad(cast(least(direct_rank, swapped_rank) as varchar), 2, '0') || '|' || coalesce(first_value, '')
            || '|' || coalesce(last_value, '') || '|' || coalesce(b_first_value, '') || '|'
            || coalesce(b_last_value, '') || '|'
            || case when direct_rank <= swapped_rank then first_direct else first_swapped end || '|'
            || case when direct_rank <= swapped_rank then last_direct else last_swapped end as reading
    from names_compared
),

names_best as (
    select
        pair_id,
        split_part(best_reading, '|', 6) as first_name_level,
        split_part(best_reading, '|', 7) as last_name_level,
        nullif(split_part(best_reading, '|', 2), '') as first_name_value,
        nullif(split_part(best_reading, '|', 3), '') as last_name_value
    from (select pair_id, min(reading) as best_reading from names_ranked group by pair_id) as best
),

email_parts as (
    -- every address of the pairs' clusters once, with the parts the comparison needs (not once per pair
    -- it occurs in)
    select distinct
        email,
        {{ email_shape('email') }} as shape,
        split_part(email, '@', 1) as local_part,
        split_part(email, '@', 2) as domain
    from {{ ref('int_identity_profiles') }} {{ unnest_join('emails', 'u', 'email') }}
    where cluster_node_id in (select cluster_a from {{ pairs }} union select cluster_b from {{ pairs }})
),

emails_best as (
    select
        p.pair_id,
        min(case
            when ea.email = eb.email then 1
            -- a typing error: one or two edits in the letters of the local part (same shape: domain, dots,
            -- underscores and digits, see email_shape), or in the domain (same local part)
            when ea.shape = eb.shape and {{ edit_distance('ea.local_part', 'eb.local_part') }} <= 2 then 2
            when ea.local_part = eb.local_part and {{ edit_distance('ea.domain', 'eb.domain') }} <= 2 then 2
            else 3 end) as email_rank
    from {{ pairs }} as p
    inner join {{ ref('int_identity_profiles') }} as a on p.cluster_a = a.cluster_node_id
    inner join {{ ref('int_identity_profiles') }} as b on p.cluster_b = b.cluster_node_id
    {{ unnest_join('a.emails', 'ua', 'email_a') }}
    {{ unnest_join('b.emails', 'ub', 'email_b') }}
    inner join email_parts as ea on ua.email_a = ea.email
    inner join email_parts as eb on ub.email_b = eb.email
    group by p.pair_id
),

dates_best as (
    select
        p.pair_id,
        min(case
            when da = db then 1
            when (extract(year from da) = extract(year from db) and extract(month from da) = extract(day from db)
                    and extract(day from da) = extract(month from db))
                or (case when extract(year from da) = extract(year from db) then 1 else 0 end
                    + case when extract(month from da) = extract(month from db) then 1 else 0 end
                    + case when extract(day from da) = extract(day from db) then 1 else 0 end) = 2 then 2
            else 3 end) as birth_date_rank
    from {{ pairs }} as p
    inner join {{ ref('int_identity_profiles') }} as a on p.cluster_a = a.cluster_node_id
    inner join {{ ref('int_identity_profiles') }} as b on p.cluster_b = b.cluster_node_id
    {{ unnest_join('a.birth_dates', 'ua', 'da') }}
    {{ unnest_join('b.birth_dates', 'ub', 'db') }}
    group by p.pair_id
),

compared as (
    select
        p.pair_id,
        p.cluster_a,
        p.cluster_b,
        {%- for column in carry %}
        p.{{ column }},
        {%- endfor %}
        coalesce(names_best.first_name_level, 'null') as first_name_level,
        coalesce(names_best.last_name_level, 'null') as last_name_level,
        case emails_best.email_rank when 1 then 'exact' when 2 then 'close' when 3 then 'different' else 'null' end
            as email_level,
        case
            when {{ array_length('a.phones') }} = 0 or {{ array_length('b.phones') }} = 0 then 'null'
            when {{ arrays_overlap('a.phones', 'b.phones') }} then 'exact'
            else 'different'
        end as phone_level,
        case dates_best.birth_date_rank when 1 then 'exact' when 2 then 'close' when 3 then 'different' else 'null' end
            as birth_date_level,
        case
            when {{ array_length('a.postcodes') }} = 0 or {{ array_length('b.postcodes') }} = 0 then 'null'
            when {{ arrays_overlap('a.postcodes', 'b.postcodes') }} then 'exact'
            when {{ arrays_overlap('a.postcode_outwards', 'b.postcode_outwards') }} then 'outward'
            else 'different'
        end as postcode_level,
        case
            when {{ array_length('a.cities') }} = 0 or {{ array_length('b.cities') }} = 0 then 'null'
            when {{ arrays_overlap('a.cities', 'b.cities') }} then 'exact'
            else 'different'
        end as city_level,
        case
            when {{ array_length('a.crm_ids') }} > 0 and {{ array_length('b.crm_ids') }} > 0 and not {{ arrays_overlap('a.crm_ids', 'b.crm_ids') }} then 'conflict'
            else 'no_conflict'
        end as crm_id_level,
        names_best.first_name_value,
        names_best.last_name_value,
        {{ arrays_common_element('a.postcodes', 'b.postcodes') }} as postcode_value,
        {{ arrays_common_element('a.cities', 'b.cities') }} as city_value
    from {{ pairs }} as p
    inner join {{ ref('int_identity_profiles') }} as a on p.cluster_a = a.cluster_node_id
    inner join {{ ref('int_identity_profiles') }} as b on p.cluster_b = b.cluster_node_id
    left join names_best on p.pair_id = names_best.pair_id
    left join emails_best on p.pair_id = emails_best.pair_id
    left join dates_best on p.pair_id = dates_best.pair_id
)
{%- endmacro %}

{% macro _first_name_level(a_first, a_canon, b_first, b_canon) -%}
    case
        when {{ a_first }} is null or {{ b_first }} is null then 'null'
        when {{ a_first }} = {{ b_first }} then 'exact'
        when {{ a_canon }} = {{ b_canon }} then 'nickname'
        when (length({{ a_first }}) = 1 or length({{ b_first }}) = 1) and left({{ a_first }}, 1) = left({{ b_first }}, 1) then 'initial'
        when {{ name_similarity(a_first, b_first) }} >= 0.88 then 'similar'
        else 'different'
    end
{%- endmacro %}

{% macro _last_name_level(a_last, b_last) -%}
    case
        when {{ a_last }} is null or {{ b_last }} is null then 'null'
        when {{ a_last }} = {{ b_last }} then 'exact'
        when {{ name_similarity(a_last, b_last) }} >= 0.92 then 'similar'
        else 'different'
    end
{%- endmacro %}

{#- lower is better: how well one reading of two names agrees (exact first and last = 0) -#}
{% macro _level_rank(first_level, last_level) -%}
    (case {{ first_level }}
        when 'exact' then 0 when 'nickname' then 1 when 'initial' then 2 when 'similar' then 3 when 'null' then 4 else 6 end
     + case {{ last_level }} when 'exact' then 0 when 'similar' then 2 when 'null' then 4 else 6 end)
{%- endmacro %}

{#- A digest of the comparison as int_identity_pair_comparisons renders it (without the database's name,
    which is the warehouse file's): kept comparisons made by other rules are stale. -#}
{% macro identity_comparison_version() -%}
    {%- set rendered = identity_compare('to_compare', carry=['profile_a', 'profile_b']) -%}
    {{ return(local_md5((rendered | replace(adapter.quote(target.database) ~ '.', ''))
        ~ code_digest(['model.' ~ project_name ~ '.int_identity_pair_comparisons']))) }}
{%- endmacro %}

{#- The columns a kept comparison stores from identity_compare's `compared`: every feature's level, the values
    behind exact agreements (with_values: what int_identity_pairs_scored weighs by how common they are),
    the comparison_version given and compared_at (the build's start). -#}
{% macro compared_columns(comparison_version, with_values) -%}
    {%- set columns = ['first_name_level', 'last_name_level', 'email_level', 'phone_level', 'birth_date_level',
        'postcode_level', 'city_level', 'crm_id_level'] -%}
    {%- if with_values -%}
        {%- do columns.extend(['first_name_value', 'last_name_value', 'postcode_value', 'city_value']) -%}
    {%- endif -%}
    {%- for column in columns %}
        {{ column }},
    {%- endfor %}
        cast('{{ comparison_version }}' as {{ dbt.type_string() }}) as comparison_version,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as compared_at
{%- endmacro %}

{#- A select of the pseudo-random pairs of deterministic clusters u is measured on (int_identity_u_probabilities):
    the first 100,000 profiles, in a hash order, of those that carry a name, an email or a phone, each
    against three partners drawn by hash: for each draw, the first profile at or after the hash of (its id,
    the draw) in that order (up to 300,000 pairs: plenty for u, bounded at any scale). A profile added or
    removed changes only the draws that land on it (about three), not every pair around it in the order,
    so a night of new files compares few of the sample's pairs again. One row per pair: pair_id,
    cluster_a < cluster_b, and profile_a / profile_b, the two clusters' profile_fingerprint (what the
    comparison reads of each). -#}
{% macro identity_u_sample_pairs() -%}
with

profiles as (
    select * from {{ ref('int_identity_profiles') }}
),

drawable as (
    select cluster_node_id, {{ hash_order('cluster_node_id') }} as position
    from profiles
    where has_name or {{ array_length('emails') }} > 0 or {{ array_length('phones') }} > 0
),

sampled as (
    -- the id breaks ties in the hash (they occur: a few hundred in a million ids), so the sample is the
    -- same on every run
    select cluster_node_id
    from drawable
    order by position, cluster_node_id
    limit 100000
),

draws as (
    select sampled.cluster_node_id, {{ hash_order("sampled.cluster_node_id || '|u' || draws.draw") }} as target
    from sampled
    cross join (select '1' as draw union all select '2' union all select '3') as draws
),

partners as (
    -- one profile per position: of two with the same hash, the lower id
    select position, min(cluster_node_id) as cluster_node_id
    from drawable
    group by position
),

random_pairs as (
    select distinct
        least(drawn.cluster_node_id, drawn.partner) as cluster_a,
        greatest(drawn.cluster_node_id, drawn.partner) as cluster_b
    from ({{ first_at_or_after('draws', 'target', 'partners', 'position', 'cluster_node_id', 'partner') }}) as drawn
    where drawn.cluster_node_id <> drawn.partner
)

select
    row_number() over () as pair_id,  -- any unique number: the comparison joins on it
    random_pairs.cluster_a,
    random_pairs.cluster_b,
    side_a.profile_fingerprint as profile_a,
    side_b.profile_fingerprint as profile_b
from random_pairs
inner join profiles as side_a on random_pairs.cluster_a = side_a.cluster_node_id
inner join profiles as side_b on random_pairs.cluster_b = side_b.cluster_node_id
{%- endmacro %}
