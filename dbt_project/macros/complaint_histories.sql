{#- A select of every complaint's key and inputs_fingerprint: its staged record's source_fingerprint mixed
    with the fingerprints of the change histories linked to it (int_complaint_events_linked).
    int_complaint_histories rebuilds the complaints whose fingerprint changed and deletes the others that
    are no longer current. With `delta` (complaint_history_delta) and its candidates staged, only the
    candidate complaints. -#}
{% macro complaint_history_fingerprints(delta=none) -%}
    {%- set candidates = delta_candidates(delta) -%}
    select
        complaints.record_key as complaint_key,
        {{ mix_digest('complaints.source_fingerprint', 'coalesce(histories.fingerprint, 0)') }} as inputs_fingerprint
    from {{ ref('stg_service__complaints') }} as complaints
    left join (
        select complaint_key, {{ fingerprint_set_digest('source_fingerprint') }} as fingerprint
        from (
            select distinct complaint_key, source_fingerprint from {{ ref('int_complaint_events_linked') }} as events
            {%- if candidates is not none %}
            where events.complaint_key in (select complaint_key from {{ candidates }})
            {%- endif %}
        ) as linked
        group by complaint_key
    ) as histories on complaints.record_key = histories.complaint_key
    {%- if candidates is not none %}
    where complaints.record_key in (select complaint_key from {{ candidates }})
    {%- endif %}
{%- endmacro %}

{#- The delta (macros/deltas.sql) of int_complaint_histories: a complaint's history changes when its
    staged record does, or the change history linked to it. -#}
{% macro complaint_history_delta() -%}
    {{ return({
        'upstreams': {
            'int_complaint_events_linked': 'complaint_keys_changed',
            'stg_service__complaints': 'complaint_keys_of_changed_complaints',
        },
    }) }}
{%- endmacro %}

{#- The complaints whose linked change history the rows of `changes` (int_complaint_events_linked__changes)
    removed or added. -#}
{% macro complaint_keys_changed(changes) -%}
    select distinct complaint_key from {{ changes }} as changed
{%- endmacro %}

{#- The complaints of `changes` (stg_service__complaints__changes: complaints removed and added). -#}
{% macro complaint_keys_of_changed_complaints(changes) -%}
    select distinct record_key as complaint_key from {{ changes }} as changed
{%- endmacro %}

{#- Whether a status change reopens a complaint: from solved or closed back to another status (the
    journey's complaint_reopened events, complaint_ownership.reopens). -#}
{% macro is_reopen(old_value, new_value) -%}
    {{ old_value }} in ('solved', 'closed') and {{ new_value }} not in ('solved', 'closed')
{%- endmacro %}

{#- A change of a complaint's team field that hands it to another team: a group renamed, or another
    group of the same team (both mapped to Accounts), is no handoff. The first value is where it started. -#}
{% macro is_team_handoff() -%}
    field_change_number > 1 and coalesce(new_team, new_value) is distinct from coalesce(old_team, old_value)
{%- endmacro %}

{#- When a complaint was last solved: the last solve its change history shows, or the ticket export's own
    solve time where it has no history (complaint_ownership.resolved_at, the KPI recompute's complaints
    resolved and the ticket ratings' months all read this). -#}
{% macro complaint_last_solved_at(complaints, histories) -%}
    coalesce({{ histories }}.last_solved_at, {{ complaints }}.resolved_at)
{%- endmacro %}
