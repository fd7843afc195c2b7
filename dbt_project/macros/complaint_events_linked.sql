{#- A select of every complaint's (source, complaint_id) in the change history that links to one
    complaint record, with that record's key (complaint_key) and inputs_fingerprint: the staged history's
    source_fingerprint mixed with the complaint key. A history tied to its ticket source (sources.yml
    complaint_source, ops.history_sources) links to that source's complaint with the id; any other links
    to the complaint of the one complaint source that has the id (an id two sources share links to neither).
    The model rebuilds the complaints whose fingerprint changed and deletes the others that are no longer
    current (a complaint id that now occurs in two complaint sources, a history withdrawn). With `delta`
    (complaint_event_link_delta) and its candidates staged, only the candidate histories. -#}
{% macro complaint_event_link_fingerprints(delta=none) -%}
    {%- set candidates = delta_candidates(delta) -%}
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
            from {{ ref('stg_service__complaint_events') }} as events
            {%- if candidates is not none %}
            where exists (
                select 1 from {{ candidates }} as candidates
                where candidates.source = events.source and candidates.complaint_id = events.complaint_id
            )
            {%- endif %}
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
            {%- if candidates is not none %}
            where complaint_id in (select complaint_id from {{ candidates }})
            {%- endif %}
            group by complaint_id
            having count(*) = 1
        ) as unique_complaints
            on tied.complaint_source is null and histories.complaint_id = unique_complaints.complaint_id
    ) as linked
    where complaint_key is not null
{%- endmacro %}

{#- The delta (macros/deltas.sql) of int_complaint_events_linked: a history's link changes when its own
    staged rows do, or when a complaint with its id arrives, changes or leaves (in its own source, or in
    any: an id two sources share links to neither); which sources' histories are tied to a ticket source
    is read from ops.history_sources (its digest an input: a change there finds every history again). -#}
{% macro complaint_event_link_delta() -%}
    {{ return({
        'upstreams': {
            'stg_service__complaint_events': 'complaint_histories_changed',
            'stg_service__complaints': 'complaint_histories_of_changed_complaints',
        },
        'inputs': ['history_sources_digest'],
    }) }}
{%- endmacro %}

{#- The histories (source, complaint_id) whose staged rows the rows of `changes`
    (stg_service__complaint_events__changes) removed or added. -#}
{% macro complaint_histories_changed(changes) -%}
    select distinct source, complaint_id from {{ changes }} as changed
{%- endmacro %}

{#- The histories (source, complaint_id) with the id of a complaint in `changes` (stg_service__complaints__changes:
    complaints removed and added), in any source. -#}
{% macro complaint_histories_of_changed_complaints(changes) -%}
    select distinct events.source, events.complaint_id
    from {{ ref('stg_service__complaint_events') }} as events
    where events.complaint_id in (select complaint_id from {{ changes }} as changed)
{%- endmacro %}

{#- A scalar SQL expression: a digest of ops.history_sources (which change-history source describes which
    complaint source), written by the complaint_events ingest outside dbt. -#}
{% macro history_sources_digest() -%}
    select {{ text_set_digest("tied.source || '|' || coalesce(tied.complaint_source, '~')") }} from ops.history_sources as tied
{%- endmacro %}
