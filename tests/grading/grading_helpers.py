"""Helpers for the grading tests: the sample class, small classes made on the fly,
``python -m graders grade`` run as a child process, and file comparisons."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
CLASS = ROOT / "examples" / "class"


def load_make_class() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_class", ROOT / "examples" / "make_class.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_class", module)
    spec.loader.exec_module(module)
    return module


make_class = load_make_class()


def grade_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``python -m graders grade ARGS`` from the checkout's root."""
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "graders", "grade", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def write_submission(root: Path, name: str, files: dict[str, str]) -> Path:
    for path, text in files.items():
        full = root / name / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text)
    return root / name


def solution(topic: str) -> str:
    return make_class.source(topic, "solution")


def starter_points(name: str) -> int:
    """What the untouched starter of topic ``name`` honestly earns: the points of every check
    topics.toml does not list it as failing (an attack built on the starter earns no more)."""
    from graders.catalog import topic

    t = topic(name)
    return sum(c.points for c in t.checks if c.name not in t.fails)


def starter(topic: str) -> str:
    return make_class.source(topic, "starter")


def results(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((out / "results").glob("*.json"))}


def passed(result: dict) -> set[str]:
    return {f"{c['topic']}:{c['check']}" for c in result["checks"] if c["status"] == "passed"}


#: What differs between two gradings of the same files: run times, and the seal over them.
_TIMING_KEYS = {"seconds", "execution_time", "duration", "seal"}


def _drop_timings(value: object) -> object:
    if isinstance(value, dict):
        return {k: _drop_timings(v) for k, v in value.items() if k not in _TIMING_KEYS}
    if isinstance(value, list):
        return [_drop_timings(v) for v in value]
    return value


def normalized(out: Path) -> dict[str, object]:
    """Every file under ``out`` with the run-time measurements taken out (they are the one
    thing that differs between two gradings of the same class)."""
    files: dict[str, object] = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        key = str(path.relative_to(out))
        data = path.read_bytes()
        if path.suffix == ".json":
            files[key] = _drop_timings(json.loads(data))
        elif path.suffix == ".b64":
            files[key] = _drop_timings(json.loads(base64.b64decode(data)))
        elif path.suffix == ".xml":
            files[key] = re.sub(rb' time="[^"]*"', b' time=""', data)
        else:
            files[key] = data
    return files
