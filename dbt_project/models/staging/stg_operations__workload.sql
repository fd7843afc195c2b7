-- One row per team (or queue) and period of contact-centre workload, team mapped. A workload export's
-- rows are taken as exported, from the latest file that holds the team, queue, channel and period (a
-- rolling export repeats its last days in the next file: they count once, as that file gives them; rows of
-- one file with the same key are all kept, as parts of one total; exports split by site need the site in
-- queue or team, or a source each). A call log's workload (raw rows without a file row: ingest derives one
-- aggregate per file, queue and UTC day) is counted again here, per day of the reporting time zone
-- (CX_REPORTING_TIMEZONE, UTC by default), from the deduplicated contacts
-- (stg_operations__contacts: one row per contact, its latest version), so a call in two overlapping
-- exports of the log (a re-sent file, a partial re-export) counts once.
with

source as (
    select * from {{ source('raw', 'workload') }}
),

contacts as (
    select * from {{ ref('stg_operations__contacts') }}
),

team_map as (
    select * from {{ ref('team_mapping') }}
),

derived_sources as (
    select distinct _source from source where _row is null
),

exported as (
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
        _file as source_file,
        -- 1 for the rows of the latest file with this key
        rank() over (
            partition by _source, coalesce(team, queue), queue, lower(trim(channel)), period_start, period_end
            order by {{ newer_export_first(rows=false) }}
        ) as file_rank
    from source
    where _row is not null
),

recounted as (
    -- the measures connectors/ingest.py derives per file, from the staged contacts: offered = handled +
    -- abandoned (outcomes through contact_outcome_mapping; phantom calls never reached the queue), waits
    -- of the offered, handle times of the handled, agents; the channel as staged (phone when empty); no
    -- source_file (a day may hold calls of several files)
    select
        contacts.source,
        {{ reporting_day_starts_at(reporting_date('contacts.started_at')) }} as period_start,
        {{ reporting_day_starts_at(dbt.dateadd('day', 1, reporting_date('contacts.started_at'))) }} as period_end,
        contacts.team_raw,
        contacts.queue,
        contacts.channel,
        count(case when contacts.outcome in ('handled', 'abandoned') then 1 end) as contacts_offered,
        count(case when contacts.outcome = 'handled' then 1 end) as contacts_handled,
        count(case when contacts.outcome = 'abandoned' then 1 end) as contacts_abandoned,
        cast(null as bigint) as backlog,
        avg(case when contacts.outcome in ('handled', 'abandoned') then contacts.wait_seconds end)
            as avg_wait_seconds,
        avg(case when contacts.outcome = 'handled' then contacts.handle_seconds end) as avg_handle_seconds,
        count(distinct contacts.agent) as agents_staffed,
        cast(null as {{ dbt.type_string() }}) as source_file
    from contacts
    inner join derived_sources on contacts.source = derived_sources._source
    group by
        contacts.source,
        {{ reporting_date('contacts.started_at') }},
        contacts.team_raw,
        contacts.queue,
        contacts.channel
),

renamed as (
    select
        source, period_start, period_end, team_raw, queue, channel, contacts_offered, contacts_handled,
        contacts_abandoned, backlog, avg_wait_seconds, avg_handle_seconds, agents_staffed, source_file
    from exported
    where file_rank = 1
    union all
    select * from recounted
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
