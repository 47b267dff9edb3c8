"""Charts and the lineage graph drawn as SVG on the server: no JavaScript, readable without styles.

The lineage graph lays nodes out in four columns (systems and stewards, runs, source record
versions, golden fields) in the order the lineage API gives them, and draws each edge as a curve.
"""

from __future__ import annotations

from html import escape
from typing import Any

COLUMNS = {"system": 0, "steward": 0, "run": 1, "source_record_version": 2, "golden_field": 3}
COL_WIDTH, ROW_HEIGHT, BOX_W, BOX_H, PAD = 250, 34, 210, 26, 10


def _label(node: dict[str, Any]) -> str:
    kind = node["type"]
    if kind == "system":
        return node["system"]
    if kind == "steward":
        return f"steward {node['actor']}"
    if kind == "run":
        return f"run {node['run_id'][:8]} ({node.get('status') or ''})"
    if kind == "source_record_version":
        return f"{node['source_key']} v{node['version']}"
    value = node.get("value")
    shown = "" if value is None else str(value)
    return f"{node['field']} = {shown[:22]}{'…' if len(shown) > 22 else ''}"


def lineage_svg(lineage: dict[str, Any]) -> str:
    """The graph system -> run -> source record version -> golden field, as one SVG element."""
    rows = [0, 0, 0, 0]
    pos: dict[str, tuple[int, int]] = {}
    for node in lineage["nodes"]:
        col = COLUMNS.get(node["type"], 3)
        pos[node["id"]] = (PAD + col * COL_WIDTH, PAD + rows[col] * ROW_HEIGHT)
        rows[col] += 1
    height = PAD * 2 + max(rows + [1]) * ROW_HEIGHT
    width = PAD * 2 + 3 * COL_WIDTH + BOX_W
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-labelledby="lineage-title">'),
             '<title id="lineage-title">lineage graph</title>']
    for edge in lineage["edges"]:
        if edge["from"] not in pos or edge["to"] not in pos:
            continue
        (left, top1), (x2, top2) = pos[edge["from"]], pos[edge["to"]]
        x1, y1, y2 = left + BOX_W, top1 + BOX_H / 2, top2 + BOX_H / 2
        mid = (x1 + x2) / 2
        parts.append(f'<path class="edge edge-{escape(edge["type"])}" d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}">'
                     f'<title>{escape(edge["type"])}</title></path>')
    for node in lineage["nodes"]:
        x, y = pos[node["id"]]
        text = escape(_label(node))
        parts.append(f'<g class="node node-{escape(node["type"])}"><title>{escape(node["id"])}</title>'
                     f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4"/>'
                     f'<text x="{x + 8}" y="{y + 17}">{text}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def bars(values: list[tuple[str, float]], *, width: int = 320, bar_h: int = 18) -> str:
    """Horizontal bars for percentages (0-100), labelled; used for pass rates on the dashboard."""
    height = max(1, len(values)) * (bar_h + 6) + 4
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>pass rate per domain</title>')]
    for i, (name, pct) in enumerate(values):
        y = 2 + i * (bar_h + 6)
        w = max(0.0, min(100.0, pct)) * (width - 130) / 100
        parts.append(f'<text x="0" y="{y + 13}">{escape(name)}</text>'
                     f'<rect x="80" y="{y}" width="{width - 130}" height="{bar_h}" class="track"/>'
                     f'<rect x="80" y="{y}" width="{w:.1f}" height="{bar_h}" class="bar"/>'
                     f'<text x="{width - 45}" y="{y + 13}">{pct:.1f}%</text>')
    parts.append("</svg>")
    return "".join(parts)
