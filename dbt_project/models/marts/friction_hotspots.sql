-- One row per category x team x channel of complaints: where the experience breaks, ranked.
with

ownership as (
    select * from {{ ref('complaint_ownership') }}
),

survey_responses as (
    select * from {{ ref('stg_marketing__survey_responses') }}
),

contacts as (
    select * from {{ ref('stg_operations__contacts') }}
),

complaint_scores as (
    select complaint_id, avg(score) filter (where scale = 'csat_5') as csat, bool_or(is_unhappy) as unhappy
    from survey_responses
    where complaint_id is not null
    group by complaint_id
),

team_abandonment as (
    select team,
        count(*) filter (where outcome = 'abandoned') / nullif(count(*) filter (where outcome in ('handled', 'abandoned')), 0)
            as abandonment_rate
    from contacts
    where team is not null
    group by team
),

grouped as (
    select
        coalesce(ownership.category, '(unmapped)') as category,
        coalesce(ownership.first_team, '(unmapped)') as team,
        coalesce(ownership.channel, '(unknown)') as channel,
        count(*) as complaints,
        avg((ownership.count_reopens > 0)::int) as reopen_rate,
        avg(ownership.team_handoffs) as avg_team_handoffs,
        avg(ownership.is_sla_breached::int) as sla_breach_rate,
        avg(ownership.is_unowned_too_long::int) as unowned_rate,
        avg(complaint_scores.csat) as mean_csat,
        avg(complaint_scores.unhappy::int) as unhappy_share
    from ownership
    left join complaint_scores on ownership.complaint_id = complaint_scores.complaint_id
    group by all
),

scored as (
    select
        grouped.*,
        grouped.complaints / sum(grouped.complaints) over () as complaint_share,
        team_abandonment.abandonment_rate,
        -- a 0..1 blend of what hurts customers; each part is a rate
        0.25 * grouped.reopen_rate
            + 0.20 * least(grouped.avg_team_handoffs, 1)
            + 0.25 * grouped.sla_breach_rate
            + 0.20 * coalesce(grouped.unhappy_share, 0)
            + 0.10 * coalesce(team_abandonment.abandonment_rate, 0) as friction_score
    from grouped
    left join team_abandonment on grouped.team = team_abandonment.team
),

final as (
    select
        category::varchar as category,
        team::varchar as team,
        channel::varchar as channel,
        complaints::bigint as complaints,
        complaint_share::double as complaint_share,
        reopen_rate::double as reopen_rate,
        avg_team_handoffs::double as avg_team_handoffs,
        sla_breach_rate::double as sla_breach_rate,
        unowned_rate::double as unowned_rate,
        mean_csat::double as mean_csat,
        unhappy_share::double as unhappy_share,
        abandonment_rate::double as abandonment_rate,
        friction_score::double as friction_score,
        -- rank by friction weighted by volume, so a busy broken path beats a rare one
        (row_number() over (order by friction_score * ln(1 + complaints) desc, category, team, channel))::bigint
            as friction_rank
    from scored
)

select * from final
