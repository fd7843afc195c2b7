{%- set record_keys = [('source', '_source'), ('complaint_id', 'complaint_id')] %}
{%- set record_inputs = {'seeds': {'team_mapping': ['source_value', 'team']}} %}
{{ incremental_by_record('complaint_events', record_keys, changes=['source', 'complaint_id'], **record_inputs) }}
-- One row per change of a complaint's owner, team, status or priority, with the value before the
-- change derived from the history when the export does not carry it.
-- Incremental by complaint: a night rebuilds only the complaints whose raw rows changed (new or
-- re-exported files, a corrected file; source_fingerprint, which also covers the team mapping and this
-- file's SQL, see macros/incremental.sql) from all their rows; complaints whose rows are gone from raw are
-- deleted after the insert.
-- The changes its build removed and added are kept, by complaint, in stg_service__complaint_events__changes
-- (macros/deltas.sql): int_complaint_events_linked looks again only at the histories they name.
with

team_map as (
    select * from {{ ref('team_mapping') }}
),

{{ changed_records(source('raw', 'complaint_events'), record_keys, **record_inputs) }},

renamed as (
    select
        _source as source,
        complaint_id,
        event_at,
        lower(trim(field)) as field,
        case when lower(trim(field)) in ('status', 'priority') then lower(trim(old_value)) else old_value end
            as old_value_raw,
        case when lower(trim(field)) in ('status', 'priority') then lower(trim(new_value)) else new_value end
            as new_value,
        actor,
        _file as source_file,
        _row as source_row,
        source_fingerprint
    from changed_rows
    -- raw keeps every field's changes (custom fields, requester): staging tracks these four
    -- (connectors/contracts.py TRACKED_FIELDS)
    where lower(trim(field)) in ('assignee', 'team', 'status', 'priority')
),

ranked_copies as (
    select
        *,
        row_number() over (
            partition by source, complaint_id, event_at, field, new_value order by source_file, source_row
        ) as copy_number
    from renamed
),

deduplicated as (
    -- the same change exported in two overlapping files is one change
    select * from ranked_copies where copy_number = 1
),

with_previous as (
    select
        *,
        coalesce(
            old_value_raw,
            lag(new_value) over (partition by source, complaint_id, field order by event_at, source_file, source_row)
        ) as old_value,
        row_number() over (partition by source, complaint_id, field order by event_at, source_file, source_row)
            as field_change_number
    from deduplicated
),

final as (
    select
        with_previous.source,
        with_previous.complaint_id,
        with_previous.event_at,
        with_previous.field,
        with_previous.old_value,
        with_previous.new_value,
        case when with_previous.field = 'team' then old_team.team end as old_team,
        case when with_previous.field = 'team' then new_team.team end as new_team,
        with_previous.actor,
        with_previous.field_change_number,
        with_previous.source_file,
        with_previous.source_row,
        with_previous.source_fingerprint
    from with_previous
    left join team_map as old_team
        on with_previous.field = 'team' and lower(trim(with_previous.old_value)) = old_team.source_value
    left join team_map as new_team
        on with_previous.field = 'team' and lower(trim(with_previous.new_value)) = new_team.source_value
)

select * from final
