"""The failing interleaving as data (Failure.timeline) and drawn (graders.engine.drawing):
what a user sees in the page, read back with an XML parser."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from graders.engine import Settings, explore_target
from graders.engine.drawing import MAX_ROWS, checked, cycle_svg, figure, page, timeline_svg

PROGRAMS = Path(__file__).resolve().parent / "programs"
SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def _failure(target: str, schedules: int = 50):
    result = explore_target(str(PROGRAMS / target), Settings(schedules=schedules))
    assert result.failure is not None and result.failure.timeline is not None
    return result.failure


def _parse(text: str) -> ET.Element:
    assert text.startswith("<!DOCTYPE html>")
    return ET.fromstring(text.split("\n", 1)[1].encode())


def _classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def _groups(root: ET.Element, *wanted: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if set(wanted) <= _classes(g)]


def _text(element: ET.Element) -> str:
    return "".join(element.itertext())


def test_the_timeline_is_the_text_tables_rows_as_json() -> None:
    f = _failure("lost_update.py:main")
    tl = f.timeline
    assert json.loads(json.dumps(tl)) == tl             # plain data, crosses any pipe
    assert tl["lanes"] == ["MainThread", "adder-0", "adder-1"]
    table = f.interleaving.splitlines()[1:]             # the header is the lanes' names
    assert len(table) == len(tl["rows"])
    for line, row in zip(table, tl["rows"], strict=True):
        if row["kind"] == "gap":
            assert line.strip() == "..."
            continue
        assert line.startswith("  * ") == row["switch"]
        cell = line[4:].split(" | ")[row["lane"]].strip()
        assert cell.startswith(row["text"][:20]) and f"(line {row['line']})" in (
            cell if "…" not in cell else f"(line {row['line']})")
        if row["note"]:
            assert line.endswith(f"<- {row['note']}")
    assert any(row["switch"] for row in tl["rows"])
    assert tl["cycle"] == {"nodes": [], "edges": []}


def test_the_page_has_a_lane_per_thread_the_switches_and_the_source_lines() -> None:
    f = _failure("lost_update.py:main")
    root = _parse(page(f.timeline, "test_lost_update", f.message))
    (svg,) = [s for s in root.iter(f"{SVG}svg") if "timeline" in _classes(s)]
    names = [_text(g.find(f"{SVG}text")) for g in _groups(svg, "lane")]
    assert names == ["MainThread", "adder-0", "adder-1"]
    switches = _groups(svg, "step", "switch")
    assert len(switches) == f.interleaving.count("\n  * ") > 0
    for g in switches:          # the mark a reader sees in the gutter, and the tooltip's words
        assert any(_text(t).startswith("* ") for t in g.iter(f"{SVG}text"))
        assert "switched" in _text(g.find(f"{SVG}title"))
    tips = " ".join(_text(g.find(f"{SVG}title")) for g in _groups(svg, "step")
                    if g.find(f"{SVG}title") is not None)
    assert "count += 1" in tips and "lost_update.py, line 11" in tips
    shown = " ".join(_text(t) for t in svg.iter(f"{SVG}text") if "source" in _classes(t))
    assert "count += 1" in shown and "for _ in range(n):" in shown
    assert not [e for e in root.iter() if e.tag.endswith(("script", "link", "img", "iframe"))]


def test_a_deadlock_page_draws_the_cycle_and_the_lock_holds() -> None:
    f = _failure("philosophers.py:main")
    tl = f.timeline
    holds = {(tl["lanes"][s["lane"]], s["what"]) for s in tl["spans"] if s["kind"] == "holds"}
    waits = {(tl["lanes"][s["lane"]], s["what"]) for s in tl["spans"] if s["kind"] == "waits"}
    assert {("philosopher-0", "forks[0]"), ("philosopher-1", "forks[1]"),
            ("philosopher-2", "forks[2]")} <= holds
    assert {("philosopher-0", "forks[1]"), ("philosopher-1", "forks[2]"),
            ("philosopher-2", "forks[0]")} <= waits
    root = _parse(page(tl, "test_dine", f.message))
    (graph,) = [s for s in root.iter(f"{SVG}svg") if "wait-for" in _classes(s)]
    nodes = {g.get("data-id"): (_classes(g), _text(g.find(f"{SVG}text")))
             for g in _groups(graph, "node")}
    threads = {name for cls, name in nodes.values() if "thread" in cls}
    locks = {name for cls, name in nodes.values() if "lock" in cls}
    assert threads == {"philosopher-0", "philosopher-1", "philosopher-2"}
    assert locks == {"forks[0]", "forks[1]", "forks[2]"}
    name = {key: text for key, (_cls, text) in nodes.items()}
    edges = {(name[g.get("data-source")], "waits" if "waits" in _classes(g) else "holds",
              name[g.get("data-target")]) for g in _groups(graph, "edge", "cycle")}
    assert edges == {("philosopher-0", "waits", "forks[1]"), ("philosopher-1", "holds", "forks[1]"),
                     ("philosopher-1", "waits", "forks[2]"), ("philosopher-2", "holds", "forks[2]"),
                     ("philosopher-2", "waits", "forks[0]"), ("philosopher-0", "holds", "forks[0]")}
    # the cycle is red; its arrows are labelled as a reader follows them round
    for g in _groups(graph, "edge", "cycle"):
        assert g.find(f"{SVG}line").get("stroke") == "#c62828"
        assert _text(g.find(f"{SVG}text")) in ("waits for", "held by")


def test_a_self_deadlock_is_a_cycle_of_one_thread() -> None:
    f = _failure("self_deadlock.py:in_worker")
    edges = f.timeline["cycle"]["edges"]
    assert {e["kind"] for e in edges} == {"holds", "waits for"}
    assert len({e["source"] for e in edges}) == 1 and all(e["cycle"] for e in edges)
    assert "wait-for" in cycle_svg(f.timeline)


HOSTILE = '''\
import threading

log = []


def work():
    log.append("<script>alert('line')</script>")


def main():
    t = threading.Thread(target=work, name="<script>alert(1)</script>&amp;")
    t.start()
    work()
    t.join()
    assert False, "shown"
'''


def test_text_from_the_program_is_escaped(tmp_path: Path) -> None:
    (tmp_path / "hostile.py").write_text(HOSTILE)
    result = explore_target(f"{tmp_path / 'hostile.py'}:main", Settings(schedules=3))
    assert result.failure is not None and result.failure.timeline is not None
    text = page(result.failure.timeline, "<script>x</script>", "</pre><script>y</script>")
    assert "<script" not in text
    root = _parse(text)
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    lanes = [_text(g.find(f"{SVG}text")) for g in _groups(root, "lane")]
    assert "<script>alert(1)</script>&amp;" in lanes
    assert "<script>alert('line')</script>" in _text(root)


def test_checked_takes_any_value_and_bounds_it() -> None:
    for junk in (None, 3, "x", [], {}, {"version": 2}, {"version": 1, "lanes": []},
                 {"version": 1, "lanes": ["a"], "rows": "no"}):
        assert checked(junk) is None
        assert figure(junk) == "" and timeline_svg(junk) == ""
    big = {"version": 1, "lanes": ["a" * 10_000, 7], "bug_class": {"x": 1},
           "rows": [{"lane": 9, "kind": "line", "text": "t" * 5000, "line": "12",
                     "switch": "yes", "note": None}] * 1000,
           "spans": [{"lane": 0, "kind": "holds", "what": "l", "start": -5, "end": 10**9},
                     {"lane": 0, "kind": "rm -rf", "start": 0, "end": 0}],
           "cycle": {"nodes": [{"id": "t0", "kind": "thread", "name": "a"},
                               {"id": "t0", "kind": "thread", "name": "dup"}],
                     "edges": [{"source": "t0", "target": "nowhere", "kind": "holds"}]},
           "extra": "dropped"}
    tl = checked(big)
    assert tl is not None and "extra" not in tl
    assert len(tl["rows"]) == MAX_ROWS and len(tl["lanes"][0]) <= 80 and tl["lanes"][1] == ""
    row = tl["rows"][0]
    assert row["lane"] == 1 and len(row["text"]) <= 300 and row["line"] == 0
    assert row["switch"] is False and row["note"] == ""
    assert tl["spans"] == [{"lane": 0, "kind": "holds", "what": "l", "on": "", "start": 0,
                            "end": MAX_ROWS - 1, "before": False, "after": False}]
    assert len(tl["cycle"]["nodes"]) == 1 and tl["cycle"]["edges"] == []
    _parse(page(big))                        # drawn all the same, well-formed
