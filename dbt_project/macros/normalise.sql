{#- Identifier normalisation. DuckDB-specific functions stay behind adapter.dispatch so the project
    can move to another adapter by adding that adapter's variant. -#}

{% macro normalize_email(col) -%}{{ return(adapter.dispatch('normalize_email', 'cx_unify')(col)) }}{%- endmacro %}
{% macro default__normalize_email(col) -%}
    {#- the address of "Ann Lee <ann.lee@example.com>" (a mail client's display form) -#}
    {%- set address = "trim(replace(lower(coalesce(" ~ regex_group(col, '<([^<>]+@[^<>]+)>', 1) ~ ", " ~ col ~ ")), 'mailto:', ''))" -%}
    case
        when {{ regex_matches(address, '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') }}
            then {{ address }}
    end
{%- endmacro %}

{#- A phone number in E.164, read in the region `region` (an expression; CX_PHONE_REGION by default) when
    it is written without its country code. -#}
{% macro normalize_phone(col, region=none) -%}{{ return(adapter.dispatch('normalize_phone', 'cx_unify')(col, region)) }}{%- endmacro %}
{% macro duckdb__normalize_phone(col, region) -%}
    cx_e164({{ col }}, {{ region or ("'" ~ var("phone_region") ~ "'") }})
{%- endmacro %}
{% macro default__normalize_phone(col, region) -%}
    nullif({{ regex_replace_all(col, '[^0-9+]', '') }}, '')
{%- endmacro %}

{#- Postcodes compared without spaces, upper case. -#}
{% macro normalize_postcode(col) -%}
    nullif(upper({{ regex_replace_all(col, '\s+', '') }}), '')
{%- endmacro %}

{#- Folded text for matching: lower case, accents stripped, only letters (of any script: Иван, 李娜 stay
    themselves, so two people's names still tell them apart), digits and single spaces. -#}
{% macro fold_text(col) -%}{{ return(adapter.dispatch('fold_text', 'cx_unify')(col)) }}{%- endmacro %}
{#- lower case first (Ø, Ł), then the letters strip_accents keeps (ß is ss, as a German writes it without
    the letter); an apostrophe joins (O'Brien is obrien, not the first name "o" and "brien") -#}
{% macro duckdb__fold_text(col) -%}
    {%- set folded = namespace(text="lower(" ~ col ~ ")") -%}
    {%- for letter, plain in [('ß', 'ss'), ('æ', 'ae'), ('œ', 'oe'), ('ø', 'o'), ('ł', 'l'), ('ı', 'i'), ('đ', 'd'), ('ð', 'd'), ('þ', 'th'), ("''", ''), ('’', ''), ('‘', ''), ('´', ''), ('`', ''), ('ʼ', '')] -%}
        {%- set folded.text = "replace(" ~ folded.text ~ ", '" ~ letter ~ "', '" ~ plain ~ "')" -%}
    {%- endfor %}
    nullif(trim(regexp_replace(strip_accents({{ folded.text }}), '[^\p{L}\p{N}]+', ' ', 'g')), '')
{%- endmacro %}
{% macro default__fold_text(col) -%}
    nullif(trim({{ regex_replace_all("replace(lower(" ~ col ~ "), '''', '')", '[^[:alnum:]]+', ' ') }}), '')
{%- endmacro %}

{#- "Last, First" -> "First Last", then folded. -#}
{% macro fold_person_name(col) -%}
    {{ fold_text("case when " ~ col ~ " like '%,%' then trim(split_part(" ~ col ~ ", ',', 2)) || ' ' || trim(split_part(" ~ col ~ ", ',', 1)) else " ~ col ~ " end") }}
{%- endmacro %}

{#- Seconds from start to end: whole seconds where the timestamps are (the sources' are), so a sum of
    them is exact in any order (a sum of fractional hours is not: an incremental build and a full one
    would differ in the last digits). -#}
{% macro seconds_between(start_col, end_col) -%}
    {{ return(adapter.dispatch('seconds_between', 'cx_unify')(start_col, end_col)) }}
{%- endmacro %}
{% macro duckdb__seconds_between(start_col, end_col) -%}
    (epoch({{ end_col }}) - epoch({{ start_col }}))
{%- endmacro %}
{% macro default__seconds_between(start_col, end_col) -%}
    {{ dbt.datediff(start_col, end_col, 'second') }}
{%- endmacro %}

{% macro hours_between(start_col, end_col) -%}
    ({{ seconds_between(start_col, end_col) }} / 3600.0)
{%- endmacro %}

{#- String similarity for record linkage (0..1, 1 = equal) and edit distance with transpositions. -#}
{% macro name_similarity(a, b) -%}{{ return(adapter.dispatch('name_similarity', 'cx_unify')(a, b)) }}{%- endmacro %}
{% macro duckdb__name_similarity(a, b) -%}jaro_winkler_similarity({{ a }}, {{ b }}){%- endmacro %}

{% macro edit_distance(a, b) -%}{{ return(adapter.dispatch('edit_distance', 'cx_unify')(a, b)) }}{%- endmacro %}
{% macro duckdb__edit_distance(a, b) -%}damerau_levenshtein({{ a }}, {{ b }}){%- endmacro %}

{#- The value of the row with the smallest `order_by` in a group (ties: make order_by unique). -#}
{% macro first_by(value, order_by) -%}{{ return(adapter.dispatch('first_by', 'cx_unify')(value, order_by)) }}{%- endmacro %}
{% macro duckdb__first_by(value, order_by) -%}arg_min({{ value }}, {{ order_by }}){%- endmacro %}
{% macro default__first_by(value, order_by) -%}min_by({{ value }}, {{ order_by }}){%- endmacro %}
{% macro last_by(value, order_by) -%}{{ return(adapter.dispatch('last_by', 'cx_unify')(value, order_by)) }}{%- endmacro %}
{% macro duckdb__last_by(value, order_by) -%}arg_max({{ value }}, {{ order_by }}){%- endmacro %}
{% macro default__last_by(value, order_by) -%}max_by({{ value }}, {{ order_by }}){%- endmacro %}

{#- A total order of change events: time, then the record's place in its file (null without a time). DuckDB
    compares a struct field by field: the time as a time. The text of other adapters is exact to the
    second only (10:00:00.5 sorts before 10:00:00, '.' < '|'). -#}
{% macro event_order() -%}{{ return(adapter.dispatch('event_order', 'cx_unify')()) }}{%- endmacro %}
{% macro duckdb__event_order() -%}
case when event_at is not null then struct_pack(t := event_at, f := coalesce(source_file, ''), r := coalesce(source_row, 0)) end
{%- endmacro %}
{% macro default__event_order() -%}
cast(event_at as varchar) || '|' || coalesce(source_file, '') || '|' || lpad(cast(coalesce(source_row, 0) as varchar), 12, '0')
{%- endmacro %}

{#- What a typing error in an address leaves unchanged: the local part's dots, underscores and digits
    (its letters removed) and the domain. Namesakes' addresses differ in exactly these ("jo.smith",
    "jo_smith", "josmith1"); a typo of one address keeps them. -#}
{% macro email_shape(email) -%}
    {{ regex_replace_all("split_part(" ~ email ~ ", '@', 1)", '[a-z]', '') }} || '@' || split_part({{ email }}, '@', 2)
{%- endmacro %}

{#- The country a record's phone number is read in: its own (customer_phone_region, upper case), else
    CX_PHONE_REGION. -#}
{% macro phone_region_of(col) -%}
    upper(coalesce(nullif(trim({{ col }}), ''), '{{ var("phone_region") }}'))
{%- endmacro %}
