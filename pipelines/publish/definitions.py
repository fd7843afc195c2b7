import dagster as dg

from pipelines.publish.assets import analyst_file, diagnostic_report

defs = dg.Definitions(assets=[analyst_file, diagnostic_report])
