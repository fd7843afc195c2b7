{#- A select of every complaint's (source, complaint_id) in the change history that links to exactly one
    complaint record, with that record's key (complaint_key) and inputs_fingerprint: the staged history's
    source_fingerprint mixed with the complaint key. The model
    rebuilds the complaints whose fingerprint changed and deletes the others that are no longer current
    (a complaint id that now occurs in two complaint sources, a history withdrawn). -#}
{% macro complaint_event_link_fingerprints() -%}
    select
        histories.source,
        histories.complaint_id,
        unique_complaints.complaint_key,
        {{ mix_digest('histories.source_fingerprint', digest('unique_complaints.complaint_key')) }} as inputs_fingerprint
    from (
        select distinct source, complaint_id, source_fingerprint
        from {{ ref('stg_service__complaint_events') }}
    ) as histories
    inner join (
        select complaint_id, min(record_key) as complaint_key
        from {{ ref('stg_service__complaints') }}
        group by complaint_id
        having count(*) = 1
    ) as unique_complaints on histories.complaint_id = unique_complaints.complaint_id
{%- endmacro %}
