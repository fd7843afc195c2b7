-- One row per complaint: who owned it from beginning to resolution, how often it changed hands and
-- teams, how long nobody owned it, how long it took, and whether it breached its SLA.
-- The change history is read straight from its table in each place: a CTE read in several places is
-- materialised (a copy of every change) before it is read.
with

complaints as (
    select * from {{ ref('stg_service__complaints') }}
),

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

sla_policy as (
    select * from {{ ref('sla_policy') }}
),

as_of as (
    -- the data's own clock: the latest thing any ticket export says happened (not the wall clock)
    select greatest(max(complaints.created_at), max(complaints.updated_at), (select max(event_at) from {{ ref('int_complaint_events_linked') }})) as as_of_at
    from complaints
),

assignee_changes as (
    select
        complaint_key,
        event_at,
        new_value as owner,
        lag(new_value) over by_time as previous_owner,
        lag(event_at) over by_time as previous_at,
        row_number() over by_time as change_number,
        source_file,
        source_row
    from {{ ref('int_complaint_events_linked') }} as events
    where field = 'assignee'
    window by_time as (partition by complaint_key order by event_at, source_file, source_row)
),

owners as (
    select
        complaint_key,
        count(owner) as assignee_stations_count,
        count(distinct owner) as unique_owner_count,
        {{ first_by("case when owner is not null then owner end", "case when owner is not null then " ~ event_order() ~ " end") }} as first_owner,
        min(case when owner is not null then event_at end) as first_assignment_at,
        max(case when owner is null then event_at end) as last_unassigned_at,
        count(case when owner is not null and previous_owner is not null and owner <> previous_owner then 1 end)
            + count(case when owner is not null and previous_owner is null and change_number > 2 then 1 end)
            as owner_changes
    from assignee_changes
    group by complaint_key
),

unassigned as (
    -- dbt_zendesk's ticket_unassigned_duration_calendar_minutes: before each assignment, the time since
    -- the previous update of the assignee (or since creation) while nobody held the ticket
    select
        assignee_changes.complaint_key,
        sum(
            case when assignee_changes.owner is not null and assignee_changes.previous_owner is null
                then {{ hours_between('coalesce(assignee_changes.previous_at, complaints.created_at)', 'assignee_changes.event_at') }} * 60
                else 0
            end
        ) as unassigned_minutes
    from assignee_changes
    inner join complaints on assignee_changes.complaint_key = complaints.record_key
    group by assignee_changes.complaint_key
),

teams as (
    select
        complaint_key,
        count(new_value) as group_stations_count,
        count(case when field_change_number > 1 and new_value is distinct from old_value then 1 end) as team_handoffs,
        {{ dbt.listagg('coalesce(new_team, new_value)', "' > '", 'order by event_at, source_file, source_row') }} as team_path,
        {{ first_by('coalesce(new_team, new_value)', event_order()) }} as first_team
    from {{ ref('int_complaint_events_linked') }} as events
    where field = 'team'
    group by complaint_key
),

statuses as (
    select
        complaint_key,
        count(case when new_value = 'solved' then 1 end) as total_resolutions,
        min(case when new_value = 'solved' then event_at end) as first_solved_at,
        max(case when new_value = 'solved' then event_at end) as last_solved_at,
        min(case when new_value in ('open', 'pending', 'solved') and old_value in ('new') then event_at end) as first_worked_at
    from {{ ref('int_complaint_events_linked') }} as events
    where field = 'status'
    group by complaint_key
),

joined as (
    select
        complaints.record_key as complaint_key,
        complaints.source,
        complaints.complaint_id,
        identity_map.customer_key,
        complaints.created_at,
        complaints.status,
        complaints.is_resolved,
        coalesce(complaints.priority, 'normal') as priority,
        complaints.channel,
        complaints.category,
        coalesce(owners.first_owner, complaints.owner) as first_owner,
        complaints.owner as last_owner,
        coalesce(teams.first_team, complaints.team) as first_team,
        complaints.team as last_team,
        coalesce(owners.assignee_stations_count, case when complaints.owner is not null then 1 else 0 end)
            as assignee_stations_count,
        coalesce(owners.unique_owner_count, case when complaints.owner is not null then 1 else 0 end)
            as unique_owner_count,
        coalesce(owners.owner_changes, 0) as owner_changes,
        coalesce(teams.group_stations_count, case when complaints.team_raw is not null then 1 else 0 end)
            as group_stations_count,
        coalesce(teams.team_handoffs, 0) as team_handoffs,
        coalesce(teams.team_path, complaints.team) as team_path,
        owners.first_assignment_at,
        owners.last_unassigned_at,
        coalesce(unassigned.unassigned_minutes, 0) as unassigned_minutes,
        coalesce(statuses.total_resolutions, case when complaints.resolved_at is not null then 1 else 0 end)
            as total_resolutions,
        coalesce(statuses.first_solved_at, complaints.resolved_at) as first_solved_at,
        coalesce(statuses.last_solved_at, complaints.resolved_at) as last_solved_at,
        sla_policy.sla_hours,
        as_of.as_of_at
    from complaints
    cross join as_of
    left join identity_map on complaints.record_key = identity_map.node_id
    left join owners on complaints.record_key = owners.complaint_key
    left join unassigned on complaints.record_key = unassigned.complaint_key
    left join teams on complaints.record_key = teams.complaint_key
    left join statuses on complaints.record_key = statuses.complaint_key
    left join sla_policy on coalesce(complaints.priority, 'normal') = sla_policy.priority
),

final as (
    select
        cast(complaint_key as varchar) as complaint_key,
        cast(source as varchar) as source,
        cast(complaint_id as varchar) as complaint_id,
        cast(customer_key as varchar) as customer_key,
        cast(created_at as timestamp) as created_at,
        cast(status as varchar) as status,
        cast(is_resolved as boolean) as is_resolved,
        cast(priority as varchar) as priority,
        cast(channel as varchar) as channel,
        cast(category as varchar) as category,
        cast(first_owner as varchar) as first_owner,
        cast(last_owner as varchar) as last_owner,
        cast(first_team as varchar) as first_team,
        cast(last_team as varchar) as last_team,
        cast(team_path as varchar) as team_path,
        cast(assignee_stations_count as bigint) as assignee_stations_count,
        cast(unique_owner_count as bigint) as unique_owner_count,
        cast(owner_changes as bigint) as owner_changes,
        cast(group_stations_count as bigint) as group_stations_count,
        cast(team_handoffs as bigint) as team_handoffs,
        cast({{ hours_between('created_at', 'first_assignment_at') }} * 60 as double precision) as first_response_minutes,
        cast(unassigned_minutes as double precision) as unassigned_minutes,
        cast(unassigned_minutes + case
            when not is_resolved and last_owner is null
                then {{ hours_between('coalesce(last_unassigned_at, created_at)', 'as_of_at') }} * 60
            else 0 end as double precision) as unowned_minutes,
        cast({{ hours_between('created_at', 'first_solved_at') }} * 60 as double precision) as first_resolution_minutes,
        cast(case when is_resolved then {{ hours_between('created_at', 'last_solved_at') }} * 60 end as double precision)
            as final_resolution_minutes,
        cast(case when is_resolved then last_solved_at end as timestamp) as resolved_at,
        cast(total_resolutions as bigint) as total_resolutions,
        cast(greatest(total_resolutions - 1, 0) as bigint) as count_reopens,
        cast(sla_hours as double precision) as sla_hours,
        cast(case when is_resolved then {{ hours_between('created_at', 'last_solved_at') }} > sla_hours
              else {{ hours_between('created_at', 'as_of_at') }} > sla_hours end as boolean) as is_sla_breached,
        cast({{ hours_between('created_at', 'as_of_at') }} as double precision) as age_hours,
        cast(not is_resolved and last_owner is null
            and {{ hours_between('coalesce(last_unassigned_at, created_at)', 'as_of_at') }} > {{ var('unowned_alert_hours') }} as boolean)
            as is_unowned_too_long,
        cast(not is_resolved and last_owner is not null and unique_owner_count <= 1
            and {{ hours_between('created_at', 'as_of_at') }} > sla_hours as boolean) as is_stalled,
        cast(as_of_at as timestamp) as as_of_at
    from joined
)

select * from final
