{#- Cross-database building blocks. Models are written in portable SQL (ANSI plus dbt's own cross-database
    macros: dbt.dateadd, dbt.date_trunc, dbt.listagg, dbt.bool_or, dbt.hash); whatever only DuckDB says
    lives here, behind adapter.dispatch. Moving to another adapter means adding `<adapter>__` variants
    where the `default__` one does not fit. Only the duckdb variants are exercised by the test suite;
    the defaults follow PostgreSQL / Trino, the closest to the standard. tests/dbt/test_portability.py
    keeps DuckDB-only syntax out of the models. -#}

{#- Every match of a regular expression replaced. -#}
{% macro regex_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'cx_unify')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro duckdb__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{% macro default__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{% macro snowflake__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#- Does the text match the regular expression (anywhere)? -#}
{% macro regex_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'cx_unify')(expr, pattern)) }}
{%- endmacro %}
{% macro duckdb__regex_matches(expr, pattern) -%}regexp_matches({{ expr }}, '{{ pattern }}'){%- endmacro %}
{% macro default__regex_matches(expr, pattern) -%}({{ expr }} ~ '{{ pattern }}'){%- endmacro %}

{#- One capture group of the first match, or null when the text does not match. -#}
{% macro regex_group(expr, pattern, group) -%}
    {{ return(adapter.dispatch('regex_group', 'cx_unify')(expr, pattern, group)) }}
{%- endmacro %}
{% macro duckdb__regex_group(expr, pattern, group) -%}
    nullif(regexp_extract({{ expr }}, '{{ pattern }}', {{ group }}), '')
{%- endmacro %}
{% macro default__regex_group(expr, pattern, group) -%}
    nullif((regexp_match({{ expr }}, '{{ pattern }}'))[{{ group }}], '')
{%- endmacro %}

{#- Words of a text sorted and joined by one space: "smith john" and "john smith" give the same key. -#}
{% macro sorted_words(expr) -%}
    {{ return(adapter.dispatch('sorted_words', 'cx_unify')(expr)) }}
{%- endmacro %}
{% macro duckdb__sorted_words(expr) -%}
    array_to_string(list_sort(string_split({{ expr }}, ' ')), ' ')
{%- endmacro %}
{% macro default__sorted_words(expr) -%}
    array_to_string(array(select w from unnest(string_to_array({{ expr }}, ' ')) as t(w) order by w), ' ')
{%- endmacro %}

{#- The last space-separated word of a text. -#}
{% macro last_word(expr) -%}
    {{ return(adapter.dispatch('last_word', 'cx_unify')(expr)) }}
{%- endmacro %}
{% macro duckdb__last_word(expr) -%}string_split({{ expr }}, ' ')[-1]{%- endmacro %}
{% macro default__last_word(expr) -%}split_part({{ expr }}, ' ', -1){%- endmacro %}

{#- Base-2 logarithm (Fellegi-Sunter weights are in bits). -#}
{% macro log2(expr) -%}{{ return(adapter.dispatch('log2', 'cx_unify')(expr)) }}{%- endmacro %}
{% macro duckdb__log2(expr) -%}log2({{ expr }}){%- endmacro %}
{% macro default__log2(expr) -%}(ln({{ expr }}) / ln(2.0)){%- endmacro %}

{#- A select of every row of `left` with `right_value` of the first row of `right` whose `right_key` is at or
    after the row's `left_key` (as `alias`); rows with none after them are left out. `right_key` must be
    unique in `right`. -#}
{% macro first_at_or_after(left, left_key, right, right_key, right_value, alias) -%}
    {{ return(adapter.dispatch('first_at_or_after', 'cx_unify')(left, left_key, right, right_key, right_value, alias)) }}
{%- endmacro %}
{% macro duckdb__first_at_or_after(left, left_key, right, right_key, right_value, alias) -%}
    select {{ left }}.*, {{ right }}.{{ right_value }} as {{ alias }}
    from {{ left }} asof join {{ right }} on {{ left }}.{{ left_key }} <= {{ right }}.{{ right_key }}
{%- endmacro %}
{% macro default__first_at_or_after(left, left_key, right, right_key, right_value, alias) -%}
    select found.*, {{ right }}.{{ right_value }} as {{ alias }}
    from (
        select {{ left }}.*, (
            select min(candidates.{{ right_key }}) from {{ right }} as candidates
            where candidates.{{ right_key }} >= {{ left }}.{{ left_key }}
        ) as found_key
        from {{ left }}
    ) as found
    inner join {{ right }} on {{ right }}.{{ right_key }} = found.found_key
{%- endmacro %}

{#- A fast, stable pseudo-random order key for a value (not a cryptographic hash). -#}
{% macro hash_order(expr) -%}{{ return(adapter.dispatch('hash_order', 'cx_unify')(expr)) }}{%- endmacro %}
{% macro duckdb__hash_order(expr) -%}hash({{ expr }}){%- endmacro %}
{% macro default__hash_order(expr) -%}{{ dbt.hash(expr) }}{%- endmacro %}

{#- Arrays. A profile keeps every distinct non-null value of an attribute in an array, in order. -#}
{% macro array_agg_distinct(expr) -%}
    {{ return(adapter.dispatch('array_agg_distinct', 'cx_unify')(expr)) }}
{%- endmacro %}
{#- list(distinct ...) keeps a hash table per aggregate: deduplicating each group's list is ~2x faster -#}
{% macro duckdb__array_agg_distinct(expr) -%}
    coalesce(list_sort(list_distinct(list({{ expr }}) filter (where {{ expr }} is not null))), [])
{%- endmacro %}
{% macro default__array_agg_distinct(expr) -%}
    coalesce(array_agg(distinct {{ expr }} order by {{ expr }}) filter (where {{ expr }} is not null), array[]::{{ dbt.type_string() }}[])
{%- endmacro %}

{#- An array as one string (elements in order, unit-separator between them): for fingerprints. -#}
{% macro array_text(expr) -%}{{ return(adapter.dispatch('array_text', 'cx_unify')(expr)) }}{%- endmacro %}
{% macro default__array_text(expr) -%}array_to_string({{ expr }}, chr(31)){%- endmacro %}

{#- A 128-bit digest of a string, for fingerprints that are joined on: a number where the database has one. -#}
{% macro digest(expr) -%}{{ return(adapter.dispatch('digest', 'cx_unify')(expr)) }}{%- endmacro %}
{% macro duckdb__digest(expr) -%}md5_number({{ expr }}){%- endmacro %}
{% macro default__digest(expr) -%}{{ dbt.hash(expr) }}{%- endmacro %}

{#- A fingerprint mixed with another digest (what else a row is built from: a seed, code, a key): a 64-bit
    integer hash, a fraction of an md5 per row. Fingerprints are matched against every fingerprint of
    a table (fingerprints_to_build): among millions, two equal by chance about once in 10^6 tables. -#}
{% macro mix_digest(fingerprint, other) -%}{{ return(adapter.dispatch('mix_digest', 'cx_unify')(fingerprint, other)) }}{%- endmacro %}
{% macro duckdb__mix_digest(fingerprint, other) -%}hash({{ fingerprint }}, {{ other }}){%- endmacro %}
{% macro default__mix_digest(fingerprint, other) -%}
    {{ digest("cast(" ~ fingerprint ~ " as " ~ dbt.type_string() ~ ") || '|' || cast(" ~ other ~ " as " ~ dbt.type_string() ~ ")") }}
{%- endmacro %}

{#- An order-independent digest of a group of fingerprints (aggregate of mix_digest values): sums the
    integers where they are numbers. -#}
{% macro fingerprint_set_digest(expr) -%}{{ return(adapter.dispatch('fingerprint_set_digest', 'cx_unify')(expr)) }}{%- endmacro %}
{% macro duckdb__fingerprint_set_digest(expr) -%}coalesce(sum({{ expr }}), 0){%- endmacro %}
{% macro default__fingerprint_set_digest(expr) -%}{{ text_set_digest("cast(" ~ expr ~ " as " ~ dbt.type_string() ~ ")") }}{%- endmacro %}

{#- An order-independent digest of a group's texts (aggregate; a repeated text counts again): md5-based, not
    hash(): DuckDB's string hash collides about once per 2^32 pairs (867 collisions among 2.5 M node ids). -#}
{% macro text_set_digest(expr) -%}{{ return(adapter.dispatch('text_set_digest', 'cx_unify')(expr)) }}{%- endmacro %}
{% macro duckdb__text_set_digest(expr) -%}coalesce(sum(md5_number_upper({{ expr }})), 0){%- endmacro %}
{#- elsewhere: a hash of the group's texts, sorted -#}
{% macro default__text_set_digest(expr) -%}
    {%- set text = "coalesce(cast(" ~ expr ~ " as " ~ dbt.type_string() ~ "), '~')" -%}
    coalesce({{ dbt.hash(dbt.listagg(text, "'\\n'", "order by " ~ text)) }}, '')
{%- endmacro %}

{#- An order-independent digest of a group of loaded rows (aggregate): each is its file version, row
    number and load time (staging picks a record's latest version by load time). In DuckDB each row
    hashes its path, the first 64 bits of its file's SHA-256 (read as an integer: DuckDB's string hash is
    weak, the file's own digest is not), its row number and load time: no join to a table of file
    versions, which cost ~2 s per 7 M rows, and no md5 per row (~3 s). -#}
{% macro file_rows_digest(file, file_sha256, row_number, loaded_at) -%}
    {{ return(adapter.dispatch('file_rows_digest', 'cx_unify')(file, file_sha256, row_number, loaded_at)) }}
{%- endmacro %}
{% macro duckdb__file_rows_digest(file, file_sha256, row_number, loaded_at) -%}
    coalesce(sum(hash({{ file }}, coalesce(try_cast('0x' || left({{ file_sha256 }}, 16) as ubigint), 0), {{ row_number }},
        {{ loaded_at }})), 0)
{%- endmacro %}
{% macro default__file_rows_digest(file, file_sha256, row_number, loaded_at) -%}
    {{ text_set_digest("coalesce(" ~ file ~ ", '~') || '|' || coalesce(" ~ file_sha256 ~ ", '~') || '|' || cast("
        ~ row_number ~ " as " ~ dbt.type_string() ~ ") || '|' || coalesce(cast(" ~ loaded_at ~ " as "
        ~ dbt.type_string() ~ "), '~')") }}
{%- endmacro %}

{% macro array_length(expr) -%}{{ return(adapter.dispatch('array_length', 'cx_unify')(expr)) }}{%- endmacro %}
{% macro duckdb__array_length(expr) -%}len({{ expr }}){%- endmacro %}
{% macro default__array_length(expr) -%}cardinality({{ expr }}){%- endmacro %}

{#- Do two arrays share an element? -#}
{% macro arrays_overlap(a, b) -%}{{ return(adapter.dispatch('arrays_overlap', 'cx_unify')(a, b)) }}{%- endmacro %}
{% macro duckdb__arrays_overlap(a, b) -%}list_has_any({{ a }}, {{ b }}){%- endmacro %}
{% macro default__arrays_overlap(a, b) -%}({{ a }} && {{ b }}){%- endmacro %}

{#- The smallest element two arrays share (null when none). -#}
{% macro arrays_common_element(a, b) -%}
    {{ return(adapter.dispatch('arrays_common_element', 'cx_unify')(a, b)) }}
{%- endmacro %}
{% macro duckdb__arrays_common_element(a, b) -%}list_min(list_intersect({{ a }}, {{ b }})){%- endmacro %}
{% macro default__arrays_common_element(a, b) -%}
    (select min(x) from unnest({{ a }}) as ua(x) where x = any({{ b }}))
{%- endmacro %}

{#- A join that gives one row per element of an array column: `from t {{ unnest_join('t.emails', 'u', 'email') }}`. -#}
{% macro unnest_join(array, alias, column) -%}
    {{ return(adapter.dispatch('unnest_join', 'cx_unify')(array, alias, column)) }}
{%- endmacro %}
{% macro default__unnest_join(array, alias, column) -%}
    cross join unnest({{ array }}) as {{ alias }}({{ column }})
{%- endmacro %}
{% macro snowflake__unnest_join(array, alias, column) -%}
    cross join lateral (select f.value as {{ column }} from table(flatten(input => {{ array }})) as f) as {{ alias }}
{%- endmacro %}

