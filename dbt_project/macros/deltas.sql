{#- Changes carried downstream. A model incremental by fingerprint with `changes` (a list of its columns)
    keeps two tables beside itself:
    - <model>__changes: those columns of the rows its latest build removed (is_current false: the old
      version of a key built again, a key gone) and added (is_current true);
    - <model>__delta, one row: the build that made them (built_by, dbt's invocation id) and the build
      they are counted from (since: the one before it; null after a full build, whose changes are not
      listed).
    A model downstream with `delta` builds from them: it finds again only the keys the changed rows touch
    (its candidates), when, for each of its upstreams, it was last built from the upstream build they are
    counted from, or from the upstream's latest build itself (nothing changed since), and by the same code,
    seeds and inputs. It records which upstream builds it is now built from in <model>__consumed.
    Otherwise it finds every key again, as on a full build.
    `delta`: {'upstreams': {upstream model: the name of a macro that selects the candidate keys from a
    relation of its changes}, 'seeds': {seed: [columns]}, 'inputs': [names of macros that each give a
    scalar SQL expression of something else the rows are built from, e.g. a table written outside dbt]}. -#}

{% macro side_relation(relation, suffix) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__' ~ suffix})) }}
{%- endmacro %}

{#- Whether a table exists, asked of the database: side tables are made by hooks, which dbt's cache of
    relations (adapter.get_relation) does not see within the run that made them. `relation` is a dbt
    relation, or the name of a temporary table this session holds (one a pre-hook staged). -#}
{% macro table_exists(relation) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- if relation is string -%}
        {%- set where = "table_type = 'LOCAL TEMPORARY' and lower(table_name) = lower('" ~ relation ~ "')" -%}
    {%- else -%}
        {%- set where = "lower(table_catalog) = lower('" ~ relation.database ~ "') and lower(table_schema) = lower('"
            ~ relation.schema ~ "') and lower(table_name) = lower('" ~ relation.identifier ~ "')" -%}
    {%- endif -%}
    {%- set found = run_query("select count(*) from information_schema.tables where " ~ where) -%}
    {{ return((found.rows | first | first) > 0) }}
{%- endmacro %}

{#- The one row of an upstream's <model>__delta (built_by, since), or none when it has none. -#}
{% macro delta_state(upstream_relation) -%}
    {%- set state = side_relation(upstream_relation, 'delta') -%}
    {%- if not table_exists(state) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query("select built_by, since from " ~ state).rows -%}
    {{ return(rows | first if rows | length == 1 else none) }}
{%- endmacro %}

{#- The upstream build (built_by) and context digest this model was last built from, or none. -#}
{% macro consumed_state(upstream_name) -%}
    {%- set consumed = side_relation(this, 'consumed') -%}
    {%- if not table_exists(consumed) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query("select built_by, context from " ~ consumed ~ " where upstream = '" ~ upstream_name ~ "'").rows -%}
    {{ return(rows | first if rows | length == 1 else none) }}
{%- endmacro %}

{#- How this build may use `upstream`'s changes (the one rule; a Python model has it staged by
    stage_upstream_changes): 'changes' when this model was last built from the build they are counted
    from; 'nothing' when it was built from the upstream's latest build (nothing changed since); none when
    neither, when the code, `seeds`, `inputs` or the `macros` named changed since (record_context_digest),
    or on a full build: every key is found again. -#}
{% macro upstream_delta(upstream_name, seeds, inputs=(), macros=()) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set state = delta_state(ref(upstream_name)) -%}
    {%- set consumed = consumed_state(upstream_name) -%}
    {%- if state is none or consumed is none or consumed['built_by'] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {#- the build's code, seeds and inputs, asked once per build (kept in its context, as builds_only_new_fingerprints) -#}
    {%- set key = '_cx_context_digest|' ~ seeds ~ '|' ~ inputs ~ '|' ~ macros -%}
    {%- if key not in context -%}
        {%- do context.update({key: run_query("select " ~ record_context_digest(seeds, (), inputs, macros)).rows | first | first}) -%}
    {%- endif -%}
    {%- if consumed['context'] != context[key] -%}
        {{ return(none) }}
    {%- elif state['built_by'] == consumed['built_by'] -%}
        {{ return('nothing') }}
    {%- elif state['since'] == consumed['built_by'] -%}
        {{ return('changes') }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- The temporary table of this build's candidate keys, staged by the pre-hook stage_delta_candidates
    when the build applies the upstream's changes (which it decides once), or none when every key is
    found again. -#}
{% macro delta_candidates(delta) -%}
    {%- if delta is none or not execute or model.resource_type == 'unit_test' or not builds_only_new_fingerprints() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set candidates = current_fingerprints_relation() ~ '_candidates' -%}
    {{ return(candidates if table_exists(candidates) else none) }}
{%- endmacro %}

{#- Pre-hook of a model with `delta` (see the top of this file): stages the candidate keys, the union of
    each upstream's candidates from its changes, when the build applies every upstream's changes
    (upstream_delta); nothing otherwise. -#}
{% macro stage_delta_candidates(delta) -%}
    {%- if builds_only_new_fingerprints() -%}
    {%- set selects = [] -%}
    {%- for upstream, candidates in delta.upstreams.items() -%}
        {%- set applies = upstream_delta(upstream, delta.get('seeds', {}), delta.get('inputs', ()), delta.upstreams.values() | list) -%}
        {%- if applies is not none -%}
            {%- set changes = side_relation(ref(upstream), 'changes') -%}
            {%- do selects.append(context.get(candidates)("(select * from " ~ changes ~ (" where 1 = 0" if applies == 'nothing' else "") ~ ")")) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if selects | length == delta.upstreams | length -%}
    create temporary table {{ current_fingerprints_relation() }}_candidates as
    {% for select in selects -%}
    ({{ select }}){% if not loop.last %}
    union
    {% endif %}
    {%- endfor -%}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of a Python model built from upstream changes (cx_unify/deltas.py reads it): stages, as the
    temporary table <model>__upstream_changes (upstream, applies), how the build may use each upstream's
    changes (upstream_delta); upstreams whose changes do not apply have no row. A post-hook drops it.
    Nothing on a full build: there dbt-duckdb's Python materialization fails to find the table it made
    when a pre-hook ran DDL in the same transaction. -#}
{% macro stage_upstream_changes(upstreams, seeds={}) -%}
    {%- if is_incremental() -%}
    create or replace temporary table {{ model.name }}__upstream_changes as
    select * from (values
    {%- for upstream in upstreams %}
        {%- set applies = upstream_delta(upstream, seeds) %}
        ({{ "'" ~ upstream ~ "'" }}, {{ "'" ~ applies ~ "'" if applies is not none else 'null' }}){% if not loop.last %},{% endif %}
    {%- endfor %}
    ) as staged (upstream, applies)
    where applies is not null
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of a model with `changes`, with its current fingerprints staged: stages the rows this build
    removes (their `columns`, keys and source_fingerprint): those whose fingerprint is not current, among
    the candidate keys in delta mode, and among the records whose fingerprints are staged when a model
    incremental by record (record_inputs: its (seeds, vars)) stages only the records tonight's new file
    versions touch (record_delta_applies). Nothing on a full build (or of a table built without
    fingerprints). -#}
{% macro stage_rows_leaving(keys, columns, delta, record_inputs=none) -%}
    {%- if builds_only_new_fingerprints() -%}
    {%- set candidates = delta_candidates(delta) -%}
    {%- set staged = [] -%}
    {%- for column in keys + columns + ['source_fingerprint'] -%}
        {%- if column not in staged %}{% do staged.append(column) %}{% endif -%}
    {%- endfor -%}
    create temporary table {{ current_fingerprints_relation() }}_leaving as
    select {% for column in staged %}built.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
    from {{ this }} as built
    where not exists (
        select 1 from {{ current_fingerprints_relation() }} as current_rows
        where current_rows.source_fingerprint = built.source_fingerprint
    )
    {%- if candidates is not none %}
        and exists (
            select 1 from {{ candidates }} as candidates
            where {% for key in keys -%}
                candidates.{{ key }} is not distinct from built.{{ key }}{% if not loop.last %} and {% endif %}
            {%- endfor %}
        )
    {%- endif -%}
    {%- if record_inputs is not none and record_delta_applies(*record_inputs) %}
        and exists (
            select 1 from {{ current_fingerprints_relation() }} as touched
            where {% for key in keys -%}
                touched.{{ key }} is not distinct from built.{{ key }}{% if not loop.last %} and {% endif %}
            {%- endfor %}
        )
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of a model with `changes`, after the insert: deletes the rows staged as leaving (among them
    the old rows of keys built again: the build appends). -#}
{% macro delete_rows_leaving() -%}
    {%- if builds_only_new_fingerprints() -%}
    delete from {{ this }}
    where source_fingerprint in (select source_fingerprint from {{ current_fingerprints_relation() }}_leaving)
    {%- else -%}
    {{ delete_rows_not_current() }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of a model with `changes`: writes <model>__changes (`columns` of the rows removed and added)
    and <model>__delta. -#}
{% macro record_changes(columns) -%}
    {%- if builds_only_new_fingerprints() -%}
    {{ write_changes(columns,
        current_fingerprints_relation() ~ '_leaving',
        "(select * from " ~ this ~ " where source_fingerprint in (select source_fingerprint from "
            ~ current_fingerprints_relation() ~ "_to_build))") }}
    {%- else -%}
    {{ write_changes(columns, none, none) }}
    {%- endif -%}
{%- endmacro %}

{#- Writes <model>__changes, `columns` of the rows removed (`removed`, a relation: is_current false) and
    added (`added`: true), and <model>__delta counted from the build before it; with none, no rows and
    no build counted from (what a full build, which lists no changes, writes). -#}
{% macro write_changes(columns, removed, added) -%}
    {%- set listed = columns | join(', ') -%}
    {%- set previous = delta_state(this) if removed is not none else none -%}
    create or replace table {{ side_relation(this, 'changes') }} as
    {%- if removed is not none %}
    select {{ listed }}, false as is_current from {{ removed }} as removed
    union all
    select {{ listed }}, true as is_current from {{ added }} as added
    {%- else %}
    select {{ listed }}, true as is_current from {{ this }} where 1 = 0
    {%- endif %};
    create or replace table {{ side_relation(this, 'delta') }} as
    select cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as built_by,
        cast({{ "'" ~ previous['built_by'] ~ "'" if previous is not none else 'null' }} as {{ dbt.type_string() }}) as since
{%- endmacro %}

{#- The temporary tables a Python model stages of its build's changes (cx_unify/deltas.py,
    stage_changes): <model>__leaving, the rows its build removes; <model>__arriving, the keys of
    the rows it adds. -#}
{% macro python_changes_relation(suffix) -%}
    {{ return(model.name ~ '__' ~ suffix) }}
{%- endmacro %}

{#- Whether this build of a Python model staged its changes (stage_changes: an incremental build that
    looked only at what changed). Asked once per build and kept in its context, as
    builds_only_new_fingerprints: its post-hooks agree, and the last one drops the tables. -#}
{% macro python_changes_staged() -%}
    {%- set key = '_cx_python_changes_staged' -%}
    {%- if key not in context -%}
        {%- do context.update({key: is_incremental() and table_exists(python_changes_relation('leaving'))}) -%}
    {%- endif -%}
    {{ return(context[key]) }}
{%- endmacro %}

{#- Post-hooks of a Python model incremental by `key` that stages its changes (stage_changes):
    deletes the rows its build removed and that it did not build again, when staged (otherwise
    `otherwise`, the SQL of a delete that finds them); writes <model>__changes (`columns`) and __delta,
    no rows when not staged (a full build, or one that looked at everything). -#}
{% macro delete_python_rows_leaving(key, otherwise) -%}
    {%- if python_changes_staged() -%}
    delete from {{ this }}
    where {{ key }} in (select {{ key }} from {{ python_changes_relation('leaving') }})
        and {{ key }} not in (select {{ key }} from {{ python_changes_relation('arriving') }})
    {%- else -%}
    {{ otherwise }}
    {%- endif -%}
{%- endmacro %}

{% macro record_python_changes(key, columns) -%}
    {%- if python_changes_staged() -%}
    {{ write_changes(columns, python_changes_relation('leaving'),
        "(select * from " ~ this ~ " where " ~ key ~ " in (select " ~ key ~ " from " ~ python_changes_relation('arriving') ~ "))") }};
    drop table if exists {{ python_changes_relation('leaving') }};
    drop table if exists {{ python_changes_relation('arriving') }}
    {%- else -%}
    {{ write_changes(columns, none, none) }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of a model built from upstream changes (`delta`, or a Python model reading them through
    cx_unify/deltas.py): records, per upstream model, the build it is now built from, and the context
    (code, seeds, inputs, the macros named: upstream_delta) it was built with. -#}
{% macro record_consumed(upstreams, seeds={}, inputs=(), macros=()) -%}
    create or replace table {{ side_relation(this, 'consumed') }} as
    {%- for upstream in upstreams %}
    {%- set state = delta_state(ref(upstream)) %}
    select cast('{{ upstream }}' as {{ dbt.type_string() }}) as upstream,
        cast({{ "'" ~ state['built_by'] ~ "'" if state is not none else 'null' }} as {{ dbt.type_string() }}) as built_by,
        {{ record_context_digest(seeds, (), inputs, macros) }} as context
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
