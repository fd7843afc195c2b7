{#- Days and months as the business reports them. Timestamps are stored in UTC; a dashboard's periods are
    dates, and a company's BI tool counts a day or a month from its own local midnight. The reporting time
    zone (var `reporting_timezone`, from CX_REPORTING_TIMEZONE; UTC by default) says which midnight: a
    complaint made at 23:30 UTC on 31 May belongs to June in London (00:30 BST). With UTC the macros give
    the plain expressions (no conversion, no cost). -#}

{% macro reporting_timezone() -%}
    {{ return(var('reporting_timezone', 'UTC') | trim) }}
{%- endmacro %}

{% macro _reports_in_utc() -%}
    {{ return(reporting_timezone() | upper in ('UTC', 'ETC/UTC', 'Z', 'GMT', 'ETC/GMT', 'UTC+0', 'ZULU')) }}
{%- endmacro %}

{#- The reporting zone's wall-clock time of a UTC timestamp. -#}
{% macro to_reporting_time(ts) -%}
    {%- if _reports_in_utc() -%}{{ ts }}
    {%- else -%}{{ return(adapter.dispatch('to_reporting_time', 'cx_unify')(ts, reporting_timezone())) }}
    {%- endif -%}
{%- endmacro %}
{% macro duckdb__to_reporting_time(ts, tz) -%}timezone('{{ tz }}', timezone('UTC', {{ ts }})){%- endmacro %}
{% macro default__to_reporting_time(ts, tz) -%}((({{ ts }}) at time zone 'UTC') at time zone '{{ tz }}'){%- endmacro %}

{#- The UTC timestamp of a wall-clock time in the reporting zone. -#}
{% macro from_reporting_time(ts) -%}
    {%- if _reports_in_utc() -%}{{ ts }}
    {%- else -%}{{ return(adapter.dispatch('from_reporting_time', 'cx_unify')(ts, reporting_timezone())) }}
    {%- endif -%}
{%- endmacro %}
{% macro duckdb__from_reporting_time(ts, tz) -%}timezone('UTC', timezone('{{ tz }}', {{ ts }})){%- endmacro %}
{% macro default__from_reporting_time(ts, tz) -%}((({{ ts }}) at time zone '{{ tz }}') at time zone 'UTC'){%- endmacro %}

{#- The reporting day a UTC timestamp falls on (a date). -#}
{% macro reporting_date(ts) -%}
    cast({{ to_reporting_time(ts) }} as date)
{%- endmacro %}

{#- The first day of the reporting month a UTC timestamp falls on (a date). -#}
{% macro reporting_month(ts) -%}
    cast({{ dbt.date_trunc('month', to_reporting_time(ts)) }} as date)
{%- endmacro %}

{#- When a reporting day starts, in UTC: the local midnight of a date (a timestamp). -#}
{% macro reporting_day_starts_at(day) -%}
    {{ from_reporting_time('cast(' ~ day ~ ' as timestamp)') }}
{%- endmacro %}
