-- One row per complaint field change, tied to its complaint's record key (complaint ids that occur in
-- exactly one complaint source), with the complaint's team at creation for events before any team event.
with

events as (
    select * from {{ ref('stg_service__complaint_events') }}
),

complaints as (
    select * from {{ ref('stg_service__complaints') }}
),

unique_complaints as (
    select complaint_id, min(record_key) as complaint_key
    from complaints
    group by complaint_id
    having count(*) = 1
),

final as (
    select
        unique_complaints.complaint_key,
        events.*
    from events
    inner join unique_complaints on events.complaint_id = unique_complaints.complaint_id
)

select * from final
