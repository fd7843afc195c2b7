import dagster as dg

from pipelines.quality.checks import build_checks

defs = dg.Definitions(asset_checks=build_checks())
