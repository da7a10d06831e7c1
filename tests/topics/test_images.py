"""The course's diagrams in images/ are drawn by images/draw.py: a committed image that a
fresh drawing would change is out of date, and so is one the script no longer draws."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]


def test_every_committed_image_is_what_the_script_draws() -> None:
    done = subprocess.run([sys.executable, str(KIT / "images" / "draw.py"), "--check"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, (done.stdout + done.stderr
                                  + "\nRedraw them with: python images/draw.py")


def test_no_image_is_left_that_the_script_does_not_draw() -> None:
    sys.path.insert(0, str(KIT / "images"))
    try:
        import draw
    finally:
        sys.path.remove(str(KIT / "images"))
    drawn = {f"{name}.svg" for name in [*draw.DIAGRAMS, *draw.FAILURES]}
    assert {p.name for p in (KIT / "images").glob("*.svg")} == drawn
