{#- Post-hook of models incremental by a key: delete the rows whose key no longer occurs in `relation`
    (a customer merged into another, a complaint a corrected file withdrew), and those matching `or_where`
    when given. key_pairs: [(column here, column there), ...]. A no-op on a full build; runs inside the
    model's transaction. -#}
{% macro delete_rows_gone(relation, key_pairs, or_where=none) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where {% if or_where %}{{ or_where }} or {% endif %}not exists (
        select 1 from {{ relation }} as current_rows
        where {% for mine, theirs in key_pairs -%}
            current_rows.{{ theirs }} = {{ this }}.{{ mine }}{% if not loop.last %} and {% endif %}
        {%- endfor %}
    )
    {%- endif -%}
{%- endmacro %}

{#- Whether a built relation has the column (false before it is built, or while dbt parses): lets an
    incremental model tell a table built by an older version of itself, without the column, from its
    own. -#}
{% macro relation_has_column(relation, column) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return(column | lower in columns) }}
{%- endmacro %}

{#- A select of every record of `raw` (keys: [(column here, column of raw), ...]) with inputs_fingerprint:
    an order-independent digest of its raw rows (file version, row number, load time) and its key, mixed
    with the mapping seeds the rows are built with (seeds: {seed: [columns]}) and the variables they
    depend on (vars: [names]). Staged by incremental_by_record's pre-hook. -#}
{% macro record_fingerprints(raw, keys, seeds={}, vars=[]) -%}
    {%- set inputs = ["''"] + record_input_parts(seeds, vars) -%}
    {%- set key_text = [] -%}
    {%- for mine, theirs in keys %}{% do key_text.append("coalesce(cast(" ~ theirs ~ " as " ~ dbt.type_string() ~ "), '~')") %}{% endfor %}
    select
        {%- for mine, theirs in keys %}
        {{ theirs }} as {{ mine }},
        {%- endfor %}
        {#- the key too: two records made from the same rows (an unpivoted file) differ -#}
        {{ mix_digest(mix_digest(file_rows_digest('_file', '_file_sha256', '_row', '_ingested_at'),
            hash_order(key_text | join(" || '|' || "))), digest(inputs | join(" || '|' || "))) }}
            as inputs_fingerprint
    from {{ raw }}
    group by {% for mine, theirs in keys %}{{ theirs }}{% if not loop.last %}, {% endif %}{% endfor %}
{%- endmacro %}

{#- CTEs of a model incremental by record (incremental_by_record, with the same arguments):
    `changed_records`, the records whose fingerprint (record_fingerprints) is not built into this model
    yet (all of them on a full build); `changed_rows`, their raw rows (all versions: a model picks the
    one it needs) with source_fingerprint. -#}
{% macro changed_records(raw, keys, seeds={}, vars=[]) -%}
changed_records as (
    {{ fingerprints_to_build(record_fingerprints(raw, keys, seeds, vars)) }}
),

changed_rows as (
    select raw_rows.*, changed_records.source_fingerprint
    from {{ raw }} as raw_rows
    inner join changed_records
        on {% for mine, theirs in keys %}raw_rows.{{ theirs }} = changed_records.{{ mine }}{% if not loop.last %} and {% endif %}{% endfor %}
)
{%- endmacro %}

{#- A scalar SQL expression: an order-independent digest of a seed's rows (the columns named), for
    record fingerprints. -#}
{% macro seed_digest(seed, columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
    {%- endfor -%}
    cast((select {{ text_set_digest(parts | join(" || '|' || ")) }} from {{ ref(seed) }}) as {{ dbt.type_string() }})
{%- endmacro %}

{#- Configures a model incremental by record over raw.<raw_table> (keys: [(column here, column of raw),
    ...]; seeds and vars: what else its rows are built from, see record_fingerprints): incremental by
    fingerprint, the fingerprints being the records' (record_fingerprints). The model reads the records
    to build through changed_records; records gone from raw are deleted after the insert.
    A night that only added file versions to raw fingerprints only the records those versions touch
    (record_delta_applies); the model keeps, beside itself, the file versions it was built from
    (<model>__built_versions). With `changes` (its columns), it keeps the rows its build removed and added
    for the models downstream (macros/deltas.sql). -#}
{% macro incremental_by_record(raw_table, keys, seeds={}, vars=[], changes=none) -%}
    {%- set unique_key = [] -%}
    {%- for mine, _ in keys %}{% do unique_key.append(mine) %}{% endfor -%}
    {%- set raw_call = "source('raw', '" ~ raw_table ~ "')" -%}
    {{ incremental_by_fingerprint(unique_key,
        "record_fingerprints(" ~ raw_call ~ ", " ~ keys ~ ", " ~ seeds ~ ", " ~ vars ~ ")",
        [raw_call, keys, seeds, vars], changes=changes) }}
{%- endmacro %}

{#- The file versions of `raw` (path, SHA-256) with their rows and latest load time: what the records of
    a model incremental by record are built from. Staged by its pre-hook as <current>_versions. -#}
{% macro raw_file_versions(raw) -%}
    select _file, _file_sha256, count(*) as loaded_rows, max(_ingested_at) as loaded_at
    from {{ raw }}
    group by _file, _file_sha256
{%- endmacro %}

{#- SQL scalar expressions of what else than its raw rows a record is built from: each seed's digest (the
    columns named), each variable as name=value; in a fixed order. -#}
{% macro record_input_parts(seeds, vars) -%}
    {%- set parts = [] -%}
    {%- for seed, columns in seeds.items() | sort -%}{% do parts.append(seed_digest(seed, columns)) %}{%- endfor -%}
    {%- for name in vars | sort -%}{% do parts.append("'" ~ name ~ "=" ~ var(name) ~ "'") %}{%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- A scalar SQL expression: the digest of everything but raw rows a record's rows are built from (the
    model's code, its seeds' rows, its variables), as record_fingerprints mixes them in; and of `inputs`,
    the names of macros that each give a scalar SQL expression of another input (a delta's: a table written
    outside dbt), and the code of the macros named in `macros` (called by name, so not in the model's
    own dependencies: a delta's candidates). -#}
{% macro record_context_digest(seeds, vars, inputs=(), macros=()) -%}
    {%- set parts = ["'" ~ code_digest([model.unique_id], macros) ~ "'"] + record_input_parts(seeds, vars) -%}
    {%- for name in inputs %}{% do parts.append("cast((" ~ context.get(name)() ~ ") as " ~ dbt.type_string() ~ ")") %}{% endfor -%}
    cast({{ digest(parts | join(" || '|' || ")) }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- The table of the file versions a model incremental by record was last built from. -#}
{% macro built_versions_relation() -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__built_versions'})) }}
{%- endmacro %}

{#- Whether tonight's build of a model incremental by record needs only the records that tonight's new
    file versions touch: it holds its rows by fingerprint, was last built by the same code, seeds and
    variables, and every file version it was built from is still in raw, with the same rows and load
    time (none replaced, withdrawn, forgotten or loaded again). Then no other record's raw rows changed,
    so no other record's fingerprint did. Otherwise every record is fingerprinted, as on a full build.
    Asked once per build, after the pre-hook staged the current file versions (not before: the answer
    reads them, and is kept), and kept in the build's context (as builds_only_new_fingerprints): the
    hooks that stage, find leaving and delete agree. -#}
{% macro record_delta_applies(seeds, vars) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set key = '_cx_record_delta_applies' -%}
    {%- if key not in context -%}
        {%- do context.update({key: record_delta_holds(seeds, vars)}) -%}
    {%- endif -%}
    {{ return(context[key]) }}
{%- endmacro %}

{% macro record_delta_holds(seeds, vars) -%}
    {%- if model.resource_type == 'unit_test' or not builds_only_new_fingerprints() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set built = built_versions_relation() -%}
    {%- if adapter.get_relation(built.database, built.schema, built.identifier) is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query(
        "select count(*) as versions, count(case when built.context <> " ~ record_context_digest(seeds, vars)
        ~ " or now_versions._file is null then 1 end) as stale from " ~ built ~ " as built left join "
        ~ current_fingerprints_relation() ~ "_versions as now_versions on now_versions._file = built._file"
        ~ " and now_versions._file_sha256 = built._file_sha256 and now_versions.loaded_rows = built.loaded_rows"
        ~ " and now_versions.loaded_at = built.loaded_at") -%}
    {%- set counts = found.rows | first -%}
    {{ return(counts['versions'] > 0 and counts['stale'] == 0) }}
{%- endmacro %}

{#- A select of the current fingerprints (current_fingerprints) of a model incremental by record: of the
    records tonight's new file versions touch when record_delta_applies, of every record otherwise. -#}
{% macro current_record_fingerprints(raw, keys, seeds, vars) -%}
    {%- if record_delta_applies(seeds, vars) -%}
        {%- set touched -%}
        (select raw_rows.* from {{ raw }} as raw_rows
        where exists (
            select 1 from {{ raw }} as new_rows
            inner join (
                select _file, _file_sha256 from {{ current_fingerprints_relation() }}_versions
                except
                select _file, _file_sha256 from {{ built_versions_relation() }}
            ) as new_versions on new_rows._file = new_versions._file and new_rows._file_sha256 = new_versions._file_sha256
            where {% for mine, theirs in keys -%}
                new_rows.{{ theirs }} is not distinct from raw_rows.{{ theirs }}{% if not loop.last %} and {% endif %}
            {%- endfor %}
        ))
        {%- endset -%}
    {{ current_fingerprints(record_fingerprints(touched, keys, seeds, vars)) }}
    {%- else -%}
    {{ current_fingerprints(record_fingerprints(raw, keys, seeds, vars)) }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of a model incremental by record: the file versions it is now built from, and the context
    digest of the code, seeds and variables they were built with (record_delta_applies). -#}
{% macro record_built_versions(seeds, vars) -%}
    create or replace table {{ built_versions_relation() }} as
    select versions.*, {{ record_context_digest(seeds, vars) }} as context
    from {{ current_fingerprints_relation() }}_versions as versions
{%- endmacro %}

{#- md5 of the code of the given nodes (unique ids), of the macros of this project named in `macros`, and of
    every macro of this project they call, directly,
    through other macros or through adapter.dispatch (<adapter>__ / default__ implementations): kept rows
    built by other code are built again. (Not covered: Python functions registered into DuckDB, e.g.
    cx_e164, macros of dbt itself or of its adapter, and DuckDB's own functions: after upgrading or
    changing one of these, run `cx-unify run --full-refresh`; the analyst file is then written in full by itself, see
    pipelines/publish/analyst_file.py.) -#}
{% macro code_digest(node_ids, macros=()) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set parts = [] -%}
    {%- set todo = [] -%}
    {%- for name in macros %}{% do todo.append('macro.' ~ project_name ~ '.' ~ name) %}{% endfor -%}
    {%- set seen = [] -%}
    {%- for node_id in node_ids -%}
        {%- set node = graph.get('nodes', {}).get(node_id) -%}  {#- none in a unit test -#}
        {%- if node is not none -%}
            {%- do parts.append(node.raw_code) -%}
            {%- do todo.extend(node.depends_on.macros) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- breadth first over the macro graph (Jinja has no while: a bounded loop over a growing list) -#}
    {%- for _ in range(2000) -%}
        {%- if todo -%}
            {%- set macro_id = todo.pop(0) -%}
            {%- if macro_id not in seen and macro_id.startswith('macro.' ~ project_name ~ '.') -%}
                {%- do seen.append(macro_id) -%}
                {%- set name = macro_id.split('.')[-1] -%}
                {%- for candidate in [name, adapter.type() ~ '__' ~ name, 'default__' ~ name] -%}
                    {%- set found = context.get(candidate) -%}
                    {%- if found is not none and found.macro is defined and found.macro.package_name == project_name
                        and (candidate == name or found.macro.unique_id not in seen) -%}
                        {%- do parts.append(found.macro.macro_sql) -%}
                        {%- do todo.extend(found.macro.depends_on.macros) -%}
                        {%- do seen.append(found.macro.unique_id) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}

{#- Configures a model incremental by fingerprint, keyed by `keys`. `fingerprints_call` is a call
    (as text) of a macro that selects the keys and inputs_fingerprint of every row the model should hold
    now: a digest of the row's inputs that starts from its records' own raw rows and keys, so no two
    records share one. A pre-hook stages them, with source_fingerprint (current_fingerprints: the inputs
    and the model's code), as a temporary table (current_fingerprints_relation), and those not built yet
    as another (stage_fingerprints_to_build), which the model reads through fingerprints_to_build; after
    the insert, the rows whose fingerprint is not current (records gone, changed, or no longer
    qualifying) are deleted. The build appends (dbt's append strategy): the old rows of a key built again
    carry a fingerprint that is no longer current, so that delete removes them too, in the same
    transaction. A delete+insert's delete by `keys` before it joined every row's text keys, again (SF 10's
    incremental night: 1.2 s over the kept models). `keys` stays the model's unique_key: the tests and the
    analyst file's patch read it. The temporary tables exist only while dbt builds the model: its
    compiled SQL does not run on its own (dbt show, by hand). -#}
{% macro incremental_by_fingerprint(keys, fingerprints_call, record=none, changes=none, delta=none) -%}
    {%- set current = current_fingerprints_relation() -%}
    {%- if record is none -%}
        {%- set stage_current = ["create temporary table " ~ current ~ " as {{ current_fingerprints(" ~ fingerprints_call ~ ") }}"] -%}
        {%- set delete_call = "delete_rows_not_current()" -%}
        {%- set record_hooks = [] -%}
    {%- else -%}
        {#- record: (raw relation call, keys, seeds, vars) of a model incremental by record -#}
        {%- set raw_call, record_keys, seeds, vars = record -%}
        {%- set inputs = seeds ~ ", " ~ vars -%}
        {%- set stage_current = [
            "drop table if exists " ~ current ~ "_versions",
            "create temporary table " ~ current ~ "_versions as {{ raw_file_versions(" ~ raw_call ~ ") }}",
            "create temporary table " ~ current ~ " as {{ current_record_fingerprints(" ~ raw_call ~ ", "
                ~ record_keys ~ ", " ~ inputs ~ ") }}",
        ] -%}
        {%- set delete_call = "delete_rows_not_current(" ~ record_keys ~ ", " ~ inputs ~ ")" -%}
        {%- set record_hooks = [
            "{{ record_built_versions(" ~ inputs ~ ") }}",
            "drop table if exists " ~ current ~ "_versions",
        ] -%}
    {%- endif -%}
    {#- changes (columns) / delta: changes carried downstream, macros/deltas.sql -#}
    {%- if delta is not none and changes is none -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": incremental_by_fingerprint with delta needs changes (the rows leaving are found among the candidates)") }}
    {%- endif -%}
    {%- set delta_hooks = {'stage': [], 'record': []} -%}
    {%- if delta is not none -%}
        {%- do delta_hooks.stage.append("{{ stage_delta_candidates(" ~ delta ~ ") }}") -%}
        {%- do delta_hooks.record.append("{{ record_consumed(" ~ (delta.upstreams | list) ~ ", " ~ delta.get('seeds', {}) ~ ", "
            ~ delta.get('inputs', ()) ~ ", " ~ (delta.upstreams.values() | list) ~ ") }}") -%}
    {%- endif -%}
    {%- if changes is not none -%}
        {%- set delete_hooks = ["{{ delete_rows_leaving() }}", "{{ record_changes(" ~ changes ~ ") }}"] -%}
        {%- set leaving_hooks = ["{{ stage_rows_leaving(" ~ keys ~ ", " ~ changes ~ ", " ~ delta ~ ", "
            ~ ("none" if record is none else "(" ~ inputs ~ ")") ~ ") }}"] -%}
    {%- else -%}
        {%- set delete_hooks = ["{{ " ~ delete_call ~ " }}"] -%}
        {%- set leaving_hooks = [] -%}
    {%- endif -%}
    {%- set side_tables = ["", "_to_build", "_candidates", "_leaving"] -%}
    {%- set drops = [] -%}
    {%- for suffix in side_tables %}{% do drops.append("drop table if exists " ~ current ~ suffix) %}{% endfor -%}
    {{ config(
        materialized='incremental',
        unique_key=keys,
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook=drops + delta_hooks.stage + stage_current + [
            "{{ stage_fingerprints_to_build() }}",
        ] + leaving_hooks,
        post_hook=delete_hooks + record_hooks + delta_hooks.record + drops
    ) }}
{%- endmacro %}

{#- A select of `fingerprints_sql` (keys and inputs_fingerprint) with each row's source_fingerprint: its
    inputs mixed with the model's code (code_digest), so rows built by other code are built again. -#}
{% macro current_fingerprints(fingerprints_sql) -%}
    select inputs.*,
        {{ mix_digest('inputs.inputs_fingerprint', digest("'" ~ code_digest([model.unique_id]) ~ "'")) }} as source_fingerprint
    from ({{ fingerprints_sql }}) as inputs
{%- endmacro %}

{#- The temporary table of a model's current fingerprints (incremental_by_fingerprint). -#}
{% macro current_fingerprints_relation() -%}
    {{ return(model.name ~ '__current_fingerprints') }}
{%- endmacro %}

{#- The current fingerprints not built into this model yet (all of them on a full build, or when this has
    no source_fingerprint yet). The fingerprints are read from the tables the pre-hooks staged; a unit
    test runs no hooks, so there `fingerprints_sql` (the select the pre-hook stages) is read instead. -#}
{% macro fingerprints_to_build(fingerprints_sql) -%}
    {%- if model.resource_type == 'unit_test' -%}
    select current_rows.* from ({{ current_fingerprints(fingerprints_sql) }}) as current_rows
    {%- elif builds_only_new_fingerprints() -%}
    select current_rows.* from {{ current_fingerprints_relation() }}_to_build as current_rows
    {%- else -%}
    select current_rows.* from {{ current_fingerprints_relation() }} as current_rows
    {%- endif %}
{%- endmacro %}

{#- Whether this build adds only the rows of fingerprints it does not hold (an incremental build of a table
    that has source_fingerprint), not every current one. Asked once per build: the answer is kept in the
    build's context (dbt renders every hook of a build in it), so each hook asks no query of its own
    (~10 hooks a model; each lookup of the table's columns cost dbt ~16 ms of Python), and all of them
    agree even when the build appends the column (a table built by an older version). -#}
{% macro builds_only_new_fingerprints() -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set key = '_cx_builds_only_new_fingerprints' -%}
    {%- if key not in context -%}
        {%- do context.update({key: is_incremental() and relation_has_column(this, 'source_fingerprint')}) -%}
    {%- endif -%}
    {{ return(context[key]) }}
{%- endmacro %}

{#- Pre-hook of models incremental by fingerprint: stages the current fingerprints this model does not hold
    yet as <current_fingerprints_relation>_to_build (nothing on a full build: every current one is built).
    Matched on the fingerprint alone: an integer join, ~5x faster than on text keys, and a fingerprint
    names one version of one record. Staged before the model's query, because inside it DuckDB's optimizer
    joined every raw row to the current fingerprints first and filtered the built ones out after (SF 10's
    6.8 M complaint changes, nothing new: 3.1 s; from the staged few: 0.3 s in all). -#}
{% macro stage_fingerprints_to_build() -%}
    {%- if builds_only_new_fingerprints() -%}
    create temporary table {{ current_fingerprints_relation() }}_to_build as
    select current_rows.* from {{ current_fingerprints_relation() }} as current_rows
    where not exists (
        select 1 from {{ this }} as built where built.source_fingerprint = current_rows.source_fingerprint
    )
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of models incremental by fingerprint: delete the rows whose source_fingerprint is not
    current. A no-op on a full build. A model incremental by record (record_keys, seeds, vars given) whose
    current fingerprints are only the records tonight's new file versions touch (record_delta_applies)
    deletes only among those records: no other record changed. -#}
{% macro delete_rows_not_current(record_keys=none, seeds={}, vars=[]) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where not exists (
        select 1 from {{ current_fingerprints_relation() }} as current_rows
        where current_rows.source_fingerprint = {{ this }}.source_fingerprint
    )
    {%- if record_keys is not none and record_delta_applies(seeds, vars) %}
        and exists (
            select 1 from {{ current_fingerprints_relation() }} as touched
            where {% for mine, _ in record_keys -%}
                touched.{{ mine }} is not distinct from {{ this }}.{{ mine }}{% if not loop.last %} and {% endif %}
            {%- endfor %}
        )
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of an incremental Python model: drop the staging tables its adapter leaves behind. dbt-duckdb's
    delete+insert first writes the model's result to a table named <model>__dbt_tmp<timestamp> in the
    main schema (a SQL model's is temporary, a Python model's a real table) and never drops it, so every
    night would leave one more in the warehouse. Renders to nothing when there is none (and on other
    adapters). -#}
{% macro drop_python_staging_tables() -%}
    {{ return(adapter.dispatch('drop_python_staging_tables', 'cx_unify')()) }}
{%- endmacro %}
{% macro default__drop_python_staging_tables() -%}
{%- endmacro %}
{% macro duckdb__drop_python_staging_tables() -%}
    {%- if execute and model.language == 'python' -%}
        {%- set found = run_query(
            "select schema_name, table_name from duckdb_tables() where database_name = '" ~ this.database
            ~ "' and starts_with(table_name, '" ~ this.identifier ~ "__dbt_tmp')") -%}
        {%- for schema_name, table_name in found.rows -%}
            drop table if exists "{{ this.database }}"."{{ schema_name }}"."{{ table_name }}";
        {% endfor -%}
    {%- endif -%}
{%- endmacro %}
