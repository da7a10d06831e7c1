"""The compiled engine (graders/engine/native.py): the same program as the pure one, never
stale, and invisible to the grading sandbox's guard."""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from graders.engine import frames, native

ROOT = Path(__file__).resolve().parents[2]


def _fake_build(folder: Path) -> None:
    """What an install leaves in the package: each module's source and compiled file, the
    group's shared library and the stamp."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for name in native.MODULES:
        (folder / f"{name}.py").write_text(f"NAME = {name!r}\n")
        (folder / f"{name}{suffix}").write_bytes(b"")
    for name in native.C_MODULES:
        (folder / f"{name}.c").write_text(f"/* {name} */\n")
        (folder / f"{name}{suffix}").write_bytes(b"")
    (folder / f"{native.GROUP}__mypyc{suffix}").write_bytes(b"")
    (folder / native.stamp_name()).write_text(json.dumps(native.source_hashes(folder)))


def test_compiled_modules_are_used_only_as_built_from_the_sources_beside_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADERS_ENGINE_PURE", raising=False)
    _fake_build(tmp_path)
    assert native.usable(tmp_path)
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]

    monkeypatch.setenv("GRADERS_ENGINE_PURE", "1")
    assert not native.usable(tmp_path), "GRADERS_ENGINE_PURE=1 asks for the pure modules"
    monkeypatch.delenv("GRADERS_ENGINE_PURE")

    source = tmp_path / f"{native.MODULES[0]}.py"
    source.write_text(source.read_text() + "EDITED = True\n")
    assert not native.usable(tmp_path), "a source edited after the build"

    _fake_build(tmp_path)
    source = tmp_path / f"{native.C_MODULES[0]}.c"
    source.write_text(source.read_text() + "/* edited */\n")
    assert not native.usable(tmp_path), "a C source edited after the build"

    _fake_build(tmp_path)
    (tmp_path / f"{native.C_MODULES[0]}{suffix}").unlink()
    assert not native.usable(tmp_path), "a C module did not build"

    _fake_build(tmp_path)
    (tmp_path / f"{native.GROUP}__mypyc{suffix}").unlink()
    assert not native.usable(tmp_path), "the group's shared library is missing"

    _fake_build(tmp_path)
    (tmp_path / native.stamp_name()).unlink()
    assert not native.usable(tmp_path), "built by another interpreter, or not at all"


def _compilable() -> bool:
    """Would the install have compiled the engine here (setup.py)?"""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(compiler) is not None and native.not_built_because() is None


def _fingerprints(pure: bool) -> list[str]:
    """benchmarks/speed.py's fingerprint of every run, per program, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k != "GRADERS_ENGINE_PURE"}
    if pure:
        env["GRADERS_ENGINE_PURE"] = "1"
    programs = ["counter_lock", "homemade_barrier", "polite_philosophers", "threadpool_map",
                "philosophers_5", "rwlock_fair"]
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "speed.py"), "--schedules", "60", *programs],
        capture_output=True, text=True, env=env, timeout=600, check=True).stdout
    # "HH:MM:SS name rate/s cpu X ms sleeps Y runs N fingerprint [verdict@schedule] [rate]"
    rows = [line.split() for line in out.splitlines() if line.strip()]
    return [" ".join([row[1], row[10], *(f for f in row[11:12] if "@" in f)]) for row in rows]


def test_the_compiled_and_the_pure_engine_explore_the_same_schedules() -> None:
    """Same steps, decisions, switches, verdicts and log lengths in every run (livelocks
    by state included: they read where each thread stands, which the compiled tracer
    shows differently), so a grade never depends on which one ran."""
    if not native.COMPILED:
        if _compilable():
            pytest.fail("a C compiler is here but the engine is not compiled (or is stale): "
                        "reinstall (`pip install --no-deps -e .`) and read the build's "
                        "warnings")
        pytest.skip("no C compiler here: the engine runs pure Python only")
    assert _fingerprints(pure=False) == _fingerprints(pure=True)


def _site_by(read: Any, depth: int, traced: Any) -> tuple[object, int]:
    return read(depth, traced)


def test_the_c_helper_reads_frames_as_the_pure_engine_does() -> None:
    """graders/engine/frames.py: the compiled engine's C helper finds the same code and
    instruction as the pure one (a report's line comes from them) without the audit events."""
    if not native.COMPILED:
        pytest.skip("the engine is not compiled here (the test above says whether it should)")
    helper = importlib.import_module("graders.engine._framecode")
    assert frames.code_of is helper.code_of and frames.traced_site is helper.traced_site
    this_file: Any = __file__.__eq__
    for depth in (1, 2, 3, 500):
        for traced in (this_file, lambda name: True, lambda name: False):
            found = [_site_by(read, depth, traced)
                     for read in (helper.traced_site, frames._traced_site)]
            assert found[0] == found[1], (depth, found)
    assert _site_by(helper.traced_site, 1, this_file)[0] is \
        test_the_c_helper_reads_frames_as_the_pure_engine_does.__code__
    frame = sys._getframe()
    assert helper.code_of(frame) is frame.f_code
    # and without an audit event (a hook cannot be removed: a process of its own)
    probe = ("import sys\nfrom graders.engine import _framecode as h\nf = sys._getframe()\n"
             "seen = []\nsys.addaudithook(lambda e, a: seen.append(e))\n"
             "h.code_of(f)\nh.traced_site(0, bool)\nprint(seen)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"


#: Calls the grading sandbox's guard judges by the innermost Python frame (its caller),
#: refusing them when that frame is submitted code (graders/grading/guard.py: its audit
#: hook's FROM_STUDENT_FRAME and UNDER_STUDENT_FRAME, and the functions it wraps). Compiled
#: code has no frame: at a scheduling point the innermost frame is the student's.
GUARDED = frozenset({
    "_getframe", "_current_frames", "get_objects", "get_referrers", "get_referents", "kill",
    "killpg", "pthread_kill", "start_new_thread", "settrace", "setprofile", "use_tool_id",
    "free_tool_id", "set_events", "set_local_events", "register_callback",
    "restart_events", "getcurrent", "greenlet", "CDLL", "PyDLL", "cast", "memmove",
})


def test_compiled_modules_make_no_call_the_guard_judges_by_its_caller() -> None:
    """The real functions bound at import (``_settrace = sys.settrace``) are the way: the
    guard wraps the module attributes only later, and judges what passes through them."""
    found = []
    for name in native.MODULES:
        tree = ast.parse((ROOT / "graders" / "engine" / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else (
                func.id if isinstance(func, ast.Name) else None)
            if called in GUARDED:
                found.append(f"{name}.py:{node.lineno} {called}()")
    assert found == []
