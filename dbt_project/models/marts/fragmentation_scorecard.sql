{{ config(materialized='incremental', unique_key=['snapshot_date', 'team_a', 'team_b'], on_schema_change='fail') }}
-- One row per night (the data's date) and pair of team views: how much of the customer reality they
-- share. Incremental: each night adds or replaces its own rows, so the table is the trend over nights.
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
    select distinct customer_key, team_view from record_views
),

pairs as (
    select 'service' as team_a, 'marketing' as team_b
    union all select 'service', 'operations'
    union all select 'marketing', 'operations'
    union all select 'management', 'service'
    union all select 'management', 'marketing'
    union all select 'management', 'operations'
),

customer_overlap as (
    select
        pairs.team_a,
        pairs.team_b,
        count(distinct a.customer_key) as customers_a,
        count(distinct b.customer_key) as customers_b,
        count(distinct case when a.customer_key = b.customer_key then a.customer_key end) as shared_customers
    from pairs
    left join customer_views as a on a.team_view = pairs.team_a
    left join customer_views as b on b.team_view = pairs.team_b and b.customer_key = a.customer_key
    group by pairs.team_a, pairs.team_b
),

customer_totals as (
    select team_view, count(distinct customer_key) as customers, count(*) as records from record_views group by team_view
),

linkable_records as (
    -- records of either team whose customer the other team also knows
    select pairs.team_a, pairs.team_b, count(*) as linked_records
    from pairs
    inner join record_views on record_views.team_view in (pairs.team_a, pairs.team_b)
    inner join customer_views as other
        on other.customer_key = record_views.customer_key
        and other.team_view = case when record_views.team_view = pairs.team_a then pairs.team_b else pairs.team_a end
    group by pairs.team_a, pairs.team_b
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
        cast(linkable_records.linked_records / nullif(coalesce(total_a.records, 0) + coalesce(total_b.records, 0), 0) as double precision)
            as linkable_record_rate,
        cast(coalesce(kpi_agreement.kpi_values_compared, 0) as bigint) as kpi_values_compared,
        cast(kpi_agreement.kpi_agreement_rate as double precision) as kpi_agreement_rate
    from pairs
    cross join snapshot
    left join customer_overlap on pairs.team_a = customer_overlap.team_a and pairs.team_b = customer_overlap.team_b
    left join customer_totals as total_a on pairs.team_a = total_a.team_view
    left join customer_totals as total_b on pairs.team_b = total_b.team_view
    left join linkable_records on pairs.team_a = linkable_records.team_a and pairs.team_b = linkable_records.team_b
    left join kpi_agreement on pairs.team_a = kpi_agreement.team_a and pairs.team_b = kpi_agreement.team_b
)

select * from final
