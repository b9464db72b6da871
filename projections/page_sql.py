"""Writing a page's rows in one statement per table: the rows travel as one JSON parameter.

The rows are encoded by msgspec (C, a few microseconds a row: ids, instants and nested ``jsonb``
values included) and unpacked by the server with ``json_to_recordset``. Sending them as one
array per column (``unnest``) cost this process more: asyncpg checks every array element
against several abstract base classes, which showed as the largest single cost of a rebuild
after decoding (bench/RESULTS.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

_encode = msgspec.json.Encoder().encode


def rows_json(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as the JSON array a ``json_to_recordset($n::json)`` statement reads."""
    return _encode(list(rows)).decode()


def recordset(columns: Mapping[str, str], param: int = 1) -> str:
    """``json_to_recordset($param::json) AS u(column type, ...)`` for ``columns``."""
    typed = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    return f"json_to_recordset(${param}::json) AS u({typed})"


def insert(
    table: str, columns: Mapping[str, str], conflict: str = "", updates: Sequence[str] = ()
) -> str:
    """``INSERT INTO table SELECT ... FROM json_to_recordset`` (an upsert of ``updates`` on
    ``conflict`` when given)."""
    names = ", ".join(columns)
    sql = f"INSERT INTO {table} ({names}) SELECT {names} FROM {recordset(columns)}"
    if conflict:
        sets = ", ".join(f"{c} = excluded.{c}" for c in updates)
        sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
    return sql
