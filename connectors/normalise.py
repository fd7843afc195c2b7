"""Identifier normalisation that SQL alone does badly: phones to E.164 (with the phonenumbers library).

Registered into DuckDB as the function cx_e164(text, region) by `register_functions`, which the
dbt-duckdb plugin (connectors/dbt_plugin.py) calls for every dbt connection, so staging uses one
implementation. Arrow-vectorised with a cache: exports repeat the same numbers many times.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache

import duckdb
import phonenumbers
import pyarrow as pa


@lru_cache(maxsize=500_000)
def to_e164(text: str | None, region: str = "GB") -> str | None:
    """'07911 123456' -> '+447911123456'; None when it is not a possible number."""
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    candidates = [raw]
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.startswith("00"):
        candidates.append("+" + digits[2:])
    elif not raw.startswith("+") and len(digits) >= 11:
        candidates.append("+" + digits)  # an international number written without its '+'
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _e164_arrow(texts: pa.Array, regions: pa.Array) -> pa.Array:
    values = texts.to_pylist()
    region_values = regions.to_pylist()
    return pa.array(
        [
            to_e164(v, r or "GB") if v is not None else None
            for v, r in zip(values, region_values, strict=True)
        ],
        type=pa.string(),
    )


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Adds cx_e164(VARCHAR, VARCHAR) -> VARCHAR to a DuckDB connection (idempotent)."""
    with contextlib.suppress(duckdb.CatalogException):  # already registered on this connection
        con.create_function(  # type: ignore[call-overload]
            "cx_e164",
            _e164_arrow,
            [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
            type="arrow",
            null_handling="special",
            side_effects=False,
        )
