{%- set delta = customer_journey_delta() -%}
{{ incremental_by_fingerprint(['customer_key'], 'journey_input_fingerprints(' ~ delta ~ ')',
    changes=['customer_key'], delta=delta) }}
-- One row per touchpoint of a unified customer, in order: complaints opened, handed off, resolved and
-- reopened, survey responses and contact-centre contacts.
-- Incremental by customer: a night builds the customers whose inputs changed (source_fingerprint: their
-- records, the complaints' change histories, the complaints a survey names, the team mapping, this
-- model's code; macros/customer_journey.sql) from all their records, and deletes the customers no longer
-- current. seq and the gaps depend only on a customer's own touchpoints, so the kept customers' rows are
-- exactly what a full rebuild would give them. Only the customers whose records its upstreams changed are
-- looked at (delta, macros/deltas.sql), unless those changes do not reach back to this model's last build.
with

to_build as (
    {{ fingerprints_to_build(journey_input_fingerprints()) }}
),

identity_map as (
    -- the records of the customers built tonight (on an incremental build, the inputs below are read for
    -- these records only)
    select identity_map.node_id, identity_map.customer_key, to_build.source_fingerprint
    from {{ ref('customer_identity_map') }} as identity_map
    inner join to_build on identity_map.customer_key = to_build.customer_key
),

complaints as (
    select * from {{ ref('stg_service__complaints') }}
    {%- if is_incremental() %}
    where record_key in (select node_id from identity_map)
    {%- endif %}
),

survey_responses as (
    select * from {{ ref('stg_marketing__survey_responses') }}
    {%- if is_incremental() %}
    where record_key in (select node_id from identity_map)
    {%- endif %}
),

named_complaints as (
    -- the complaints the responses name, whoever's they are: a response carries its ticket's team and
    -- category. An id that two complaint sources both use names neither (as for the identity's ticket
    -- link and the KPIs): joined to both, the response was in the journey twice.
    select complaint_id, min(coalesce(team, team_raw)) as team, min(coalesce(category, category_raw)) as category
    from {{ ref('stg_service__complaints') }}
    {%- if is_incremental() %}
    where complaint_id in (select complaint_id from survey_responses)
    {%- endif %}
    group by complaint_id
    having count(*) = 1
),

contacts as (
    select * from {{ ref('stg_operations__contacts') }}
    {%- if is_incremental() %}
    where record_key in (select node_id from identity_map)
    {%- endif %}
),

team_map as (
    select distinct team, department from {{ ref('team_mapping') }}
),

-- the change history is read straight from its table where it is needed: a CTE read in several
-- places is materialised (a copy of every change) before it is read

history as (
    -- team and owner a complaint started with, and whether its status changes are known
    select
        complaint_key,
        {{ first_by("case when field = 'team' then coalesce(new_team, new_value) end", "case when field = 'team' then " ~ event_order() ~ " end") }} as first_team,
        {{ first_by("case when field = 'assignee' and new_value is not null then new_value end", "case when field = 'assignee' and new_value is not null then " ~ event_order() ~ " end") }} as first_owner,
        {{ dbt.bool_or("field = 'status'") }} as has_status_history
    from {{ ref('int_complaint_events_linked') }}
    where field in ('team', 'assignee', 'status')
    {%- if is_incremental() %} and complaint_key in (select record_key from complaints){% endif %}
    group by complaint_key
),

complaint_rows as (
    -- teams and categories the mappings lack keep the name they were exported with (F6 flags them)
    select
        complaints.record_key,
        complaints.source,
        complaints.complaint_id,
        coalesce(history.first_team, complaints.team, complaints.team_raw) as first_team,
        coalesce(history.first_owner, complaints.owner) as first_owner,
        coalesce(complaints.team, complaints.team_raw) as team,
        complaints.owner,
        complaints.channel,
        coalesce(complaints.category, complaints.category_raw) as category,
        complaints.created_at,
        complaints.resolved_at,
        coalesce(history.has_status_history, false) as has_status_history
    from complaints
    left join history on complaints.record_key = history.complaint_key
),

opened as (
    select
        record_key as node_id, created_at as event_at, 'complaint_opened' as event_type, first_team as team,
        channel, category, source, complaint_id as source_record_id, complaint_id,
        cast(null as double precision) as score, cast(null as varchar) as scale, first_owner as owner
    from complaint_rows
),

handoffs as (
    select
        complaint_events.complaint_key, complaint_events.event_at, 'complaint_handoff',
        coalesce(complaint_events.new_team, complaint_events.new_value),
        complaint_rows.channel, complaint_rows.category, complaint_events.source, complaint_events.complaint_id,
        complaint_events.complaint_id, cast(null as double precision), cast(null as varchar), cast(null as varchar)
    from {{ ref('int_complaint_events_linked') }} as complaint_events
    inner join complaint_rows on complaint_events.complaint_key = complaint_rows.record_key
    where complaint_events.field = 'team' and {{ is_team_handoff() }}
),

ticket_agents as (
    -- who may stand as the owner of a status change: the ticket's agents (its assignees, its owner). The
    -- change's actor is often the customer (a reply reopens a solved ticket): their name is no owner
    select complaint_key, new_value as agent
    from {{ ref('int_complaint_events_linked') }}
    where field = 'assignee' and new_value is not null
    {%- if is_incremental() %} and complaint_key in (select record_key from complaints){% endif %}
    union
    select record_key, owner from complaint_rows where owner is not null
),

status_changes as (
    select
        complaint_events.complaint_key, complaint_events.event_at,
        case
            when complaint_events.new_value = 'solved' and coalesce(complaint_events.old_value, '') not in ('solved', 'closed')
                then 'complaint_resolved'
            when complaint_events.new_value = 'closed' and coalesce(complaint_events.old_value, '') not in ('solved', 'closed')
                then 'complaint_resolved'
            when {{ is_reopen('complaint_events.old_value', 'complaint_events.new_value') }}
                then 'complaint_reopened'
        end as event_type,
        complaint_rows.team, complaint_rows.channel, complaint_rows.category, complaint_events.source,
        complaint_events.complaint_id, complaint_events.complaint_id, cast(null as double precision), cast(null as varchar),
        ticket_agents.agent
    from {{ ref('int_complaint_events_linked') }} as complaint_events
    inner join complaint_rows on complaint_events.complaint_key = complaint_rows.record_key
    left join ticket_agents
        on complaint_events.complaint_key = ticket_agents.complaint_key and complaint_events.actor = ticket_agents.agent
    where complaint_events.field = 'status'
),

resolved_without_history as (
    select
        record_key, resolved_at, 'complaint_resolved', team, channel, category, source, complaint_id,
        complaint_id, cast(null as double precision), cast(null as varchar), owner
    from complaint_rows
    where not has_status_history and resolved_at is not null
),

surveys as (
    select
        survey_responses.record_key, survey_responses.submitted_at, 'survey_response',
        named_complaints.team, cast(null as varchar), named_complaints.category, survey_responses.source,
        survey_responses.response_id, survey_responses.complaint_id, survey_responses.score,
        survey_responses.scale, cast(null as varchar)
    from survey_responses
    left join named_complaints on survey_responses.complaint_id = named_complaints.complaint_id
),

contact_rows as (
    select
        record_key, started_at, 'contact', coalesce(team, team_raw), channel, cast(null as varchar), source, contact_id,
        cast(null as varchar), cast(null as double precision), cast(null as varchar), agent
    from contacts
),

events as (
    select * from opened
    union all select * from handoffs
    union all select * from status_changes where event_type is not null
    union all select * from resolved_without_history
    union all select * from surveys
    union all select * from contact_rows
),

keyed as (
    select
        identity_map.customer_key,
        identity_map.source_fingerprint,
        events.*
    from events
    inner join identity_map on events.node_id = identity_map.node_id
),

described as (
    -- every touchpoint in the contract's types, before ordering
    select
        cast(keyed.customer_key as varchar) as customer_key,
        cast(keyed.event_at as timestamp) as event_at,
        cast(keyed.event_type as varchar) as event_type,
        cast(keyed.team as varchar) as team,
        cast(team_map.department as varchar) as department,
        cast(keyed.channel as varchar) as channel,
        cast(keyed.category as varchar) as category,
        cast(keyed.source as varchar) as source,
        cast(keyed.source_record_id as varchar) as source_record_id,
        cast(keyed.complaint_id as varchar) as complaint_id,
        cast(keyed.score as double precision) as score,
        cast(keyed.scale as varchar) as scale,
        cast(keyed.owner as varchar) as owner,
        keyed.source_fingerprint
    from keyed
    left join team_map on keyed.team = team_map.team
),

final as (
    -- seq and the gap to the previous touchpoint from one ordering (one sort)
    select
        described.*,
        cast(row_number() over in_order as bigint) as seq,
        cast({{ hours_between("lag(described.event_at) over in_order", "described.event_at") }} / 24.0 as double precision)
            as days_since_previous
    from described
    window in_order as (
        partition by described.customer_key
        order by described.event_at,
            case described.event_type
                when 'contact' then 1 when 'complaint_opened' then 2 when 'complaint_handoff' then 3
                when 'complaint_resolved' then 4 when 'complaint_reopened' then 5 else 6
            end,
            described.source_record_id,
            -- the rest of the row breaks the remaining ties (two changes of one ticket in the same second),
            -- so seq is the same on every build; rows equal in all of these are interchangeable
            described.source, described.team, described.owner, described.channel, described.category,
            described.score, described.scale, described.department, described.complaint_id
    )
)

select * from final
