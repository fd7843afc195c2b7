"""SQL stays portable: DuckDB-only syntax appears only inside adapter-dispatched macro variants.

Models and shared macros are written in ANSI SQL plus dbt's cross-database macros; the DuckDB dialect
lives in macros/cross_database.sql and macros/normalise.sql behind adapter.dispatch. Python models
(the clustering) are DuckDB / Arrow code by nature and are not linted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cx_unify.settings import DBT_PROJECT_DIR

# DuckDB (or DuckDB-and-few-others) constructs, each with the portable way to say it.
DUCKDB_ONLY = {
    r"::\s*[a-z]": "cast(x as type)",
    r"\bqualify\b": "a subquery with row_number() and a where",
    r"\bgroup\s+by\s+all\b": "the grouped columns by name",
    r"\bfilter\s*\(\s*where\b": "agg(case when ... then ... end)",
    r"\binterval\s+'?\d": "dbt.dateadd",
    r"\bdate_trunc\s*\(": "dbt.date_trunc",
    r"\bstring_agg\s*\(": "dbt.listagg",
    r"\bbool_or\s*\(": "dbt.bool_or",
    r"\bmd5\s*\(": "dbt.hash",
    r"\bhash\s*\(": "hash_order (dispatch)",
    r"\b(list|list_\w+|array_to_string|string_split|len|unnest)\s*\(": "the array macros of cross_database.sql",
    r"\bregexp_\w+\s*\(": "regex_replace_all / regex_matches / regex_group",
    r"\b(year|month|day|hour|minute|epoch)\s*\(": "extract(part from x)",
    r"\blog2\s*\(": "log2 (dispatch)",
    r"\bpow\s*\(": "power(x, y)",
    r"\b(arg_min|arg_max|min_by|max_by)\s*\(": "first_by / last_by",
    r"\b(jaro_winkler_similarity|damerau_levenshtein|levenshtein|strip_accents)\s*\(": "name_similarity / edit_distance / fold_text",
    r"\b(strftime|strptime|try_cast)\s*\(": "dbt.safe_cast / cast",
    r"\bselect\s+\*\s+(exclude|replace)\b": "the columns by name",
    r"\bunion\s+(all\s+)?by\s+name\b": "columns in the same order",
    r"\[\s*-?\d*\s*\]": "arrays_common_element / last_word",
    r"\bcx_e164\s*\(": "normalize_phone",
    r"\basof\s+join\b": "first_at_or_after",
}

MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(.*?{%-?\s*endmacro\s*-?%}", re.S)
DISPATCH_VARIANT = re.compile(r"^[a-z0-9]+__\w+$")  # duckdb__x, default__x, postgres__x, ...
# a function name right after "{{ " or "dbt." is a macro call, not SQL
NOT_A_MACRO_CALL = r"(?<!\{\{ )(?<!\.)"


def _portable_text(path: Path) -> str:
    """The SQL of a file that must be portable: all of a model; the macros that are not dispatch variants."""
    text = re.sub(r"{#.*?#}", " ", path.read_text(), flags=re.S)
    text = MACRO.sub(
        lambda m: "\n" * m.group(0).count("\n") if DISPATCH_VARIANT.match(m.group(1)) else m.group(0), text
    )
    text = re.sub(r"--[^\n]*", " ", text)
    return re.sub(r"{%.*?%}", " ", text)  # block tags (macro headers, if, for) hold no SQL


def findings(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern, instead in DUCKDB_ONLY.items():
            if re.search(NOT_A_MACRO_CALL + pattern, line, re.I):
                found.append(f"line {number}: {line.strip()[:100]!r} -> use {instead}")
    return found


def _sql_files() -> list[Path]:
    return sorted(
        [*(DBT_PROJECT_DIR / "models").rglob("*.sql"), *(DBT_PROJECT_DIR / "macros").rglob("*.sql")]
    )


@pytest.mark.parametrize("path", _sql_files(), ids=lambda p: str(p.relative_to(DBT_PROJECT_DIR)))
def test_models_and_macros_use_portable_sql(path: Path) -> None:
    problems = findings(_portable_text(path))
    assert not problems, f"{path.relative_to(DBT_PROJECT_DIR)}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "snippet",
    [
        "select x::varchar",
        "from t qualify row_number() over () = 1",
        "group by all",
        "count(*) filter (where ok)",
        "d + interval 1 day",
        "date_trunc('month', d)",
        "coalesce(list(distinct e), [])",
        "regexp_replace(x, 'a', 'b', 'g')",
        "year(d)",
        "string_split(n, ' ')[-1]",
        "select * exclude (a) from t",
    ],
)
def test_the_lint_catches_duckdb_syntax(snippet: str) -> None:
    assert findings(snippet)


def test_dispatch_variants_may_use_duckdb_syntax(tmp_path: Path) -> None:
    macros = tmp_path / "macros"
    macros.mkdir()
    macro_file = macros / "m.sql"
    macro_file.write_text(
        "{% macro f(x) -%}{{ return(adapter.dispatch('f', 'cx_unify')(x)) }}{%- endmacro %}\n"
        "{% macro duckdb__f(x) -%}regexp_replace({{ x }}, 'a', '', 'g'){%- endmacro %}\n"
        "{% macro default__f(x) -%}regexp_replace({{ x }}, 'a', ''){%- endmacro %}\n"
        "{% macro not_dispatched(x) -%}{{ f(x) }} || regexp_replace({{ x }}, 'b', ''){%- endmacro %}\n"
    )
    problems = findings(_portable_text(macro_file))
    assert [p.split(":")[0] for p in problems] == ["line 4"]  # the undispatched macro only
