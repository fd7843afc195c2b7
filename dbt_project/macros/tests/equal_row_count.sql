{#- Generic test: the model has as many rows as compare_model (e.g. every candidate pair was scored). -#}
{% test equal_row_count(model, compare_model) %}
select model_rows, compare_rows
from (
    select
        (select count(*) from {{ model }}) as model_rows,
        (select count(*) from {{ compare_model }}) as compare_rows
) as counts
where model_rows <> compare_rows
{% endtest %}
