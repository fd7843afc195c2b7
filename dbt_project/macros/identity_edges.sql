{#- A select of every key an identity node carries that can tie it to another node: its system customer
    id (within one source), CRM number and normalised email, and for the ticket link the complaint id,
    carried by the complaint itself (is_ticket_complaint) and by each survey response sent for it. -#}
{% macro identity_node_keys(nodes) -%}
    select node_id, source_fingerprint, 'system_id' as match_rule, system_id_key as match_key, false as is_ticket_complaint
    from {{ nodes }} where system_id_key is not null
    union all
    select node_id, source_fingerprint, 'crm_id', crm_id, false from {{ nodes }} where crm_id is not null
    union all
    select node_id, source_fingerprint, 'email', email_norm, false from {{ nodes }} where email_norm is not null
    union all
    select node_id, source_fingerprint, 'ticket_link', record_id, true
    from {{ nodes }} where record_kind = 'complaint' and record_id is not null
    union all
    select node_id, source_fingerprint, 'ticket_link', linked_complaint_id, false
    from {{ nodes }} where record_kind = 'survey_response' and linked_complaint_id is not null
{%- endmacro %}

{#- A select of the emails several people use (a family's, an office's address, a help desk's stand-in):
    their records carry two first names that contradict in every reading (not a nickname of the seed, an
    initial, a typo or "Smith John"), or two birth dates and two last names, or three last names. Such an email links
    nothing by itself; the probabilistic stage (with its vetoes) may still join its records. One person's
    mistyped birth date, or a married name, still links. In two steps each: only an email with two first
    (or last) names at all (few) has them compared. -#}
{% macro shared_emails(nodes) -%}
    with

    spread as (
        -- the addresses whose records disagree on the last or the first name at all (one pass over the nodes)
        select
            email_norm,
            min(last_name) <> max(last_name) as two_last_names,
            min(birth_date) <> max(birth_date) as two_birth_dates,
            min(first_name_canon) <> max(first_name_canon) as two_first_names
        from {{ nodes }}
        where email_norm is not null
        group by email_norm
        having count(*) > 1 and (min(last_name) <> max(last_name) or min(first_name_canon) <> max(first_name_canon))
    ),

    names as (
        -- the distinct names of the addresses with two first names (few), compared pair by pair below
        select distinct nodes.email_norm, nodes.first_name, nodes.first_name_canon, nodes.last_name, nodes.last_name_canon
        from {{ nodes }} as nodes
        inner join spread on nodes.email_norm = spread.email_norm and spread.two_first_names
        where nodes.first_name is not null
    )

    select spread.email_norm
    from spread
    inner join {{ nodes }} as nodes on nodes.email_norm = spread.email_norm
    where spread.two_last_names
    group by spread.email_norm, spread.two_birth_dates
    having spread.two_birth_dates or count(distinct nodes.last_name) > 2
    union
    select names_a.email_norm
    from names as names_a
    inner join names as names_b on names_b.email_norm = names_a.email_norm and names_a.first_name < names_b.first_name
    left join (
        -- names the nickname seed relates, whichever formal name a nickname resolves to (Ted: Edward or Theodore)
        select nickname as name_a, formal as name_b from {{ ref('nicknames') }}
        union
        select formal, nickname from {{ ref('nicknames') }}
        union
        select one.nickname, other.nickname
        from {{ ref('nicknames') }} as one
        inner join {{ ref('nicknames') }} as other on one.formal = other.formal and one.nickname <> other.nickname
    ) as related on related.name_a = names_a.first_name and related.name_b = names_b.first_name
    where related.name_a is null
        -- an initial contradicts no name (E. Walker is Liz Walker too), nor does a title ("Mrs Smith")
        and length(names_a.first_name) > 1 and length(names_b.first_name) > 1
        and not {{ regex_matches('names_a.first_name', '^' ~ name_titles() ~ '$') }}
        and not {{ regex_matches('names_b.first_name', '^' ~ name_titles() ~ '$') }}
        and {{ _first_name_level('names_a.first_name', 'names_a.first_name_canon', 'names_b.first_name', 'names_b.first_name_canon') }} = 'different'
        and {{ _first_name_level('names_a.first_name', 'names_a.first_name_canon', 'names_b.last_name', 'names_b.last_name_canon') }} in ('different', 'null')
        and {{ _first_name_level('names_b.first_name', 'names_b.first_name_canon', 'names_a.last_name', 'names_a.last_name_canon') }} in ('different', 'null')
{%- endmacro %}

{#- A select of every key group that links nodes (match_rule, match_key) and its inputs_fingerprint: a
    digest of the group's key and its nodes' fingerprints (int_identity_nodes.source_fingerprint), so a
    node that joins, leaves or changes rebuilds the group's links. A key links when two or more nodes
    share it (an email only when several people do not: shared_emails); a ticket links when exactly one
    complaint carries its id and a survey response names it.
    int_identity_edges_deterministic rebuilds the groups whose fingerprint changed and deletes the links
    of the others that are no longer current. With `delta` (macros/deltas.sql) and its candidates staged,
    only the candidate groups, and the shared emails among theirs. -#}
{% macro identity_edge_fingerprints(delta=none) -%}
    {%- set candidates = delta_candidates(delta) -%}
    {%- set nodes = ref('int_identity_nodes') -%}
    {%- if candidates is none -%}
        {%- set email_nodes = nodes -%}
    {%- else -%}
        {%- set email_nodes = "(select * from " ~ nodes ~ " where email_norm in (select match_key from " ~ candidates
            ~ " where match_rule = 'email'))" -%}
    {%- endif %}
    select
        match_rule,
        match_key,
        {{ mix_digest(fingerprint_set_digest('source_fingerprint'), hash_order("match_rule || '|' || match_key")) }}
            as inputs_fingerprint
    from ({{ identity_node_keys(nodes) }}) as node_keys
    where (match_rule <> 'email' or match_key not in ({{ shared_emails(email_nodes) }}))
    {%- if candidates is not none %}
        and exists (
            select 1 from {{ candidates }} as candidates
            where candidates.match_rule = node_keys.match_rule and candidates.match_key = node_keys.match_key
        )
    {%- endif %}
    group by match_rule, match_key
    having count(*) > 1
        and (match_rule <> 'ticket_link' or count(case when is_ticket_complaint then 1 end) = 1)
{%- endmacro %}

{#- The key groups (match_rule, match_key) the nodes of `changes` (int_identity_nodes__changes: nodes
    removed and added) were or are in: the only groups whose links may have changed. -#}
{% macro identity_edge_candidates(changes) -%}
    select distinct match_rule, match_key from ({{ identity_node_keys(changes) }}) as changed_keys
{%- endmacro %}

{#- The bit of a deterministic rule in a node's link_rules (the sum of the bits of the rules that link
    it, int_identity_clusters_deterministic), and the strongest rule such a sum holds (system id, CRM
    number, ticket, email: customer_identity_map's match_rule). Integer arithmetic, no bit operators. -#}
{% macro link_rule_bit(match_rule) -%}
    case {{ match_rule }} when 'system_id' then 1 when 'crm_id' then 2 when 'ticket_link' then 4 when 'email' then 8 end
{%- endmacro %}

{% macro strongest_link_rule(link_rules) -%}
    case
        when mod({{ link_rules }}, 2) = 1 then 'system_id'
        when mod({{ link_rules }}, 4) >= 2 then 'crm_id'
        when mod({{ link_rules }}, 8) >= 4 then 'ticket_link'
        when {{ link_rules }} >= 8 then 'email'
    end
{%- endmacro %}
