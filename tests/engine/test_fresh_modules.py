"""Each run loads the code under test and its sibling modules anew, and leaves sys.modules as
it found it: also when a run changes sys.modules in ways the fast comparison cannot follow."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from graders.engine.patching import Program


def _program(tmp_path: Path, source: str) -> Program:
    (tmp_path / "helper.py").write_text("made = []\n")
    (tmp_path / "prog.py").write_text(source)
    return Program([tmp_path / "prog.py"])


def test_siblings_are_fresh_in_every_run_and_gone_after(tmp_path):
    program = _program(tmp_path, "import helper\nhelper.made.append(1)\n")
    helpers = []
    for _ in range(4):
        program.load()
        helpers.append(sys.modules["helper"])
        assert sys.modules["helper"].made == [1]
        program.unload()
        assert "helper" not in sys.modules
        assert "prog" not in sys.modules
    assert len({id(h) for h in helpers}) == 4


def test_the_callers_copy_of_the_program_is_put_back_after_every_run(tmp_path):
    program = _program(tmp_path, "import helper\n")
    mine = types.ModuleType("prog")
    mine.__file__ = str(tmp_path / "prog.py")
    sys.modules["prog"] = mine
    try:
        for _ in range(3):
            loaded = program.load()
            assert sys.modules["prog"] is loaded[0] is not mine
            program.unload()
            assert sys.modules["prog"] is mine
            assert "helper" not in sys.modules
    finally:
        sys.modules.pop("prog", None)


@pytest.mark.parametrize("change", ["replace", "delete_and_put_back"])
def test_a_run_that_rewrites_sys_modules_leaves_nothing_of_its_own(tmp_path, change):
    """A run that puts one of its modules under a name that was there before, or moves an
    entry to the end of sys.modules: the order no longer matches and the full scan decides."""
    name = "graders_fresh_modules_victim"
    victim = types.ModuleType(name)
    sys.modules[name] = victim
    if change == "replace":
        source = (f"import sys, helper\nsys.modules[{name!r}] = helper\n")
    else:
        source = (f"import sys\nsys.modules[{name!r}] = sys.modules.pop({name!r})\n")
    program = _program(tmp_path, source)
    try:
        for _ in range(3):
            program.load()
            program.unload()
            assert "helper" not in sys.modules
            assert "prog" not in sys.modules
            if change == "replace":
                # stale (a module of the program's folder) under that name: dropped, as
                # the full scan always did
                assert name not in sys.modules
                sys.modules[name] = victim
            else:
                assert sys.modules[name] is victim
    finally:
        sys.modules.pop(name, None)
