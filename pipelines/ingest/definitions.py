import dagster as dg

from pipelines.ingest.assets import ingest_assets

defs = dg.Definitions(assets=ingest_assets)
