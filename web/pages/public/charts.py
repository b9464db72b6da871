"""Server-rendered SVG charts: geometry computed here, drawn by the templates (no library, no CDN).

Every chart is an image with a text alternative; the numbers themselves are in a table beside it,
which is what screen readers read. Charts show their values and an axis, are drawn in the page's
language and mirror in right-to-left pages (bars grow from the right, time runs from the right).
Coordinates are computed left-to-right and mirrored once, in :func:`_x`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal

from web.common.i18n import FORMAT_LOCALES

WIDTH = 460  # drawn 1:1 on a wide screen (see app.css), about 0.8 on a 390 px phone
ROW_HEIGHT, BAR_HEIGHT = 30, 18
CHAR_WIDTH = 7.4  # average advance of a 13-unit Noto Sans glyph, to size the label column
VALUE_WIDTH = 74
PLOT_HEIGHT, AXIS_WIDTH, AXIS_HEIGHT = 180, 64, 40
#: Shades for the map, lightest to darkest (each passes 3:1 against white borders).
SHADES = ("#f3e3d3", "#e2b892", "#c98a55", "#a8602a", "#7a3f13")
#: A schematic map of the region's five provinces (not to scale): outlines and label anchors.
SHAPES = {
    "midelt": ("60,20 200,10 220,90 120,110 50,80", (135, 55)),
    "errachidia": ("200,10 380,40 390,230 300,250 240,170 220,90", (310, 125)),
    "tinghir": ("120,110 220,90 240,170 300,250 200,230 130,180", (195, 165)),
    "ouarzazate": ("20,150 120,110 130,180 200,230 150,270 40,250", (90, 200)),
    "zagora": ("40,250 150,270 200,230 300,250 330,380 120,390", (190, 315)),
}


@dataclass(frozen=True, kw_only=True)
class Frame:
    """What every chart needs from the page: its language and direction."""

    lang: str
    rtl: bool

    def x(self, x: float, width: float = 0, total: float = WIDTH) -> float:
        """The left edge of a box at ``x`` of ``width``, mirrored in right-to-left pages."""
        return round(total - x - width, 1) if self.rtl else round(x, 1)

    def anchor(self, ltr: str) -> str:
        """A text-anchor, mirrored (``start`` <-> ``end``) in right-to-left pages."""
        return {"start": "end", "end": "start"}.get(ltr, ltr) if self.rtl else ltr

    def short(self, centimes: int) -> str:
        """An amount in MAD, compact ("12.3M", "12,3 M", "12,3 مليون"), Western digits."""
        return format_compact_decimal(
            centimes // 100, format_type="short", locale=FORMAT_LOCALES[self.lang],
            fraction_digits=1, numbering_system="latn",
        )  # fmt: skip

    def month(self, key: str, *, year: bool) -> str:
        """``2026-03`` as "Mar 2026" (``year``) or "Mar", in the page's language."""
        first = date(int(key[:4]), int(key[5:7]), 1)
        skeleton = "yMMM" if year else "MMM"
        return format_skeleton(skeleton, first, locale=FORMAT_LOCALES[self.lang])


def _scale(value: int, top: int, length: int) -> float:
    """``value`` as a share of ``length``."""
    return round(value * length / top, 1) if top else 0.0


def nice_ticks(top: int, count: int = 4) -> list[int]:
    """Round axis values from 0 to at least ``top``, about ``count`` steps of 1, 2, 2.5 or 5 x 10^n
    (integers only: 2.5 x 10^n only where it is a whole number)."""
    if top <= 0:
        return [0]
    raw = -(-top // count)  # ceiling: the smallest step that reaches top in count steps
    magnitude = 10 ** (len(str(raw)) - 1)
    candidates = [magnitude, 2 * magnitude, 5 * magnitude, 10 * magnitude]
    if magnitude >= 10:
        candidates.insert(2, 25 * magnitude // 10)
    step = next(c for c in candidates if c >= raw)
    return list(range(0, -(-top // step) * step + 1, step))


def bars(rows: list[dict[str, Any]], labels: dict[str, str], frame: Frame) -> dict[str, Any]:
    """Horizontal bars of funded amounts, largest first, labelled in the page's language, each
    with its value; a value axis with round ticks under them."""
    ordered = sorted(rows, key=lambda r: (-r["funded_centimes"], labels.get(r["key"], r["key"])))
    longest = max((len(labels.get(r["key"], r["key"])) for r in rows), default=0)
    label_width = int(min(WIDTH * 0.42, longest * CHAR_WIDTH + 12))
    per_line = int((label_width - 12) / CHAR_WIDTH)
    plot = WIDTH - label_width - VALUE_WIDTH
    ticks = nice_ticks(max((r["funded_centimes"] for r in rows), default=0))
    top = ticks[-1]
    items = []
    for i, r in enumerate(ordered):
        length = max(1.0, _scale(r["funded_centimes"], top, plot))
        y = i * ROW_HEIGHT
        items.append({
            "label": labels.get(r["key"], r["key"]), "row": r, "y": y, "text_y": y + 19,
            "lines": _lines(labels.get(r["key"], r["key"]), per_line),
            "bar_x": frame.x(label_width, length), "width": length, "bar_y": y + 6,
            "label_x": frame.x(label_width - 8), "label_anchor": frame.anchor("end"),
            "value_x": frame.x(label_width + length + 6), "value_anchor": frame.anchor("start"),
            "value": frame.short(r["funded_centimes"]),
        })  # fmt: skip
    height = len(ordered) * ROW_HEIGHT
    axis = [
        {"x": frame.x(label_width + _scale(t, top, plot)), "label": frame.short(t)} for t in ticks
    ]
    return {"items": items, "axis": axis, "width": WIDTH, "height": height, "axis_y": height + 4}


def _lines(label: str, per_line: int) -> list[str]:
    """A label on one line, or two when it is longer than the label column (never clipped)."""
    lines = textwrap.wrap(label, max(8, per_line))
    return lines if len(lines) <= 2 else [lines[0], " ".join(lines[1:])]


def month_keys(keys: list[str], until: str | None = None) -> list[str]:
    """Every month from the first key to the last (or ``until``), gaps filled: ``YYYY-MM``."""
    if not keys:
        return []
    last = max([*keys, until] if until else keys)
    year, month = int(keys[0][:4]), int(keys[0][5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def columns(rows: list[dict[str, Any]], frame: Frame) -> dict[str, Any]:
    """Columns of funded amounts per month, months without a grant included (at zero); an amount
    axis on the start side, the month under a column every few months, the year where it changes."""
    found = {r["key"]: r for r in rows}
    keys = month_keys(sorted(found))
    filled = [found.get(k, {"key": k, "funded_count": 0, "funded_centimes": 0}) for k in keys]
    ticks = nice_ticks(max((r["funded_centimes"] for r in filled), default=0))
    top = ticks[-1]
    plot = WIDTH - AXIS_WIDTH - 8
    step = plot / max(1, len(filled))
    every = max(1, round(len(filled) / 7))  # about seven month labels, whatever the span
    items: list[dict[str, Any]] = []
    year = ""
    for i, r in enumerate(filled):
        height = _scale(r["funded_centimes"], top, PLOT_HEIGHT)
        label = None
        if i % every == 0:  # the year only where it changes, so that labels never collide
            label = frame.month(r["key"], year=r["key"][:4] != year)
            year = r["key"][:4]
        items.append({
            "row": r, "label": label, "y": round(PLOT_HEIGHT - height, 1), "height": height,
            "x": frame.x(AXIS_WIDTH + i * step + 1, step - 2), "width": round(max(1, step - 2), 1),
            "label_x": frame.x(AXIS_WIDTH + i * step + step / 2), "name": frame.month(r["key"], year=True),
        })  # fmt: skip
    return {
        "items": items, "rows": filled, "width": WIDTH, "height": PLOT_HEIGHT,
        "axis": _value_axis(ticks, frame), "axis_x": frame.x(AXIS_WIDTH),
        "grid_x1": frame.x(AXIS_WIDTH), "grid_x2": frame.x(WIDTH),
    }  # fmt: skip


def _value_axis(ticks: list[int], frame: Frame) -> list[dict[str, Any]]:
    top = ticks[-1]
    return [
        {"y": round(PLOT_HEIGHT - _scale(t, top, PLOT_HEIGHT), 1), "label": frame.short(t),
         "x": frame.x(AXIS_WIDTH - 6), "anchor": frame.anchor("end")}
        for t in ticks
    ]  # fmt: skip


def committed_and_disbursed(rows: list[dict[str, Any]], frame: Frame) -> dict[str, Any]:
    """Two running totals per month, committed (decided minus released) and disbursed (tranches
    paid), as lines with a marker and its value at the last month."""
    found = {r["key"]: r for r in rows}
    keys = month_keys(sorted(found))
    committed = disbursed = 0
    series = []
    for key in keys:
        r = found.get(key, {})
        committed += r.get("committed_centimes", 0) - r.get("released_centimes", 0)
        disbursed += r.get("disbursed_centimes", 0)
        series.append({"key": key, "label": frame.month(key, year=True),
                       "committed": committed, "disbursed": disbursed})  # fmt: skip
    ticks = nice_ticks(max((max(s["committed"], s["disbursed"]) for s in series), default=0))
    top = ticks[-1]
    plot = WIDTH - AXIS_WIDTH - VALUE_WIDTH
    step = plot / max(1, len(series) - 1)
    every = max(1, round(len(series) / 5))
    lines: dict[str, list[tuple[float, float]]] = {"committed": [], "disbursed": []}
    labels = []
    for i, s in enumerate(series):
        x = frame.x(AXIS_WIDTH + i * step)
        for name, points in lines.items():
            points.append((x, round(PLOT_HEIGHT - _scale(s[name], top, PLOT_HEIGHT), 1)))
        if i % every == 0:
            labels.append({"x": x, "label": frame.month(s["key"], year=True)})  # 5 fit with years
    ends = {
        name: {"x": pts[-1][0], "y": pts[-1][1], "value": frame.short(series[-1][name]),
               "text_x": frame.x(AXIS_WIDTH + (len(series) - 1) * step + 8), "anchor": frame.anchor("start")}
        for name, pts in lines.items() if pts
    }  # fmt: skip
    return {
        "series": series, "width": WIDTH, "height": PLOT_HEIGHT, "labels": labels, "ends": ends,
        "points": {k: " ".join(f"{x},{y}" for x, y in v) for k, v in lines.items()},
        "axis": _value_axis(ticks, frame), "axis_x": frame.x(AXIS_WIDTH),
        "grid_x1": frame.x(AXIS_WIDTH), "grid_x2": frame.x(WIDTH - VALUE_WIDTH),
    }  # fmt: skip


def province_map(
    rows: list[dict[str, Any]], labels: dict[str, str], frame: Frame
) -> list[dict[str, Any]]:
    """The five provinces shaded by the amount funded there (five classes, darkest = most), each
    labelled with its name and amount. A map is not mirrored: north stays up, west stays left."""
    funded = {r["key"]: r for r in rows}
    top = max((r["funded_centimes"] for r in rows), default=0)
    shapes = []
    for key, (points, (x, y)) in SHAPES.items():
        row = funded.get(key, {"key": key, "funded_count": 0, "funded_centimes": 0})
        shade = min(len(SHADES) - 1, int(_scale(row["funded_centimes"], top, len(SHADES))))
        dark = shade >= 3
        shapes.append(
            {"key": key, "label": labels.get(key, key), "points": points, "x": x, "y": y,
             "fill": SHADES[shade], "dark": dark, "row": row,
             "value": frame.short(row["funded_centimes"])}
        )  # fmt: skip
    return shapes
