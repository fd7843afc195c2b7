{%- set delta = complaint_event_link_delta() -%}
{{ incremental_by_fingerprint(['source', 'complaint_id'], 'complaint_event_link_fingerprints(' ~ delta ~ ')',
    changes=['source', 'complaint_id', 'complaint_key'], delta=delta) }}
-- One row per complaint field change, tied to its complaint's record key (complaint ids that occur in
-- exactly one complaint source), with the complaint's team at creation for events before any team event.
-- Incremental by complaint: a night builds the histories whose staged rows or link changed
-- (source_fingerprint, macros/complaint_events_linked.sql) and deletes those no longer current.
-- Only the histories that the staged changes and complaints changed name are looked at (delta,
-- macros/deltas.sql), unless their changes do not reach back to this model's last build; the rows it
-- removed and added are kept for int_complaint_histories.
with

to_build as (
    {{ fingerprints_to_build(complaint_event_link_fingerprints()) }}
),

final as (
    select
        to_build.complaint_key,
        events.source,
        events.complaint_id,
        events.event_at,
        events.field,
        events.old_value,
        events.new_value,
        events.old_team,
        events.new_team,
        events.actor,
        events.field_change_number,
        events.source_file,
        events.source_row,
        to_build.source_fingerprint
    from {{ ref('stg_service__complaint_events') }} as events
    inner join to_build on events.source = to_build.source and events.complaint_id = to_build.complaint_id
)

select * from final
