"""Maps dbt nodes onto the Dagster graph: sources are the ingest assets, groups follow model folders, and
each dbt test is an asset check that says in words what it holds (dbt's generic tests carry no
description of their own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject
from dagster_dbt.asset_utils import default_description_fn


class CxDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        # a seed has no SQL: dagster-dbt's description ended in an empty "Raw SQL" block
        has_sql = bool(dbt_resource_props.get("raw_sql") or dbt_resource_props.get("raw_code"))
        return default_description_fn(dbt_resource_props, display_raw_sql=has_sql)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "transform"

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        test = manifest["nodes"].get(unique_id, {})
        return spec._replace(description=test_description(test))


def _ref_name(text: str) -> str:
    """'ref('metric_registry')' -> metric_registry (a relationships test's `to`)."""
    return text.split("(", 1)[-1].rstrip(")").strip("'\" ") if "(" in text else text


def test_description(test: Mapping[str, Any]) -> str:
    """What a dbt test holds, in words, with its severity: the description its asset check shows."""
    meta = test.get("test_metadata") or {}
    kwargs = meta.get("kwargs") or {}
    column = kwargs.get("column_name") or test.get("column_name")
    relation = str(test.get("attached_node") or "").split(".")[-1] or "the model"
    name = meta.get("name")
    if name == "not_null":
        holds = f"{relation}.{column} is never null"
    elif name == "unique":
        holds = f"no two rows of {relation} share a {column}"
    elif name == "accepted_values":
        holds = f"{relation}.{column} holds only {', '.join(map(str, kwargs.get('values', [])))} (or null)"
    elif name == "relationships":
        target = _ref_name(str(kwargs.get("to", "")))
        holds = f"every {relation}.{column} is a {target}.{kwargs.get('field')} (or null)"
    elif name == "unique_combination":
        holds = f"no two rows of {relation} share a ({', '.join(kwargs.get('columns', []))})"
    elif name == "compares_every_profile_pair":
        holds = (
            f"{relation} compares exactly the profile pairs that candidate clusters make: none missing, "
            "none extra"
        )
    else:
        holds = f"dbt test {test.get('name', '?')} on {relation} returns no rows"
    severity = str((test.get("config") or {}).get("severity") or "ERROR").upper()
    return f"dbt test ({severity}): {holds}"
