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
