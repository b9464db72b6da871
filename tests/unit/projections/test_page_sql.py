"""A rebuild's page statements: several tables in one statement, and rows made ready for COPY."""

from __future__ import annotations

from uuid import UUID

from projections import page_sql


def test_together_makes_one_statement_whose_last_part_is_the_primary() -> None:
    sql = page_sql.together("INSERT INTO a SELECT 1", "INSERT INTO b SELECT 2", "UPDATE c SET x=1")
    assert sql == (
        "WITH w0 AS (INSERT INTO a SELECT 1), w1 AS (INSERT INTO b SELECT 2) UPDATE c SET x=1"
    )
    assert page_sql.together("UPDATE c SET x=1") == "UPDATE c SET x=1"


def test_insert_reads_its_rows_from_the_parameter_asked_for() -> None:
    sql = page_sql.insert("t", {"k": "uuid", "v": "bigint"}, "k", ("v",), param=3)
    assert "json_to_recordset($3::json) AS u(k uuid, v bigint)" in sql
    assert sql.endswith("ON CONFLICT (k) DO UPDATE SET v = excluded.v")


def test_copy_records_are_tuples_in_column_order_with_json_columns_as_text() -> None:
    key = UUID(int=7)
    copier = page_sql.Copier("t", ("id", "facts", "n", "scores"), json=("facts", "scores"))
    rows = [
        {"n": 1, "id": key, "facts": {"b": 2, "a": [1, "x"]}, "scores": None, "extra": 0},
        {"n": 2, "id": key, "facts": {}, "scores": {"c1": 3}},
    ]
    assert copier.records(rows) == [
        (key, '{"b":2,"a":[1,"x"]}', 1, None),
        (key, "{}", 2, '{"c1":3}'),
    ]
    plain = page_sql.Copier("t", ("n", "id"))
    assert plain.records(rows) == [(1, key), (2, key)]
