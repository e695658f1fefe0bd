"""One SQL test on a JSON array column, written for each backend the registry runs on.

``json_array_holds(column, value)``: the JSON array of integers in ``column`` holds ``value``.
PostgreSQL: containment on the column read as ``jsonb``; SQLite: ``json_each`` over it. (The
registry keeps a few small id lists as JSON, e.g. the holders a transfer was asked for.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class json_array_holds(FunctionElement):  # noqa: N801 - used like the SQL functions it compiles to
    type = Boolean()
    inherit_cache = True
    name = "json_array_holds"


def _operands(element: json_array_holds, compiler: Any, kw: dict) -> tuple[str, str]:
    array, value = list(element.clauses)
    return compiler.process(array, **kw), compiler.process(value, **kw)


@compiles(json_array_holds, "postgresql")
def _postgresql(element: json_array_holds, compiler: Any, **kw: Any) -> str:
    array, value = _operands(element, compiler, kw)
    return f"(CAST({array} AS JSONB) @> jsonb_build_array(CAST({value} AS BIGINT)))"


@compiles(json_array_holds, "sqlite")
def _sqlite(element: json_array_holds, compiler: Any, **kw: Any) -> str:
    array, value = _operands(element, compiler, kw)
    return f"EXISTS (SELECT 1 FROM json_each({array}) WHERE json_each.value = {value})"
