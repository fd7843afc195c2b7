"""Connectors: read every team's exports into the canonical raw contracts. Knows nothing of Dagster."""
