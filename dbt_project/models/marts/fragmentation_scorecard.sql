{{ config(materialized='incremental', unique_key=['snapshot_date', 'team_a', 'team_b'], on_schema_change='fail',
    full_refresh=false) }}
-- One row per night (the data's date) and pair of team views: how much of the customer reality they
-- share. Incremental: each night adds or replaces its own rows, so the table is the trend over nights.
-- A full refresh (cx-unify run --full-refresh) keeps it too: the nights before tonight cannot be
-- measured again (the data of each as it was is gone), so their rows are history, not a cache.
with

identity_map as (
    select * from {{ ref('customer_identity_map') }}
),

reconciliation as (
    select * from {{ ref('team_view_reconciliation') }}
),

registry as (
    select * from {{ ref('metric_registry') }}
),

journey as (
    select * from {{ ref('customer_journey') }}
),

snapshot as (
    select cast(max(event_at) as date) as snapshot_date from journey
),

record_views as (
    select
        customer_key,
        case record_kind when 'complaint' then 'service' when 'survey_response' then 'marketing' else 'operations' end
            as team_view
    from identity_map
),

customer_views as (
    -- one row per customer: its records in each team's view (one pass over the identity map; every pair
    -- below is counted from these rows)
    select
        customer_key,
        count(case when team_view = 'service' then 1 end) as service_records,
        count(case when team_view = 'marketing' then 1 end) as marketing_records,
        count(case when team_view = 'operations' then 1 end) as operations_records
    from record_views
    group by customer_key
),

pairs as (
    select 'service' as team_a, 'marketing' as team_b
    union all select 'service', 'operations'
    union all select 'marketing', 'operations'
    union all select 'management', 'service'
    union all select 'management', 'marketing'
    union all select 'management', 'operations'
),

{%- set records_in_view = "case {view} when 'service' then customer_views.service_records when 'marketing' then "
    ~ "customer_views.marketing_records when 'operations' then customer_views.operations_records else 0 end" %}

pair_records as (
    -- each pair of views against each customer: its records in either (management has none)
    select
        pairs.team_a,
        pairs.team_b,
        customer_views.customer_key,
        {{ records_in_view.format(view='pairs.team_a') }} as records_a,
        {{ records_in_view.format(view='pairs.team_b') }} as records_b
    from pairs
    cross join customer_views
),

customer_overlap as (
    -- the customers both views know, and their records in either: records of one team whose customer
    -- the other team also knows (none when no customer is shared; a record without a customer is no one's)
    select
        team_a,
        team_b,
        count(case when customer_key is not null and records_a > 0 and records_b > 0 then 1 end) as shared_customers,
        sum(case when customer_key is not null and records_a > 0 and records_b > 0 then records_a + records_b end)
            as linked_records
    from pair_records
    group by team_a, team_b
),

customer_totals as (
    -- customers and records of each view that has any
    {%- for view in ['service', 'marketing', 'operations'] %}
    select '{{ view }}' as team_view,
        count(case when customer_key is not null and {{ view }}_records > 0 then 1 end) as customers,
        sum({{ view }}_records) as records
    from customer_views
    having sum({{ view }}_records) > 0
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

kpi_agreement as (
    select
        'management' as team_a,
        registry.team_view as team_b,
        count(*) as kpi_values_compared,
        avg(cast(reconciliation.status = 'agree' as integer)) as kpi_agreement_rate
    from reconciliation
    inner join registry on reconciliation.metric_key = registry.metric_key
    where reconciliation.comparison = 'management_vs_data'
    group by registry.team_view
    union all
    select 'service', 'operations', count(*), avg(cast(status = 'agree' as integer))
    from reconciliation where comparison = 'operations_vs_service'
    union all
    select 'service', 'marketing', count(*), avg(cast(status = 'agree' as integer))
    from reconciliation where comparison = 'marketing_vs_service'
),

final as (
    select
        cast(snapshot.snapshot_date as date) as snapshot_date,
        cast(pairs.team_a as varchar) as team_a,
        cast(pairs.team_b as varchar) as team_b,
        cast(coalesce(total_a.customers, 0) as bigint) as customers_a,
        cast(coalesce(total_b.customers, 0) as bigint) as customers_b,
        cast(coalesce(customer_overlap.shared_customers, 0) as bigint) as shared_customers,
        cast(customer_overlap.shared_customers
            / nullif(total_a.customers + total_b.customers - customer_overlap.shared_customers, 0) as double precision)
            as customer_overlap,
        cast(customer_overlap.linked_records / nullif(coalesce(total_a.records, 0) + coalesce(total_b.records, 0), 0) as double precision)
            as linkable_record_rate,
        cast(coalesce(kpi_agreement.kpi_values_compared, 0) as bigint) as kpi_values_compared,
        cast(kpi_agreement.kpi_agreement_rate as double precision) as kpi_agreement_rate
    from pairs
    cross join snapshot
    left join customer_overlap on pairs.team_a = customer_overlap.team_a and pairs.team_b = customer_overlap.team_b
    left join customer_totals as total_a on pairs.team_a = total_a.team_view
    left join customer_totals as total_b on pairs.team_b = total_b.team_view
    left join kpi_agreement on pairs.team_a = kpi_agreement.team_a and pairs.team_b = kpi_agreement.team_b
)

select * from final
