"""The failing interleaving, drawn: one self-contained HTML page (or a fragment of one) with
inline SVG, made from a :class:`.report.Timeline`.

A swimlane per thread, its rows in order, top to bottom (the rows of the text table); the
decisive switches (the table's ``*``) marked in red; lock holds (solid) and waits (dashed) as
bars beside the lanes; each step's source line in its box, whole in its tooltip. For a
deadlock, the wait-for cycle as a graph: threads and locks, "waits for" and "held by"
arrows, the cycle in red.

The data may come from an untrusted process (class grading reads it from the sandbox), so
:func:`checked` takes any JSON value and returns a timeline of the right shape and a bounded
size, or None; every drawing function calls it first and escapes every text it writes. The
output is well-formed XML (it parses with ``xml.etree``), fetches nothing (no script, no
font, no link) and says so in a Content-Security-Policy. This module imports nothing of the
engine but the data's types.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

from .report import Edge, Graph, Node, Span, Step, Timeline

#: Bounds on what is drawn (a timeline from elsewhere is cut to them).
MAX_LANES, MAX_ROWS, MAX_SPANS, MAX_NODES, MAX_EDGES, MAX_TEXT = 24, 120, 200, 48, 96, 300

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _e(text: object) -> str:
    """Text made safe for XML and HTML, attribute values included."""
    return html.escape(_BAD.sub("?", str(text)), quote=True)


# ------------------------------------------------------------------ the data, checked
def _str(value: object, limit: int = MAX_TEXT) -> str:
    text = value if isinstance(value, str) else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _int(value: object, low: int, high: int, default: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return min(max(value, low), high)


def _bool(value: object) -> bool:
    return value is True


def _dicts(value: object, limit: int) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [v for v in value[:limit] if isinstance(v, dict)]


def checked(data: object) -> Timeline | None:
    """``data`` as a timeline of the right shape and bounded size, or None when it is not
    one (not a dict, no lanes, no rows). Unknown keys are dropped, bad values replaced."""
    if not isinstance(data, dict) or data.get("version") != 1:
        return None
    lanes = [_str(n, 80) for n in data.get("lanes", [])[:MAX_LANES]] if isinstance(
        data.get("lanes"), list) else []
    if not lanes:
        return None
    top = len(lanes) - 1
    rows = [Step(lane=_int(r.get("lane"), -1, top, -1), kind=_str(r.get("kind"), 8),
                 text=_str(r.get("text")), line=_int(r.get("line"), 0, 10**7),
                 file=_str(r.get("file"), 120), switch=_bool(r.get("switch")),
                 note=_str(r.get("note"), 160))
            for r in _dicts(data.get("rows"), MAX_ROWS)]
    for r in rows:
        if r["kind"] not in ("line", "op", "gap") or r["lane"] < 0:
            r["kind"], r["lane"] = ("gap", -1) if r["lane"] < 0 or r["kind"] == "gap" else (
                "op", r["lane"])
    if not rows:
        return None
    last = len(rows) - 1
    spans = []
    for s in _dicts(data.get("spans"), MAX_SPANS):
        lane = _int(s.get("lane"), -1, top, -1)
        kind = s.get("kind")
        if lane < 0 or kind not in ("holds", "waits"):
            continue
        start, end = _int(s.get("start"), 0, last), _int(s.get("end"), 0, last)
        spans.append(Span(lane=lane, kind=str(kind), what=_str(s.get("what"), 120),
                          on=_str(s.get("on"), 20), start=min(start, end),
                          end=max(start, end), before=_bool(s.get("before")),
                          after=_bool(s.get("after"))))
    graph = Graph(nodes=[], edges=[])
    cycle = data.get("cycle")
    if isinstance(cycle, dict):
        seen: set[str] = set()
        for n in _dicts(cycle.get("nodes"), MAX_NODES):
            node = Node(id=_str(n.get("id"), 12), kind=_str(n.get("kind"), 8),
                        name=_str(n.get("name"), 120))
            if node["id"] and node["id"] not in seen and node["kind"] in ("thread", "lock"):
                seen.add(node["id"])
                graph["nodes"].append(node)
        for d in _dicts(cycle.get("edges"), MAX_EDGES):
            edge = Edge(source=_str(d.get("source"), 12), target=_str(d.get("target"), 12),
                        kind=_str(d.get("kind"), 12), cycle=_bool(d.get("cycle")))
            if edge["source"] in seen and edge["target"] in seen and edge["kind"] in (
                    "holds", "waits for"):
                graph["edges"].append(edge)
    return Timeline(version=1, bug_class=_str(data.get("bug_class"), 40), lanes=lanes,
                    rows=rows, spans=spans, cycle=graph)


# ------------------------------------------------------------------ the swimlanes
ROW, HEAD, GUTTER, LANE, BAR, NOTE = 26, 34, 64, 270, 7, 380
RED, GREY, INK = "#c62828", "#9e9e9e", "#212121"
#: one colour per lock (or other primitive), in the order they first appear
PALETTE = ("#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#4e342e",
           "#558b2f")


def _fit(text: str, width: int) -> str:
    """Text cut to about ``width`` pixels of 12px monospace."""
    chars = max(4, width // 7)
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _colours(tl: Timeline) -> dict[str, str]:
    colours: dict[str, str] = {}
    for s in tl["spans"]:
        colours.setdefault(s["what"], PALETTE[len(colours) % len(PALETTE)])
    return colours


def timeline_svg(data: object) -> str:
    """The swimlanes of a timeline as one ``<svg>`` element ("" when there is none)."""
    tl = checked(data)
    if tl is None:
        return ""
    lanes, rows, spans = tl["lanes"], tl["rows"], tl["spans"]
    colours = _colours(tl)
    slots: dict[tuple[int, str], int] = {}
    per_lane: dict[int, int] = {}
    for s in spans:
        key = (s["lane"], s["what"])
        if key not in slots:
            slots[key] = min(per_lane.get(s["lane"], 0), 5)
            per_lane[s["lane"]] = per_lane.get(s["lane"], 0) + 1
    bars = max([min(n, 6) for n in per_lane.values()] or [0])
    lane_w = LANE + bars * (BAR + 2)
    width = GUTTER + len(lanes) * lane_w + NOTE
    height = HEAD + len(rows) * ROW + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="monospace" font-size="12">',
           "<title>The failing interleaving: one lane per thread, time flows down</title>",
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>']
    for i, name in enumerate(lanes):
        x = GUTTER + i * lane_w
        fill = "#f5f5f5" if i % 2 == 0 else "#fafafa"
        out.append(f'<g class="lane" data-lane="{i}"><title>{_e(name)}</title>'
                   f'<rect x="{x}" y="0" width="{lane_w}" height="{height}" fill="{fill}"/>'
                   f'<text class="lane-name" x="{x + 6}" y="20" font-weight="bold" '
                   f'fill="{INK}">{_e(_fit(name, lane_w - 12))}</text></g>')
    out.append(f'<line x1="0" y1="{HEAD - 6}" x2="{width}" y2="{HEAD - 6}" stroke="{GREY}"/>')
    for j, r in enumerate(rows):
        y = HEAD + j * ROW
        if r["kind"] == "gap":
            out.append(f'<g class="step gap"><text x="{GUTTER + 6}" y="{y + 17}" '
                       f'fill="{GREY}">… (rows left out) …</text></g>')
            continue
        lane = r["lane"]
        x = GUTTER + lane * lane_w + bars * (BAR + 2) + 4
        where = (f"{r['file']}, line {r['line']}: " if r["line"] else "")
        tip = f"{lanes[lane]}: {where}{r['text']}"
        if r["switch"]:
            tip += " (the scheduler switched to this thread here although it need not have)"
        if r["note"]:
            tip += f" <- {r['note']}"
        cls = "step switch" if r["switch"] else "step"
        stroke = RED if r["switch"] else GREY
        out.append(f'<g class="{cls}" data-lane="{lane}" data-row="{j}"><title>{_e(tip)}'
                   "</title>")
        if r["switch"]:
            out.append(f'<line x1="{GUTTER - 4}" y1="{y + 1}" x2="{x + LANE - 8}" y2="{y + 1}" '
                       f'stroke="{RED}" stroke-width="2" stroke-dasharray="6 3"/>'
                       f'<text class="mark" x="6" y="{y + 17}" fill="{RED}" '
                       f'font-weight="bold">* {j + 1}</text>')
        else:
            out.append(f'<text class="row-number" x="6" y="{y + 17}" fill="{GREY}">{j + 1}'
                       "</text>")
        number = str(r["line"]) if r["line"] else ""
        out.append(f'<rect x="{x}" y="{y + 3}" width="{LANE - 12}" height="{ROW - 6}" rx="4" '
                   f'fill="#ffffff" stroke="{stroke}" '
                   f'stroke-width="{2 if r["switch"] else 1}"/>'
                   f'<text class="source" x="{x + 5}" y="{y + 17}" fill="{INK}">'
                   f"{_e(_fit(r['text'], LANE - 30 - 7 * len(number)))}</text>")
        if number:
            out.append(f'<text class="line-number" x="{x + LANE - 17}" y="{y + 17}" '
                       f'fill="{GREY}" text-anchor="end">{number}</text>')
        if r["note"]:
            out.append(f'<text class="note" x="{GUTTER + len(lanes) * lane_w + 6}" '
                       f'y="{y + 17}" fill="#5d4037">&lt;- {_e(_fit(r["note"], NOTE - 30))}'
                       "</text>")
        out.append("</g>")
    for s in spans:
        x = GUTTER + s["lane"] * lane_w + 3 + slots[(s["lane"], s["what"])] * (BAR + 2)
        y1 = HEAD + s["start"] * ROW + 3
        y2 = HEAD + (s["end"] + 1) * ROW - 3
        colour = colours[s["what"]]
        who = lanes[s["lane"]]
        words = (f"{who} holds {s['what']}" if s["kind"] == "holds"
                 else f"{who} waits for {s['what']}")
        words += f", rows {s['start'] + 1} to {s['end'] + 1}"
        if s["before"]:
            words += " (since before the first row shown)"
        if s["after"]:
            words += " (still at the end)"
        if s["kind"] == "holds":
            shape = (f'<rect x="{x}" y="{y1}" width="{BAR}" height="{y2 - y1}" '
                     f'fill="{colour}"/>')
        else:
            shape = (f'<rect x="{x + 1}" y="{y1}" width="{BAR - 2}" height="{y2 - y1}" '
                     f'fill="#ffffff" stroke="{colour}" stroke-width="2" '
                     'stroke-dasharray="4 3"/>')
        out.append(f'<g class="span {s["kind"]}" data-lane="{s["lane"]}">'
                   f"<title>{_e(words)}</title>{shape}</g>")
    out.append("</svg>")
    return "".join(out)


def _legend(tl: Timeline) -> str:
    colours = _colours(tl)
    items = [f'<span style="color:{RED};font-weight:bold">* switch</span>: the scheduler '
             "switched threads there although it need not have (the switches the bug needs)"]
    held = {s["what"] for s in tl["spans"] if s["kind"] == "holds"}
    for what, colour in colours.items():
        words = "solid bar: held; dashed bar: waited for" if what in held else (
            "dashed bar: waited for")
        items.append(f'<span style="display:inline-block;width:.8em;height:.8em;'
                     f'background:{colour}"></span> {_e(what)} ({words})')
    items.append("the grey number in a step is its line in the source file")
    return '<ul class="legend">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


# ------------------------------------------------------------------ the wait-for cycle
def cycle_svg(data: object) -> str:
    """A deadlock's wait-for cycle as a graph in one ``<svg>`` ("" when there is none)."""
    tl = checked(data)
    if tl is None or not tl["cycle"]["edges"]:
        return ""
    nodes, edges = tl["cycle"]["nodes"], tl["cycle"]["edges"]
    in_cycle = {e[end] for e in edges if e["cycle"] for end in ("source", "target")}
    ring = [n for n in nodes if n["id"] in in_cycle]
    rest = [n for n in nodes if n["id"] not in in_cycle]
    radius = max(110, 45 * len(ring))
    cx, cy = radius + 110, radius + 50
    width = max(2 * cx, 170 * len(rest) + 40)
    height = 2 * radius + 100 + (90 if rest else 0)
    where: dict[str, tuple[float, float]] = {}
    for k, n in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * k / max(1, len(ring))
        where[n["id"]] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    for k, n in enumerate(rest):
        where[n["id"]] = (100 + 170 * k, 2 * radius + 130)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="wait-for" role="img" '
           f'width="{width:.0f}" height="{height}" viewBox="0 0 {width:.0f} {height}" '
           'font-family="sans-serif" font-size="13">',
           "<title>Who holds and who waits for what: the cycle is red</title>",
           f'<rect x="0" y="0" width="{width:.0f}" height="{height}" fill="#ffffff"/>']
    names = {n["id"]: n["name"] for n in nodes}
    for d in edges:
        # arrows follow the cycle: thread -> the lock it waits for -> the thread holding it
        a, b = (d["target"], d["source"]) if d["kind"] == "holds" else (
            d["source"], d["target"])
        (x1, y1), (x2, y2) = where[a], where[b]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        pad = 34
        sx, sy, ex, ey = x1 + ux * pad, y1 + uy * pad, x2 - ux * pad, y2 - uy * pad
        colour, width_px = (RED, 3) if d["cycle"] else (GREY, 1.5)
        head = [(ex, ey), (ex - 12 * ux + 6 * uy, ey - 12 * uy - 6 * ux),
                (ex - 12 * ux - 6 * uy, ey - 12 * uy + 6 * ux)]
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in head)
        label = "held by" if d["kind"] == "holds" else "waits for"
        words = (f"{names[d['source']]} holds {names[d['target']]}" if d["kind"] == "holds"
                 else f"{names[d['source']]} waits for {names[d['target']]}")
        cls = f"edge {'holds' if d['kind'] == 'holds' else 'waits'}"
        cls += " cycle" if d["cycle"] else ""
        out.append(f'<g class="{cls}" data-source="{_e(d["source"])}" '
                   f'data-target="{_e(d["target"])}"><title>{_e(words)}</title>'
                   f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" '
                   f'stroke="{colour}" stroke-width="{width_px}"/>'
                   f'<polygon points="{points}" fill="{colour}"/>'
                   f'<text x="{(sx + ex) / 2 + 6 * uy:.1f}" y="{(sy + ey) / 2 - 6 * ux:.1f}" '
                   f'fill="{colour}" font-size="11" text-anchor="middle">{label}</text></g>')
    for n in nodes:
        x, y = where[n["id"]]
        name = _e(_fit(n["name"], 150))
        stroke = RED if n["id"] in in_cycle else GREY
        if n["kind"] == "thread":
            shape = (f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="80" ry="24" fill="#e3f2fd" '
                     f'stroke="{stroke}" stroke-width="2"/>')
        else:
            shape = (f'<rect x="{x - 70:.1f}" y="{y - 18:.1f}" width="140" height="36" rx="3" '
                     f'fill="#fff8e1" stroke="{stroke}" stroke-width="2"/>')
        kind = "thread" if n["kind"] == "thread" else "lock"
        out.append(f'<g class="node {kind}" data-id="{_e(n["id"])}"><title>{kind} '
                   f'{_e(n["name"])}</title>{shape}<text x="{x:.1f}" y="{y + 5:.1f}" '
                   f'text-anchor="middle" fill="{INK}">{name}</text></g>')
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------ pages
def figure(data: object) -> str:
    """The drawings of a timeline as one ``<div>`` to put into a page ("" when ``data`` is
    no timeline)."""
    tl = checked(data)
    if tl is None:
        return ""
    parts = ['<div class="interleaving-picture">',
             "<p>The failing interleaving, one lane per thread (time flows down; hover over a "
             "step for its whole line):</p>",
             f'<div style="overflow-x:auto">{timeline_svg(tl)}</div>', _legend(tl)]
    graph = cycle_svg(tl)
    if graph:
        parts += ["<p>The wait-for cycle: each thread waits for a lock the next one holds "
                  "(red).</p>", f'<div style="overflow-x:auto">{graph}</div>']
    parts.append("</div>")
    return "\n".join(parts)


STYLE = ("body{font-family:sans-serif;margin:1.5em;color:#212121}"
         "pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:90%}"
         ".legend{font-size:90%}")


def page(data: object, title: str = "The failing interleaving", report: str = "") -> str:
    """One self-contained HTML page: ``title``, the drawings, then ``report`` (the text
    report) as preformatted text. Well-formed XML; fetches nothing."""
    return "\n".join([
        "<!DOCTYPE html>", '<html xmlns="http://www.w3.org/1999/xhtml" lang="en">', "<head>",
        '<meta charset="utf-8"/>',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'; img-src data:"/>',
        f"<title>{_e(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<h1>{_e(title)}</h1>", figure(data) or "<p>No interleaving to draw.</p>",
        f"<pre>{_e(report)}</pre>" if report else "", "</body>", "</html>", ""])
