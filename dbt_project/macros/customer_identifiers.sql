{#- The identifying columns every staging model that names a customer exposes, normalised the same way:
    email_norm, phone_e164, name_folded ("first last"), birth_date, postcode_norm, city_folded.
    `phones` is the alias of stg_reference__phone_numbers joined on the trimmed phone text. -#}
{% macro customer_identifiers(alias, phones) -%}
        {{ normalize_email(alias ~ '.customer_email') }} as email_norm,
        {{ phones }}.phone_e164,
        -- a stand-in for no name ("Anonym", seeds/identity_placeholders.csv) is no name: no identifier
        case when {{ fold_person_name(alias ~ '.customer_name') }} not in (
            select {{ fold_text('value') }} from {{ ref('identity_placeholders') }}
            where identifier = 'name' and {{ fold_text('value') }} is not null  -- a NULL would void every name
        ) then {{ fold_person_name(alias ~ '.customer_name') }} end as name_folded,
        {{ alias }}.customer_birth_date as birth_date,
        {{ normalize_postcode(alias ~ '.customer_postcode') }} as postcode_norm,
        {{ fold_text(alias ~ '.customer_city') }} as city_folded
{%- endmacro %}
