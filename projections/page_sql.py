"""Writing a page's rows in one statement per table: the rows travel as one JSON parameter.

The rows are encoded by msgspec (C, a few microseconds a row: ids, instants and nested ``jsonb``
values included) and unpacked by the server with ``json_to_recordset``. Sending them as one
array per column (``unnest``) cost this process more: asyncpg checks every array element
against several abstract base classes, which showed as the largest single cost of a rebuild
after decoding (bench/RESULTS.md).
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    import asyncpg

_encode = msgspec.json.Encoder().encode


def rows_json(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as the JSON array a ``json_to_recordset($n::json)`` statement reads."""
    return _encode(list(rows)).decode()


def recordset(columns: Mapping[str, str], param: int = 1) -> str:
    """``json_to_recordset($param::json) AS u(column type, ...)`` for ``columns``."""
    typed = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    return f"json_to_recordset(${param}::json) AS u({typed})"


def insert(
    table: str,
    columns: Mapping[str, str],
    conflict: str = "",
    updates: Sequence[str] = (),
    *,
    param: int = 1,
) -> str:
    """``INSERT INTO table SELECT ... FROM json_to_recordset`` (an upsert of ``updates`` on
    ``conflict`` when given), the rows in parameter ``param``."""
    names = ", ".join(columns)
    sql = f"INSERT INTO {table} ({names}) SELECT {names} FROM {recordset(columns, param)}"
    if conflict:
        sets = ", ".join(f"{c} = excluded.{c}" for c in updates)
        sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
    return sql


def together(*statements: str) -> str:
    """Writes to different tables as one statement (data-modifying ``WITH``): one round trip,
    atomic without a transaction block. A parameter's empty array writes nothing."""
    *first, last = statements
    parts = ", ".join(f"w{i} AS ({s})" for i, s in enumerate(first))
    return f"WITH {parts} {last}" if first else last


class Copier:
    """Rows of one table written with binary ``COPY``: no JSON for the server to parse and no
    conflict to look for, for rows a rebuild knows are new to its scratch table.

    ``json`` names the ``jsonb`` columns, whose values (dicts, lists or None) go as JSON text.
    The table name is unqualified: the search path finds the scratch schema's.
    """

    def __init__(self, table: str, columns: Sequence[str], json: Sequence[str] = ()) -> None:
        self.table = table
        self.columns = list(columns)
        self._values: Callable[[Mapping[str, Any]], tuple[Any, ...]] = itemgetter(*columns)
        self._json = [self.columns.index(c) for c in json]

    def records(self, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows as tuples in column order, ``jsonb`` values as text."""
        values = self._values
        if not self._json:
            return [values(r) for r in rows]
        records = []
        for row in rows:
            record = list(values(row))
            for i in self._json:
                if record[i] is not None:
                    record[i] = _encode(record[i]).decode()
            records.append(tuple(record))
        return records

    async def copy(self, conn: asyncpg.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        """``COPY`` the rows into the table (as the search path finds it)."""
        records = self.records(rows)
        if records:
            await conn.copy_records_to_table(self.table, records=records, columns=self.columns)
