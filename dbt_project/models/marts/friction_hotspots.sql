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

complaint_ids_named_once as (
    -- a response names a complaint by id: an id two complaint sources both use names neither (as in the
    -- journey and the KPIs), or one desk's tickets would take the other's survey scores
    select complaint_id from ownership group by complaint_id having count(*) = 1
),

complaint_scores as (
    select complaint_id, avg(case when scale = 'csat_5' then score end) as csat, {{ dbt.bool_or('is_unhappy') }} as unhappy
    from survey_responses
    where complaint_id in (select complaint_id from complaint_ids_named_once)
    group by complaint_id
),

team_abandonment as (
    select team,
        count(case when outcome = 'abandoned' then 1 end) / nullif(count(case when outcome in ('handled', 'abandoned') then 1 end), 0)
            as abandonment_rate
    from contacts
    where team is not null
    group by team
),

grouped as (
    select
        coalesce(ownership.category, '(none)') as category,
        coalesce(ownership.first_team, '(none)') as team,
        coalesce(ownership.channel, '(unknown)') as channel,
        count(*) as complaints,
        avg(cast(ownership.reopens > 0 as integer)) as reopen_rate,
        avg(ownership.team_handoffs) as avg_team_handoffs,
        avg(cast(ownership.is_sla_breached as integer)) as sla_breach_rate,
        avg(cast(ownership.is_unowned_too_long as integer)) as unowned_rate,
        avg(complaint_scores.csat) as mean_csat,
        avg(cast(complaint_scores.unhappy as integer)) as unhappy_share,
        count(complaint_scores.complaint_id) as surveyed_complaints
    from ownership
    left join complaint_scores on ownership.complaint_id = complaint_scores.complaint_id
    group by coalesce(ownership.category, '(none)'), coalesce(ownership.first_team, '(none)'),
        coalesce(ownership.channel, '(unknown)')
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
        cast(category as varchar) as category,
        cast(team as varchar) as team,
        cast(channel as varchar) as channel,
        cast(complaints as bigint) as complaints,
        cast(complaint_share as double precision) as complaint_share,
        cast(reopen_rate as double precision) as reopen_rate,
        cast(avg_team_handoffs as double precision) as avg_team_handoffs,
        cast(sla_breach_rate as double precision) as sla_breach_rate,
        cast(unowned_rate as double precision) as unowned_rate,
        cast(mean_csat as double precision) as mean_csat,
        cast(unhappy_share as double precision) as unhappy_share,
        cast(surveyed_complaints as bigint) as surveyed_complaints,
        cast(abandonment_rate as double precision) as abandonment_rate,
        cast(friction_score as double precision) as friction_score,
        -- rank by friction weighted by volume, so a busy broken path beats a rare one
        cast(row_number() over (order by friction_score * ln(1 + complaints) desc, category, team, channel) as bigint)
            as friction_rank
    from scored
)

select * from final
