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

{#- CTEs of a model incremental by record: `record_fingerprints`, one row per record of `raw` (keys:
    [(column here, column of raw), ...]) with an order-independent digest of its raw rows, each a (file
    version, row number) pair; `extra_digest`, a scalar SQL expression for what else the rows are built
    from (mapping seeds, variables), and the model's code (code_digest) are mixed into every file's
    digest. `changed_records`: the records whose fingerprint differs from the one built into `this` (all
    of them on a full build or when `this` has no source_fingerprint yet); `changed_rows`: their raw
    rows, with source_fingerprint. -#}
{% macro changed_records(raw, keys, extra_digest) -%}
{%- set fingerprinted = is_incremental() and relation_has_column(this, 'source_fingerprint') -%}
file_versions as (
    -- one digest per loaded file version: md5 once per file, not once per row
    select
        files._file,
        files._file_sha256,
        {{ digest("coalesce(files._file, '~') || '|' || coalesce(files._file_sha256, '~') || '|' || cast("
            ~ extra_digest ~ " as " ~ dbt.type_string() ~ ") || '|" ~ code_digest([model.unique_id]) ~ "'") }} as file_digest
    from (select distinct _file, _file_sha256 from {{ raw }}) as files
),

record_fingerprints as (
    select
        {%- for mine, theirs in keys %}
        raw_rows.{{ theirs }} as {{ mine }},
        {%- endfor %}
        {{ file_rows_digest('file_versions.file_digest', 'raw_rows._row') }} as source_fingerprint
    from {{ raw }} as raw_rows
    inner join file_versions
        on coalesce(raw_rows._file, '~') = coalesce(file_versions._file, '~')
        and coalesce(raw_rows._file_sha256, '~') = coalesce(file_versions._file_sha256, '~')
    group by {% for mine, theirs in keys %}raw_rows.{{ theirs }}{% if not loop.last %}, {% endif %}{% endfor %}
),

changed_records as (
    select record_fingerprints.*
    from record_fingerprints
    {%- if fingerprinted %}
    left join (
        select {% for mine, _ in keys %}{{ mine }}, {% endfor %}min(source_fingerprint) as source_fingerprint
        from {{ this }}
        group by {% for mine, _ in keys %}{{ mine }}{% if not loop.last %}, {% endif %}{% endfor %}
    ) as built
        on {% for mine, _ in keys %}record_fingerprints.{{ mine }} = built.{{ mine }}{% if not loop.last %} and {% endif %}{% endfor %}
    where built.source_fingerprint is null or built.source_fingerprint <> record_fingerprints.source_fingerprint
    {%- endif %}
),

changed_rows as (
    -- every raw row of the records to build (all versions: a model picks the one it needs)
    select raw_rows.*, changed_records.source_fingerprint
    from {{ raw }} as raw_rows
    inner join changed_records
        on {% for mine, theirs in keys %}raw_rows.{{ theirs }} = changed_records.{{ mine }}{% if not loop.last %} and {% endif %}{% endfor %}
)
{%- endmacro %}

{#- A scalar SQL expression: an order-independent digest of a seed's rows (the columns named), for
    changed_records' extra_digest. -#}
{% macro seed_digest(seed, columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
    {%- endfor -%}
    cast((select {{ text_set_digest(parts | join(" || '|' || ")) }} from {{ ref(seed) }}) as {{ dbt.type_string() }})
{%- endmacro %}

{#- Configures a model incremental by record over raw.<raw_table> (keys: [(column here, column of raw),
    ...]): delete+insert by key, the records to build chosen with changed_records, records whose rows
    are gone from raw deleted after the insert. -#}
{% macro incremental_by_record(raw_table, keys) -%}
    {%- set unique_key = [] -%}
    {%- for mine, _ in keys %}{% do unique_key.append(mine) %}{% endfor -%}
    {{ config(
        materialized='incremental',
        unique_key=unique_key,
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_rows_gone(source('raw', '" ~ raw_table ~ "'), " ~ keys ~ ") }}"
    ) }}
{%- endmacro %}

{#- md5 of the code of the given nodes (unique ids) and of every macro of this project they call, directly,
    through other macros or through adapter.dispatch (<adapter>__ / default__ implementations): kept rows
    built by other code are built again. (Not covered: Python functions registered into DuckDB, e.g.
    cx_e164: after changing one, run a full refresh.) -#}
{% macro code_digest(node_ids) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set parts = [] -%}
    {%- set todo = [] -%}
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

{#- Configures a model incremental by fingerprint: delete+insert by `keys`. `fingerprints_macro` names a
    macro that selects the keys and source_fingerprint of every row the model should hold now (a digest
    of the row's inputs that starts from its records' own raw rows, so no two records share one). A
    pre-hook stages them as a temporary table (current_fingerprints_relation), which the model reads
    through fingerprints_to_build; after the insert, the rows whose fingerprint is not current (records
    gone, changed, or no longer qualifying) are deleted. -#}
{% macro incremental_by_fingerprint(keys, fingerprints_macro) -%}
    {%- set current = current_fingerprints_relation() -%}
    {{ config(
        materialized='incremental',
        unique_key=keys,
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook=[
            "drop table if exists " ~ current,
            "create temporary table " ~ current ~ " as {{ " ~ fingerprints_macro ~ "() }}",
        ],
        post_hook=[
            "{{ delete_rows_not_current() }}",
            "drop table if exists " ~ current,
        ]
    ) }}
{%- endmacro %}

{#- The temporary table of a model's current fingerprints (incremental_by_fingerprint). -#}
{% macro current_fingerprints_relation() -%}
    {{ return(model.name ~ '__current_fingerprints') }}
{%- endmacro %}

{#- The current fingerprints not built into this model yet (all of them on a full build, or when this has
    no source_fingerprint yet). Matched on the fingerprint alone: an integer join, ~5x faster than on
    text keys, and a fingerprint names one version of one record. -#}
{% macro fingerprints_to_build() -%}
    select current_rows.* from {{ current_fingerprints_relation() }} as current_rows
    {%- if is_incremental() and relation_has_column(this, 'source_fingerprint') %}
    where not exists (
        select 1 from {{ this }} as built where built.source_fingerprint = current_rows.source_fingerprint
    )
    {%- endif %}
{%- endmacro %}

{#- Post-hook of models incremental by fingerprint: delete the rows whose source_fingerprint is not
    current. A no-op on a full build. -#}
{% macro delete_rows_not_current() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where not exists (
        select 1 from {{ current_fingerprints_relation() }} as current_rows
        where current_rows.source_fingerprint = {{ this }}.source_fingerprint
    )
    {%- endif -%}
{%- endmacro %}
