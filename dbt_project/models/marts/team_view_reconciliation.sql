-- One row per compared value: each KPI a dashboard showed against the same metric recomputed from the
-- unified data (management_vs_data), operations' handled calls against service's phone complaints per
-- team and day (operations_vs_service), and marketing's CSAT against service's own ticket rating per
-- team and month (marketing_vs_service, a disagreement when a two-proportion z-test gives |z| > 4).
with

dashboard_kpis as (
    select * from {{ ref('stg_management__dashboard_kpis') }}
),

metric_names as (
    select * from {{ ref('metric_names') }}
),

registry as (
    select * from {{ ref('metric_registry') }}
),

recomputed as (
    select * from {{ ref('int_kpis_recomputed') }}
),

workload as (
    select * from {{ ref('stg_operations__workload') }}
),

ownership as (
    select * from {{ ref('complaint_ownership') }}
),

complaints as (
    select * from {{ ref('stg_service__complaints') }}
),

survey_responses as (
    select * from {{ ref('stg_marketing__survey_responses') }}
),

total_labels as (
    select * from {{ ref('kpi_total_labels') }}
),

kpis_shown as (
    -- a row of all teams together: no dimension at all, or a total's label (seeds/kpi_total_labels.csv)
    select
        dashboard_kpis.*,
        -- (an empty value under a named dimension is a row without that dimension's value, not a total)
        ((dashboard_kpis.dimension_value is null or trim(dashboard_kpis.dimension_value) = '')
            and nullif(trim(dashboard_kpis.dimension_name), '') is null)
            or total_labels.label is not null as is_total
    from dashboard_kpis
    left join total_labels on lower(trim(dashboard_kpis.dimension_value)) = total_labels.label
),

shown as (
    select
        kpis_shown.dashboard,
        kpis_shown.exported_at,
        kpis_shown.metric,
        metric_names.metric_key,
        kpis_shown.dimension_name,
        kpis_shown.is_total,
        -- all teams together: compared with the metric over all records, shown under the dashboard's label
        case when not kpis_shown.is_total then coalesce(kpis_shown.team, kpis_shown.dimension_value) end as team,
        case when kpis_shown.is_total then coalesce(nullif(trim(kpis_shown.dimension_value), ''), 'all teams')
            else coalesce(kpis_shown.team, kpis_shown.dimension_value) end as dimension_value,
        kpis_shown.period_start,
        kpis_shown.period_end,
        kpis_shown.value
    from kpis_shown
    left join metric_names on lower(trim(kpis_shown.metric)) = metric_names.metric_name
),

covered as (
    -- what each dashboard reports on: a metric over a period, for some teams or for all teams together
    select distinct dashboard, exported_at, metric, metric_key, dimension_name, is_total, period_start, period_end
    from shown
    where metric_key is not null
),

expected as (
    select covered.*, recomputed.team, coalesce(recomputed.team, 'all teams') as dimension_value, recomputed.value
    from covered
    inner join recomputed
        on covered.metric_key = recomputed.metric_key
        and covered.is_total = recomputed.is_total
        and covered.period_start = recomputed.period_start
        and covered.period_end = recomputed.period_end
),

management_vs_data as (
    select
        'management_vs_data' as comparison,
        coalesce(shown.dashboard, expected.dashboard) as dashboard,
        coalesce(shown.exported_at, expected.exported_at) as exported_at,
        coalesce(shown.metric, expected.metric) as metric,
        coalesce(shown.metric_key, expected.metric_key) as metric_key,
        coalesce(shown.dimension_name, expected.dimension_name, 'team') as dimension_name,
        coalesce(shown.dimension_value, expected.dimension_value) as dimension_value,
        coalesce(shown.period_start, expected.period_start) as period_start,
        coalesce(shown.period_end, expected.period_end) as period_end,
        shown.value as value_seen,
        expected.value as value_unified,
        shown.value is not null as in_view,
        expected.value is not null as in_data,
        cast(null as double precision) as z_score
    from shown
    full outer join expected
        on shown.dashboard = expected.dashboard
        and shown.metric = expected.metric
        and shown.is_total = expected.is_total
        and (shown.team = expected.team
            or (shown.is_total and shown.exported_at = expected.exported_at
                and shown.dimension_name is not distinct from expected.dimension_name))
        and shown.period_start = expected.period_start
        and shown.period_end = expected.period_end
),

handled_by_day as (
    -- a day is the reporting date its middle falls on: a workforce tool's day exported by local date starts
    -- at local midnight (23:00 UTC the day before, for London in summer), a call log's where the reporting
    -- time zone's day starts (staging recounts it so)
    select team, {{ reporting_date(dbt.dateadd('hour', 12, 'period_start')) }} as day, sum(contacts_handled) as handled
    from workload
    -- a day of 23 or 25 hours (a local day when the clocks change) is a day too
    where team is not null and period_end >= {{ dbt.dateadd('hour', 23, 'period_start') }}
        and period_end <= {{ dbt.dateadd('hour', 25, 'period_start') }}
    group by team, {{ reporting_date(dbt.dateadd('hour', 12, 'period_start')) }}
),

workload_span as (
    select min(day) as first_day, max(day) as last_day from handled_by_day
),

phone_complaints_by_day as (
    select first_team as team, {{ reporting_date('created_at') }} as day, count(*) as phone_complaints
    from ownership
    where channel = 'phone' and first_team is not null
    group by first_team, {{ reporting_date('created_at') }}
),

operations_vs_service as (
    select
        'operations_vs_service' as comparison,
        'operations workload' as dashboard,
        cast(null as timestamp) as exported_at,
        'phone complaints <= handled calls' as metric,
        'phone_complaints_vs_handled_calls' as metric_key,
        'team' as dimension_name,
        coalesce(handled_by_day.team, phone_complaints_by_day.team) as dimension_value,
        cast(coalesce(handled_by_day.day, phone_complaints_by_day.day) as timestamp) as period_start,
        cast(coalesce(handled_by_day.day, phone_complaints_by_day.day) as timestamp) as period_end,
        cast(coalesce(handled_by_day.handled, 0) as double precision) as value_seen,
        cast(coalesce(phone_complaints_by_day.phone_complaints, 0) as double precision) as value_unified,
        true as in_view,
        true as in_data,
        cast(null as double precision) as z_score
    from handled_by_day
    full outer join phone_complaints_by_day
        on handled_by_day.team = phone_complaints_by_day.team and handled_by_day.day = phone_complaints_by_day.day
    cross join workload_span
    where coalesce(handled_by_day.day, phone_complaints_by_day.day) between workload_span.first_day and workload_span.last_day
),

csat_by_month as (
    select complaints.team, {{ reporting_month('survey_responses.submitted_at') }} as month,
        avg(cast(survey_responses.is_happy as integer)) as happy_share, count(*) as responses
    from survey_responses
    inner join (  -- an id two complaint sources both use names neither (int_kpis_recomputed's unique_complaints)
        select complaint_id, min(team) as team from complaints group by complaint_id having count(*) = 1
    ) as complaints on survey_responses.complaint_id = complaints.complaint_id
    where survey_responses.scale = 'csat_5' and complaints.team is not null
    group by complaints.team, {{ reporting_month('survey_responses.submitted_at') }}
),

rating_by_month as (
    -- a rating counts in the month of its complaint's last solve (complaint_ownership.resolved_at)
    select complaints.team, {{ reporting_month('ownership.resolved_at') }} as month,
        avg(complaints.satisfaction_score) as good_share, count(*) as ratings
    from complaints
    inner join ownership on complaints.record_key = ownership.complaint_key
    where complaints.satisfaction_score is not null and complaints.team is not null and ownership.resolved_at is not null
    group by complaints.team, {{ reporting_month('ownership.resolved_at') }}
),

marketing_vs_service as (
    select
        'marketing_vs_service' as comparison,
        'survey CSAT vs ticket rating' as dashboard,
        cast(null as timestamp) as exported_at,
        'share satisfied' as metric,
        'satisfied_share' as metric_key,
        'team' as dimension_name,
        csat_by_month.team as dimension_value,
        csat_by_month.month as period_start,
        {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'csat_by_month.month')) }} as period_end,
        round(csat_by_month.happy_share, 4) as value_seen,
        round(rating_by_month.good_share, 4) as value_unified,
        true as in_view,
        rating_by_month.good_share is not null as in_data,
        -- two-proportion z statistic: the two instruments disagree only when the gap is not sampling noise
        (csat_by_month.happy_share - rating_by_month.good_share) / nullif(sqrt(
            ((csat_by_month.happy_share * csat_by_month.responses + rating_by_month.good_share * rating_by_month.ratings)
                / (csat_by_month.responses + rating_by_month.ratings))
            * (1 - (csat_by_month.happy_share * csat_by_month.responses + rating_by_month.good_share * rating_by_month.ratings)
                / (csat_by_month.responses + rating_by_month.ratings))
            * (1.0 / csat_by_month.responses + 1.0 / rating_by_month.ratings)), 0) as z_score
    from csat_by_month
    left join rating_by_month on csat_by_month.team = rating_by_month.team and csat_by_month.month = rating_by_month.month
),

unioned as (
    select * from management_vs_data
    union all select * from operations_vs_service
    union all select * from marketing_vs_service
),

final as (
    select
        cast(unioned.comparison as varchar) as comparison,
        cast(unioned.dashboard as varchar) as dashboard,
        cast(unioned.exported_at as timestamp) as exported_at,
        cast(unioned.metric as varchar) as metric,
        cast(unioned.metric_key as varchar) as metric_key,
        cast(unioned.dimension_name as varchar) as dimension_name,
        cast(unioned.dimension_value as varchar) as dimension_value,
        cast(unioned.period_start as date) as period_start,
        cast(unioned.period_end as date) as period_end,
        cast(unioned.value_seen as double precision) as value_seen,
        cast(unioned.value_unified as double precision) as value_unified,
        cast(unioned.value_seen - unioned.value_unified as double precision) as delta,
        cast(100.0 * (unioned.value_seen - unioned.value_unified) / nullif(abs(unioned.value_unified), 0) as double precision) as delta_pct,
        cast(case
            when unioned.comparison = 'management_vs_data' and unioned.metric_key is null then 'unknown_metric'
            when not unioned.in_view then 'missing_in_dashboard'
            when not unioned.in_data then 'missing_in_data'
            when unioned.comparison = 'operations_vs_service'
                then case when unioned.value_unified <= unioned.value_seen then 'agree' else 'disagree' end
            when unioned.comparison = 'marketing_vs_service'
                then case when abs(coalesce(unioned.z_score, 0)) <= 4 then 'agree' else 'disagree' end
            when abs(unioned.value_seen - unioned.value_unified) <= coalesce(registry.tolerance_abs, 0)
                or (registry.tolerance_pct > 0
                    and abs(100.0 * (unioned.value_seen - unioned.value_unified) / nullif(abs(unioned.value_unified), 0))
                        <= registry.tolerance_pct)
                then 'agree'
            else 'disagree'
        end as varchar) as status
    from unioned
    left join registry on unioned.metric_key = registry.metric_key
)

select * from final
