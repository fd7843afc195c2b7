{%- set delta = complaint_history_delta() -%}
{{ incremental_by_fingerprint(['complaint_key'], 'complaint_history_fingerprints(' ~ delta ~ ')',
    changes=['complaint_key'], delta=delta) }}
-- One row per complaint: what its change history says about ownership, teams and resolutions (owner
-- chain, unassigned time, team path, solved times); complaint_ownership adds the customer, the SLA and
-- everything measured against the data's clock.
-- Incremental by complaint: a night builds the complaints whose record or linked history changed
-- (source_fingerprint, macros/complaint_histories.sql) and deletes those no longer current.
-- Only the complaints that the changes of the linked history and of the staged complaints name are
-- looked at (delta, macros/deltas.sql), unless those do not reach back to this model's last build.
-- The change history is read straight from its table in each place: a CTE read in several places is
-- materialised (a copy of every change) before it is read.
with

to_build as (
    {{ fingerprints_to_build(complaint_history_fingerprints()) }}
),

complaints as (
    select complaints.*, to_build.source_fingerprint as history_fingerprint
    from {{ ref('stg_service__complaints') }} as complaints
    inner join to_build on complaints.record_key = to_build.complaint_key
),

assignee_changes as (
    select
        complaint_key,
        event_at,
        new_value as owner,
        lag(new_value) over by_time as previous_owner,
        lag(event_at) over by_time as previous_at,
        source_file,
        source_row
    from {{ ref('int_complaint_events_linked') }} as events
    where events.complaint_key in (select complaint_key from to_build) and field = 'assignee'
    window by_time as (partition by complaint_key order by event_at, source_file, source_row)
),

holders as (
    -- the assignments only, each with the owner held before it: an owner who comes back after nobody held
    -- the complaint (Dorit, nobody, Dorit) is no change of owner
    select
        complaint_key,
        case when owner <> lag(owner) over (partition by complaint_key order by event_at, source_file, source_row)
            then 1 else 0 end as is_owner_change
    from assignee_changes
    where owner is not null
),

owner_changes as (
    select complaint_key, sum(is_owner_change) as owner_changes from holders group by complaint_key
),

owners as (
    select
        complaint_key,
        count(owner) as assignee_stations_count,
        count(distinct owner) as unique_owner_count,
        {{ first_by("case when owner is not null then owner end", "case when owner is not null then " ~ event_order() ~ " end") }} as first_owner,
        min(case when owner is not null then event_at end) as first_assignment_at,
        max(case when owner is null then event_at end) as last_unassigned_at
    from assignee_changes
    group by complaint_key
),

unassigned as (
    -- dbt_zendesk's ticket_unassigned_duration_calendar_minutes: before each assignment, the time since
    -- the previous update of the assignee (or since creation) while nobody held the ticket
    select
        assignee_changes.complaint_key,
        -- summed in whole seconds (exact in any order), then minutes
        sum(
            case when assignee_changes.owner is not null and assignee_changes.previous_owner is null
                then {{ seconds_between('coalesce(assignee_changes.previous_at, complaints.created_at)', 'assignee_changes.event_at') }}
                else 0
            end
        ) / 60.0 as unassigned_minutes
    from assignee_changes
    inner join complaints on assignee_changes.complaint_key = complaints.record_key
    group by assignee_changes.complaint_key
),

teams as (
    select
        complaint_key,
        count(new_value) as group_stations_count,
        count(case when {{ is_team_handoff() }} then 1 end) as team_handoffs,
        -- the teams in order, each once per stay (a group renamed within its team adds none)
        {{ dbt.listagg("case when field_change_number = 1 or " ~ is_team_handoff() ~ " then coalesce(new_team, new_value) end", "' > '", 'order by event_at, source_file, source_row') }} as team_path,
        {{ first_by('coalesce(new_team, new_value)', event_order()) }} as first_team
    from {{ ref('int_complaint_events_linked') }} as events
    where events.complaint_key in (select complaint_key from to_build) and field = 'team'
    group by complaint_key
),

statuses as (
    select
        complaint_key,
        count(case when new_value = 'solved' then 1 end) as total_resolutions,
        min(case when new_value = 'solved' then event_at end) as first_solved_at,
        max(case when new_value = 'solved' then event_at end) as last_solved_at,
        count(case when {{ is_reopen('old_value', 'new_value') }} then 1 end) as reopens
    from {{ ref('int_complaint_events_linked') }} as events
    where events.complaint_key in (select complaint_key from to_build) and field = 'status'
    group by complaint_key
),

final as (
    select
        complaints.record_key as complaint_key,
        owners.first_owner,
        owners.assignee_stations_count,
        owners.unique_owner_count,
        coalesce(owner_changes.owner_changes, case when owners.complaint_key is not null then 0 end) as owner_changes,
        owners.first_assignment_at,
        owners.last_unassigned_at,
        unassigned.unassigned_minutes,
        teams.first_team,
        teams.group_stations_count,
        teams.team_handoffs,
        teams.team_path,
        statuses.total_resolutions,
        statuses.first_solved_at,
        statuses.last_solved_at,
        statuses.reopens,
        complaints.history_fingerprint as source_fingerprint
    from complaints
    left join owners on complaints.record_key = owners.complaint_key
    left join owner_changes on complaints.record_key = owner_changes.complaint_key
    left join unassigned on complaints.record_key = unassigned.complaint_key
    left join teams on complaints.record_key = teams.complaint_key
    left join statuses on complaints.record_key = statuses.complaint_key
)

select * from final
