{#- The order of a window over the versions of one record (or, rows=false, the files holding one key),
    newest first: the newer export by its file's modification time (load time for rows loaded before that
    was recorded), then by its name, then the later row. Not the night a file was loaded, so a rebuild
    keeps the same versions as the nights did. -#}
{% macro newer_export_first(rows=true) -%}
    coalesce(_file_modified_at, _ingested_at) desc, _file desc{% if rows %}, _row desc{% endif %}
{%- endmacro %}
