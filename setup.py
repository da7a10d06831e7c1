"""The build: pure Python, plus the engine's hot modules compiled with mypyc where a C
compiler is at hand (about twice the schedules per second; docs/engine-profile.md).

Compiling is a bonus, never a requirement: without a compiler (or with
``GRADERS_NATIVE=0``, or on a free-threaded interpreter, which mypyc does not target yet)
the install succeeds and the engine runs pure. ``graders/engine/native.py`` loads the
compiled modules only when the hashes written here match the sources beside them, so an
edited checkout never runs stale compiled code.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
ENGINE = ROOT / "graders" / "engine"


def _native_module():
    """graders/engine/native.py on its own (the package needs its dependencies)."""
    spec = importlib.util.spec_from_file_location("_graders_native", ENGINE / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


native = _native_module()


def extensions() -> list:
    reason = native.not_built_because()
    if reason is not None:
        print(f"graders: the engine stays pure Python ({reason})", file=sys.stderr)
        return []
    try:
        from mypyc.build import mypycify

        # (the type check that precedes compiling runs on this interpreter's version: an
        # ignore that only older versions need is not an error here)
        built = mypycify(["--no-warn-unused-ignores",
                          *(f"graders/engine/{name}.py" for name in native.MODULES)],
                         group_name=f"graders.engine.{native.GROUP}")
    except (Exception, SystemExit) as exc:   # mypyc missing, or refusing (it exits)
        print(f"graders: the engine stays pure Python (mypyc: {exc})", file=sys.stderr)
        return []
    built += [Extension(f"graders.engine.{name}", [f"graders/engine/{name}.c"])
              for name in native.C_MODULES]
    for extension in built:
        extension.optional = True      # no compiler: a warning, not a failed install
    return built


class BuildExt(build_ext):
    """Builds the extensions, then writes the hashes of the sources they came from."""

    def run(self) -> None:
        super().run()
        if not self.extensions:
            return
        paths = [Path(self.get_ext_fullpath(e.name)) for e in self.extensions]
        if not all(path.is_file() for path in paths):
            print("graders: not every module compiled: the engine stays pure Python",
                  file=sys.stderr)
            return
        folder = Path(self.get_ext_fullpath("graders.engine.scheduler")).parent
        (folder / native.stamp_name()).write_text(
            json.dumps(native.source_hashes(ENGINE), indent=1) + "\n")


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
