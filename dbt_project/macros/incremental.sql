{#- Post-hook of models incremental by customer: delete the customers the identity map no longer has
    (merged into another customer, or their records withdrawn by a corrected file). A no-op on a full
    build. Runs inside the model's transaction. -#}
{% macro delete_customers_gone(key_column, identity_map) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where not exists (
        select 1 from {{ identity_map }} as current_keys
        where current_keys.{{ key_column }} = {{ this }}.{{ key_column }}
    )
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of models incremental by a key: delete the rows whose key no longer occurs in `relation`
    (e.g. a corrected file withdrew a complaint). key_pairs: [(column here, column there), ...]. A no-op on
    a full build. -#}
{% macro delete_rows_gone(relation, key_pairs) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where not exists (
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

{#- Post-hook of int_identity_pair_comparisons: delete the comparisons no candidate pair refers to tonight
    (a profile that gained or lost a record, clusters that merged) and those made by other comparison
    rules, so the table holds what a full build would. A no-op on a full build. -#}
{% macro delete_comparisons_gone(candidates) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where comparison_version <> '{{ identity_comparison_version() }}'
    or not exists (
        select 1 from {{ candidates }} as candidates
        where candidates.profile_a = {{ this }}.profile_a and candidates.profile_b = {{ this }}.profile_b
    )
    {%- endif -%}
{%- endmacro %}
