-- One row per registry metric, team and dashboard period, and one for all teams (is_total: team is null;
-- records no team holds count there too): the value recomputed from the unified data.
-- Periods are days of the reporting time zone (CX_REPORTING_TIMEZONE, UTC by default).
-- Each metric's SQL here is the definition in seeds/metric_registry.csv.
with

complaints as (
    select * from {{ ref('stg_service__complaints') }}
),

survey_responses as (
    select * from {{ ref('stg_marketing__survey_responses') }}
),

contacts as (
    select * from {{ ref('stg_operations__contacts') }}
),

dashboard_kpis as (
    select * from {{ ref('stg_management__dashboard_kpis') }}
),

histories as (
    select * from {{ ref('int_complaint_histories') }}
),

periods as (
    -- a period's dates are days in the reporting time zone (macros/reporting_time.sql): it runs from the
    -- local midnight its first day starts at to the one after its last day, as UTC instants
    select
        period_start,
        period_end,
        {{ reporting_day_starts_at('period_start') }} as starts_at,
        {{ reporting_day_starts_at(dbt.dateadd('day', 1, 'period_end')) }} as ends_before
    from (select distinct period_start, period_end from dashboard_kpis) as shown_periods
),

unique_complaints as (
    select complaint_id, min(team) as team from complaints group by complaint_id having count(*) = 1
),

received as (
    select 'complaints_received' as metric_key, complaints.team, grouping(complaints.team) = 1 as is_total,
        periods.period_start, periods.period_end, cast(count(*) as double precision) as value
    from complaints
    inner join periods
        on complaints.created_at >= periods.starts_at and complaints.created_at < periods.ends_before
    group by grouping sets ((complaints.team, periods.period_start, periods.period_end), (periods.period_start, periods.period_end))
),

solved_complaints as (
    -- when each solved complaint was last solved, as complaint_ownership.resolved_at says
    select complaints.team, {{ complaint_last_solved_at('complaints', 'histories') }} as resolved_at
    from complaints
    left join histories on complaints.record_key = histories.complaint_key
    where complaints.is_resolved
),

resolved as (
    select 'complaints_resolved', solved_complaints.team, grouping(solved_complaints.team) = 1,
        periods.period_start, periods.period_end, cast(count(*) as double precision)
    from solved_complaints
    inner join periods
        on solved_complaints.resolved_at >= periods.starts_at and solved_complaints.resolved_at < periods.ends_before
    group by grouping sets ((solved_complaints.team, periods.period_start, periods.period_end), (periods.period_start, periods.period_end))
),

csat as (
    select 'avg_csat', unique_complaints.team, grouping(unique_complaints.team) = 1,
        periods.period_start, periods.period_end, round(avg(survey_responses.score), 2)
    from survey_responses
    inner join unique_complaints on survey_responses.complaint_id = unique_complaints.complaint_id
    inner join periods
        on survey_responses.submitted_at >= periods.starts_at and survey_responses.submitted_at < periods.ends_before
    where survey_responses.scale = 'csat_5'
    group by grouping sets ((unique_complaints.team, periods.period_start, periods.period_end), (periods.period_start, periods.period_end))
),

contact_periods as (
    select contacts.team, contacts.outcome, periods.period_start, periods.period_end
    from contacts
    inner join periods
        on contacts.started_at >= periods.starts_at and contacts.started_at < periods.ends_before
),

handled as (
    select 'contacts_handled', team, grouping(team) = 1, period_start, period_end,
        cast(count(case when outcome = 'handled' then 1 end) as double precision)
    from contact_periods
    group by grouping sets ((team, period_start, period_end), (period_start, period_end))
),

abandoned as (
    select 'abandon_rate', team, grouping(team) = 1, period_start, period_end,
        round(100.0 * count(case when outcome = 'abandoned' then 1 end)
            / nullif(count(case when outcome in ('handled', 'abandoned') then 1 end), 0), 2)
    from contact_periods
    group by grouping sets ((team, period_start, period_end), (period_start, period_end))
),

unioned as (
    select * from received
    union all select * from resolved
    union all select * from csat
    union all select * from handled
    union all select * from abandoned
),

final as (
    -- a team's value needs a team: the records no team holds count only in the total
    select * from unioned where is_total or team is not null
)

select * from final
