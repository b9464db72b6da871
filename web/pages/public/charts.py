"""Server-rendered SVG charts: geometry computed here, drawn by the templates (no library, no CDN).

Every chart is an image with a text alternative; the numbers themselves are in a table beside it,
which is what screen readers read.
"""

from __future__ import annotations

from typing import Any

BAR_WIDTH, LABEL_WIDTH, ROW_HEIGHT = 360, 200, 28
COLUMN_WIDTH, COLUMN_HEIGHT = 14, 160
#: Shades for the map, lightest to darkest (each passes 3:1 against white borders).
SHADES = ("#f3e3d3", "#e2b892", "#c98a55", "#a8602a", "#7a3f13")
#: A schematic map of the region's five provinces (not to scale): outlines and label anchors.
SHAPES = {
    "midelt": ("60,20 200,10 220,90 120,110 50,80", (135, 60)),
    "errachidia": ("200,10 380,40 390,230 300,250 240,170 220,90", (310, 130)),
    "tinghir": ("120,110 220,90 240,170 300,250 200,230 130,180", (200, 170)),
    "ouarzazate": ("20,150 120,110 130,180 200,230 150,270 40,250", (95, 200)),
    "zagora": ("40,250 150,270 200,230 300,250 330,380 120,390", (190, 320)),
}


def _scale(value: int, top: int, length: int) -> int:
    """``value`` as a share of ``length`` (integers only: amounts are centimes)."""
    return value * length // top if top else 0


def bars(rows: list[dict[str, Any]], labels: dict[str, str]) -> dict[str, Any]:
    """Horizontal bars of funded amounts, one per key, longest for the largest amount."""
    top = max((r["funded_centimes"] for r in rows), default=0)
    items = [
        {
            "label": labels.get(r["key"], r["key"]),
            "y": i * ROW_HEIGHT,
            "x": LABEL_WIDTH,
            "width": max(1, _scale(r["funded_centimes"], top, BAR_WIDTH)),
            "row": r,
        }
        for i, r in enumerate(rows)
    ]
    return {"items": items, "width": LABEL_WIDTH + BAR_WIDTH + 10, "height": len(rows) * ROW_HEIGHT}


def columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Vertical columns of funded amounts per month; a tick under each January (and the first)."""
    top = max((r["funded_centimes"] for r in rows), default=0)
    items = []
    for i, r in enumerate(rows):
        height = max(1, _scale(r["funded_centimes"], top, COLUMN_HEIGHT))
        tick = i == 0 or r["key"].endswith("-01")
        items.append(
            {
                "x": i * COLUMN_WIDTH,
                "y": COLUMN_HEIGHT - height,
                "height": height,
                "width": COLUMN_WIDTH - 3,
                "tick": r["key"][:4] if tick else None,
                "row": r,
            }
        )
    return {"items": items, "width": max(1, len(rows)) * COLUMN_WIDTH, "height": COLUMN_HEIGHT}


def province_map(rows: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    """The five provinces shaded by the amount funded there (five classes, darkest = most)."""
    funded = {r["key"]: r for r in rows}
    top = max((r["funded_centimes"] for r in rows), default=0)
    shapes = []
    for key, (points, (x, y)) in SHAPES.items():
        row = funded.get(key, {"funded_count": 0, "funded_centimes": 0})
        shade = min(len(SHADES) - 1, _scale(row["funded_centimes"], top, len(SHADES)))
        dark = shade >= 3
        shapes.append(
            {"key": key, "label": labels.get(key, key), "points": points, "x": x, "y": y,
             "fill": SHADES[shade], "text": "#ffffff" if dark else "#1b1b1b", "row": row}
        )  # fmt: skip
    return shapes
