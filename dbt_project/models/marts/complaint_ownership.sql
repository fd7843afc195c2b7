-- One row per complaint: who owned it from beginning to resolution, how often it changed hands and
-- teams, how long nobody owned it, how long it took, and whether it breached its SLA.
-- What the change history says comes from int_complaint_histories (kept between nights); this model
-- adds the customer, the SLA and everything measured against the data's clock, which moves nightly.
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

histories as (
    select * from {{ ref('int_complaint_histories') }}
),

joined as (
    -- teams and categories the mappings lack keep the name they were exported with (F6 flags them)
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
        coalesce(complaints.category, complaints.category_raw) as category,
        coalesce(histories.first_owner, complaints.owner) as first_owner,
        complaints.owner as last_owner,
        coalesce(histories.first_team, complaints.team, complaints.team_raw) as first_team,
        coalesce(complaints.team, complaints.team_raw) as last_team,
        coalesce(histories.assignee_stations_count, case when complaints.owner is not null then 1 else 0 end)
            as assignee_stations_count,
        coalesce(histories.unique_owner_count, case when complaints.owner is not null then 1 else 0 end)
            as unique_owner_count,
        coalesce(histories.owner_changes, 0) as owner_changes,
        coalesce(histories.group_stations_count, case when complaints.team_raw is not null then 1 else 0 end)
            as group_stations_count,
        coalesce(histories.team_handoffs, 0) as team_handoffs,
        coalesce(histories.team_path, complaints.team, complaints.team_raw) as team_path,
        histories.first_assignment_at,
        histories.last_unassigned_at,
        coalesce(histories.unassigned_minutes, 0) as unassigned_minutes,
        coalesce(histories.total_resolutions, case when complaints.resolved_at is not null then 1 else 0 end)
            as total_resolutions,
        coalesce(histories.reopens, 0) as reopens,
        coalesce(histories.first_solved_at, complaints.resolved_at) as first_solved_at,
        {{ complaint_last_solved_at('complaints', 'histories') }} as last_solved_at,
        sla_policy.sla_hours,
        as_of.as_of_at
    from complaints
    cross join as_of
    left join identity_map on complaints.record_key = identity_map.node_id
    left join histories on complaints.record_key = histories.complaint_key
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
        -- the unassigned time, and the time nobody held it at the end: until now, or until it was solved
        cast(coalesce(unassigned_minutes, 0) + case
            when not is_resolved and last_owner is null
                then {{ hours_between('coalesce(last_unassigned_at, created_at)', 'as_of_at') }} * 60
            when is_resolved and last_owner is null and last_solved_at is not null
                and coalesce(last_unassigned_at, created_at) <= last_solved_at
                -- (a history that assigned it and never took it back: held to the end, whatever the export says)
                and not (first_assignment_at is not null and last_unassigned_at is null)
                then {{ hours_between('coalesce(last_unassigned_at, created_at)', 'last_solved_at') }} * 60
            else 0 end as double precision) as unowned_minutes,
        cast({{ hours_between('created_at', 'first_solved_at') }} * 60 as double precision) as first_resolution_minutes,
        cast(case when is_resolved then {{ hours_between('created_at', 'last_solved_at') }} * 60 end as double precision)
            as final_resolution_minutes,
        cast(case when is_resolved then last_solved_at end as timestamp) as resolved_at,
        cast(total_resolutions as bigint) as total_resolutions,
        cast(greatest(total_resolutions - 1, 0) as bigint) as count_reopens,
        cast(reopens as bigint) as reopens,
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
