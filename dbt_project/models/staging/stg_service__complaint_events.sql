{{ config(
    materialized='incremental',
    unique_key=['source', 'complaint_id'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="{{ delete_rows_gone(source('raw', 'complaint_events'), [('source', '_source'), ('complaint_id', 'complaint_id')]) }}"
) }}
-- One row per change of a complaint's owner, team, status or priority, with the value before the
-- change derived from the history when the export does not carry it.
-- Incremental by complaint: a night rebuilds only the complaints whose raw rows changed (new or
-- re-exported files, a corrected file; source_fingerprint, which also covers the team mapping) from
-- all their rows; complaints whose rows are gone from raw are deleted after the insert.
{%- set fingerprinted = is_incremental() and relation_has_column(this, 'source_fingerprint') %}
with

team_map as (
    select * from {{ ref('team_mapping') }}
),

mapping_fingerprint as (
    select {{ text_set_digest("source_value || '|' || coalesce(team, '~')") }} as fingerprint from team_map
),

file_versions as (
    -- one digest per loaded file version (and the team mapping): md5 once per file, not once per row
    select
        files._file,
        files._file_sha256,
        {{ digest("coalesce(files._file, '~') || '|' || coalesce(files._file_sha256, '~') || '|' || cast(mapping_fingerprint.fingerprint as " ~ dbt.type_string() ~ ")") }}
            as file_digest
    from (select distinct _file, _file_sha256 from {{ source('raw', 'complaint_events') }}) as files
    cross join mapping_fingerprint
),

complaint_fingerprints as (
    -- a raw row is its file version and row number; the mapping's fingerprint is in every file's digest,
    -- so a changed team mapping rebuilds every complaint
    select
        raw_events._source as source,
        raw_events.complaint_id,
        {{ file_rows_digest('file_versions.file_digest', 'raw_events._row') }} as source_fingerprint
    from {{ source('raw', 'complaint_events') }} as raw_events
    inner join file_versions
        on coalesce(raw_events._file, '~') = coalesce(file_versions._file, '~')
        and coalesce(raw_events._file_sha256, '~') = coalesce(file_versions._file_sha256, '~')
    group by raw_events._source, raw_events.complaint_id
),

changed_complaints as (
    select complaint_fingerprints.source, complaint_fingerprints.complaint_id, complaint_fingerprints.source_fingerprint
    from complaint_fingerprints
    {%- if fingerprinted %}
    left join (
        select source, complaint_id, min(source_fingerprint) as source_fingerprint
        from {{ this }}
        group by source, complaint_id
    ) as built
        on complaint_fingerprints.source = built.source and complaint_fingerprints.complaint_id = built.complaint_id
    where built.source_fingerprint is null or built.source_fingerprint <> complaint_fingerprints.source_fingerprint
    {%- endif %}
),

source as (
    select raw_events.*, changed_complaints.source_fingerprint
    from {{ source('raw', 'complaint_events') }} as raw_events
    inner join changed_complaints
        on raw_events._source = changed_complaints.source and raw_events.complaint_id = changed_complaints.complaint_id
),

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
    from source
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
