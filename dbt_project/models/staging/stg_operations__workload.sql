-- One row per team (or queue) and period of contact-centre workload, team mapped.
with

source as (
    select * from {{ source('raw', 'workload') }}
),

team_map as (
    select * from {{ ref('team_mapping') }}
),

renamed as (
    select
        _source as source,
        period_start,
        period_end,
        coalesce(team, queue) as team_raw,
        queue,
        lower(trim(channel)) as channel,
        contacts_offered,
        contacts_handled,
        contacts_abandoned,
        backlog,
        avg_wait_seconds,
        avg_handle_seconds,
        agents_staffed,
        _file as source_file
    from source
),

final as (
    select
        renamed.source,
        renamed.period_start,
        renamed.period_end,
        renamed.team_raw,
        team_map.team,
        team_map.department,
        renamed.team_raw is null or team_map.source_value is not null as is_team_mapped,
        renamed.queue,
        renamed.channel,
        renamed.contacts_offered,
        renamed.contacts_handled,
        renamed.contacts_abandoned,
        renamed.backlog,
        renamed.avg_wait_seconds,
        renamed.avg_handle_seconds,
        renamed.agents_staffed,
        renamed.source_file
    from renamed
    left join team_map on lower(trim(renamed.team_raw)) = team_map.source_value
)

select * from final
