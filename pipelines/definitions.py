"""The code location: each domain's definitions merged, plus the shared resources. Nothing else."""

import dagster as dg

from cx_unify.settings import Settings
from pipelines import resources

# the variables are exported first, so the dbt manifest is parsed for the same warehouse the runs use
_settings = resources.current_settings()

from pipelines.ingest import definitions as ingest  # noqa: E402
from pipelines.nightly import definitions as nightly  # noqa: E402
from pipelines.publish import definitions as publish  # noqa: E402
from pipelines.quality import definitions as quality  # noqa: E402
from pipelines.transform import definitions as transform  # noqa: E402
from pipelines.transform.resources import dbt_resource  # noqa: E402


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions.merge(
        ingest.defs,
        transform.defs,
        quality.defs,
        publish.defs,
        nightly.defs,
        dg.Definitions(
            resources={"warehouse": resources.warehouse_resource(settings), "dbt": dbt_resource()},
            # every job (the nightly, the UI's materialisations) runs its steps in turn in one process: a
            # step process costs ~5 s, and the warehouse resource, with the run lock, is set up once
            executor=dg.in_process_executor,
        ),
    )


defs = build_definitions(_settings)
