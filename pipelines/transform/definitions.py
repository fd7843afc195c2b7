import dagster as dg

from pipelines.transform.assets import dbt_models

defs = dg.Definitions(assets=[dbt_models])
