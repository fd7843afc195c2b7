"""Dagster definitions: ingest -> dbt -> checks -> publish, and the nightly job that runs them all."""
