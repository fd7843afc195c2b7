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
