"""The code location: each domain's definitions merged, plus the shared resources. Nothing else."""

import dagster as dg

from cx_unify.settings import Settings
from pipelines import resources
from pipelines.ingest import definitions as ingest
from pipelines.nightly import definitions as nightly
from pipelines.publish import definitions as publish
from pipelines.quality import definitions as quality
from pipelines.transform import definitions as transform
from pipelines.transform.resources import dbt_resource


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions.merge(
        ingest.defs,
        transform.defs,
        quality.defs,
        publish.defs,
        nightly.defs,
        dg.Definitions(
            resources={"warehouse": resources.warehouse_resource(settings), "dbt": dbt_resource()}
        ),
    )


defs = build_definitions(resources.current_settings())
