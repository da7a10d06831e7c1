"""The engine's hot path, compiled where it can be, and never stale.

``setup.py`` compiles the modules in :data:`MODULES` with mypyc when a C compiler is at
hand (the install does not fail without one), and records a hash of each source it compiled.
Python prefers a compiled module to its ``.py`` beside it; this module makes sure that
preference never runs code that is not the source's: unless every compiled module of this
interpreter was built from the sources as they are now, all of them are loaded from their
``.py`` files (a checkout edited after ``pip install -e .``, another Python, a partial
build). ``GRADERS_ENGINE_PURE=1`` asks for the pure modules as well.

Both are the same program: the same schedules, verdicts and replay tokens (compiled code
runs the same bytecode-level logic of the engine; the code under test is never compiled).
Only the speed differs: see docs/engine-profile.md. Nothing else may be imported here: it
runs before the rest of the engine.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

#: The modules compiled, as ``graders.engine.<name>``. They call each other directly in C,
#: so they are used all compiled or all pure. Not here: the stand-ins the code under test
#: sees, subclasses or finds on its stack (primitives, threads, timing, ...); what tests and
#: benchmarks wrap (explorer); and code that makes a call the grading sandbox's guard judges
#: by the innermost Python frame (statehash: ``sys._current_frames``; monitoring:
#: ``sys._getframe``, ``sys.monitoring``): compiled code has no frame of its own, so from
#: a scheduling point the call would look like the student's (tests/engine/test_native.py).
MODULES = ("scheduler", "strategies", "tracing", "patching", "lockorder")
#: Extension modules written in C, built and used with the compiled ones, as
#: ``graders.engine.<name>`` from ``<name>.c``: ``_framecode`` reads frames without the audit
#: events ``frame.f_code`` and ``sys._getframe`` raise (see frames.py)
C_MODULES = ("_framecode",)
#: mypyc's shared library of the group, inside this package
GROUP = "_native"
#: What a build adds to the package, as glob patterns: never copied to another machine (a
#: Gradescope zip, a PrairieLearn course), which builds its own or runs the sources.
BUILT_FILES = ("*.so", "*.pyd", "native-*.json")
HERE = Path(__file__).resolve().parent
PACKAGE = __name__.rpartition(".")[0]


def stamp_name() -> str:
    """The file that lists the sources this interpreter's compiled modules were built from
    (one per interpreter ABI: a 3.11 and a 3.12 build live side by side)."""
    return f"native-{sysconfig.get_config_var('SOABI') or sys.implementation.cache_tag}.json"


def not_built_because() -> str | None:
    """Why an install on this interpreter leaves the engine pure whatever the machine has
    (None: setup.py compiles it where a C compiler is at hand)."""
    if os.environ.get("GRADERS_NATIVE", "1") == "0":
        return "GRADERS_NATIVE=0"
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        return "free-threaded Python, which mypyc does not target yet"
    return None


def source_hashes(folder: Path) -> dict[str, str]:
    """sha256 of the source of each compiled module in ``folder``, by file name."""
    sources = [f"{name}.py" for name in MODULES] + [f"{name}.c" for name in C_MODULES]
    return {source: hashlib.sha256((folder / source).read_bytes()).hexdigest()
            for source in sources}


def _built(folder: Path, name: str) -> bool:
    return any((folder / f"{name}{suffix}").is_file()
               for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def usable(folder: Path = HERE) -> bool:
    """Every compiled module (and their shared library) is in ``folder`` for this
    interpreter and was built from the sources as they are now, and the pure ones were not
    asked for."""
    if os.environ.get("GRADERS_ENGINE_PURE", "") not in ("", "0"):
        return False
    if not all(_built(folder, name) for name in (*MODULES, *C_MODULES, f"{GROUP}__mypyc")):
        return False
    try:
        stamp = json.loads((folder / stamp_name()).read_text())
    except (OSError, ValueError):
        return False
    return bool(stamp == source_hashes(folder))


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds this package's modules in their ``.py`` files, ahead of any compiled file,
    except the compiled modules in use."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or (COMPILED and name in MODULES):
            return None
        source = HERE / f"{name}.py"
        return importlib.util.spec_from_file_location(fullname, source) \
            if source.is_file() else None


#: True when the compiled modules run
COMPILED = usable()
if any(HERE.glob("*" + suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES):
    # (compiled files the sources no longer match, or of a module no longer compiled)
    sys.meta_path.insert(0, _SourceFinder())
