import dagster as dg

from pipelines.nightly.jobs import nightly_job
from pipelines.nightly.loggers import progress_logger
from pipelines.nightly.schedules import nightly_schedule
from pipelines.nightly.sensors import landing_sensor

defs = dg.Definitions(
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[landing_sensor],
    loggers={"progress": progress_logger},
)
