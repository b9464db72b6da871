"""Finds SQL built from strings at run time (f-strings, ``.format``, ``%``, ``+``) in our code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "service", "projections", "web")
SQL_CALLS = frozenset(
    {"execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare", "cursor",
     "copy_to_table", "copy_from_query"}
)  # fmt: skip
SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE|DROP|ALTER|"
    r"SET\s+LOCAL|WHERE|ORDER\s+BY)\b"
)


def _text_of(node: ast.expr) -> str:
    """The literal parts of a string expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text_of(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _text_of(node.left) + _text_of(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _text_of(node.func.value)
    return ""


def _looks_like_sql(node: ast.expr) -> bool:
    """SQL words in the literal text, or ``.format`` on an upper-case constant (a SQL template)."""
    if SQL_WORDS.search(_text_of(node)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id.isupper()
    )


def _is_dynamic(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def dynamic_sql() -> list[tuple[str, str]]:
    """(file, source) of every string built at run time that is SQL or is handed to a driver."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text("utf-8")
            rel = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(source)):
                candidates: list[ast.expr] = []
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in SQL_CALLS
                    and node.args
                ):
                    candidates.append(node.args[0])
                if isinstance(node, ast.expr) and _is_dynamic(node) and _looks_like_sql(node):
                    candidates.append(node)
                for expr in candidates:
                    if _is_dynamic(expr):
                        segment = ast.get_source_segment(source, expr) or ""
                        found.append((rel, " ".join(segment.split())[:90]))
    return sorted(set(found))
