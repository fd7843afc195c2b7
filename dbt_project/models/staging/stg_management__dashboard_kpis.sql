-- One row per KPI value a dashboard showed (latest export of each dashboard, metric, period, dimension).
with

source as (
    select * from {{ source('raw', 'dashboard_kpis') }}
),

team_map as (
    select * from {{ ref('team_mapping') }}
),

latest as (
    select
        *,
        row_number() over (
            partition by dashboard, metric, period_start, period_end, dimension_name, dimension_value
            order by exported_at desc, {{ newer_export_first() }}
        ) as version_rank
    from source
),

final as (
    select
        latest._source as source,
        latest.dashboard,
        latest.exported_at,
        latest.period_start,
        latest.period_end,
        latest.metric,
        lower(trim(latest.dimension_name)) as dimension_name,
        latest.dimension_value,
        case when lower(trim(latest.dimension_name)) = 'team'
            then coalesce(team_map.team, latest.dimension_value) end as team,
        latest.value,
        latest.unit,
        latest._file as source_file
    from latest
    left join team_map on lower(trim(latest.dimension_value)) = team_map.source_value
    where latest.version_rank = 1
)

select * from final
