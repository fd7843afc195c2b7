{#- A select of every complaint's (source, complaint_id) in the change history that links to one
    complaint record, with that record's key (complaint_key) and inputs_fingerprint: the staged history's
    source_fingerprint mixed with the complaint key. A history tied to its ticket source (sources.yml
    complaint_source, ops.history_sources) links to that source's complaint with the id; any other links
    to the complaint of the one complaint source that has the id (an id two sources share links to neither).
    The model rebuilds the complaints whose fingerprint changed and deletes the others that are no longer
    current (a complaint id that now occurs in two complaint sources, a history withdrawn). -#}
{% macro complaint_event_link_fingerprints() -%}
    select
        source,
        complaint_id,
        complaint_key,
        {{ mix_digest('source_fingerprint', digest('complaint_key')) }} as inputs_fingerprint
    from (
        select
            histories.source,
            histories.complaint_id,
            histories.source_fingerprint,
            coalesce(own_source.record_key, unique_complaints.complaint_key) as complaint_key
        from (
            select distinct source, complaint_id, source_fingerprint
            from {{ ref('stg_service__complaint_events') }}
        ) as histories
        -- ops.history_sources is written by the complaint_events ingest beside raw.complaint_events (read as
        -- a table, not a dbt source: Dagster would make it an asset of its own, and one asset writes both)
        left join ops.history_sources as tied
            on histories.source = tied.source
        left join {{ ref('stg_service__complaints') }} as own_source
            on own_source.source = tied.complaint_source and own_source.complaint_id = histories.complaint_id
        left join (
            select complaint_id, min(record_key) as complaint_key
            from {{ ref('stg_service__complaints') }}
            group by complaint_id
            having count(*) = 1
        ) as unique_complaints
            on tied.complaint_source is null and histories.complaint_id = unique_complaints.complaint_id
    ) as linked
    where complaint_key is not null
{%- endmacro %}
