"""The drawn interleaving in a real browser: headless Chromium renders the page, and the
screenshot is a PNG with a picture on it (not a blank page).

Marked ``browser``: it runs wherever Chromium is installed (course CI installs it in
.ci/run); elsewhere a run leaves it out and says so (tests/conftest.py). Asked for by name
(``pytest -m browser``) where Chromium is missing, it fails, saying so: a browser check that
cannot run is not a pass.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from graders.engine import Settings, explore_target
from graders.engine.drawing import page

CHROMIUM = Path("/usr/bin/chromium")
PROGRAMS = Path(__file__).resolve().parent / "programs"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, the unfiltered rows) of an 8-bit RGB or RGBA PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(png):
        (length,), kind = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            corner = previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r[i:i + 3]) for r in rows for i in range(0, stride, step)]


#: Run in the browser after layout: what it drew, measured, written into the page's title.
MEASURE = """<script>
const box = e => e.getBoundingClientRect();
const lanes = [...document.querySelectorAll("svg.timeline .lane-name")];
const cycle = [...document.querySelectorAll("svg.wait-for .edge.cycle")];
document.title = JSON.stringify({
  lanes: lanes.map(e => e.textContent),
  laneLefts: lanes.map(e => Math.round(box(e).left)),
  steps: document.querySelectorAll("svg.timeline g[data-row]").length,
  cycleEdges: cycle.length,
  cycleDrawn: cycle.filter(e => box(e).width + box(e).height > 20).length,
});
</script>"""


def _chromium(tmp_path: Path, html: Path, *action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=1200,800", *action, html.as_uri()],
        capture_output=True, text=True, timeout=90, check=False)


@pytest.mark.parametrize(("target", "lanes", "cycle"), [
    ("philosophers.py:main", 4, True), ("lost_update.py:main", 3, False)])
def test_chromium_renders_the_picture(tmp_path: Path, target: str, lanes: int,
                                      cycle: bool) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: this browser test needs Chromium (on Debian: "
                    "apt-get install chromium)", pytrace=False)
    failure = explore_target(str(PROGRAMS / target), Settings(schedules=50)).failure
    assert failure is not None and failure.timeline is not None
    html = tmp_path / "picture.html"
    html.write_text(page(failure.timeline, target, failure.message), encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = _chromium(tmp_path, html, f"--screenshot={shot}")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    width, height, pixels = _pixels(shot.read_bytes())
    assert (width, height) == (1200, 800)
    colours = set(pixels)
    dark = sum(1 for p in pixels if max(p) < 100)            # text, lines
    red = sum(1 for p in pixels if p[0] > 150 and p[1] < 90 and p[2] < 90)   # the switches
    assert len(colours) > 20, "the screenshot is (nearly) one colour: a blank page"
    assert dark > 2000, "hardly any text or lines on the page"
    assert red > 50, "no red: the decisive switches (or the cycle) are not drawn"
    # the page's policy forbids scripts: one added to it does not run in the browser ...
    source = html.read_text(encoding="utf-8")
    blocked = tmp_path / "blocked.html"
    blocked.write_text(source + MEASURE, encoding="utf-8")
    dom = _chromium(tmp_path, blocked, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not re.search(r"<title>\{", dom.stdout), "a script ran despite the page's policy"
    # ... so the test measures a copy without the policy, laid out by the browser
    policy = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
    assert policy.search(source)
    measured = tmp_path / "measured.html"
    measured.write_text(policy.sub("", source) + MEASURE, encoding="utf-8")
    dom = _chromium(tmp_path, measured, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r"<title>(\{.*?\})</title>", dom.stdout)
    assert found, "the measuring script did not run in the browser"
    seen = json.loads(html_lib.unescape(found.group(1)))
    assert len(seen["lanes"]) == lanes and seen["lanes"][0] == "MainThread", seen
    assert seen["laneLefts"] == sorted(set(seen["laneLefts"])), f"lanes overlap: {seen}"
    assert seen["steps"] > 0, seen
    if cycle:
        assert seen["cycleEdges"] >= 2 * (lanes - 1), f"no wait-for cycle drawn: {seen}"
        assert seen["cycleDrawn"] == seen["cycleEdges"], f"a cycle edge has no size: {seen}"
    else:
        assert seen["cycleEdges"] == 0, seen
