"""Load a benchmark program fresh, outside the engine: shared by the stress runner and the
adapters for other tools (which run under their own interpreters, so this module imports
nothing from the kit).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

#: Libraries that bind threading primitives when imported; they are imported anew with each
#: fresh load so that a tool that patches ``threading`` gets its own primitives in them.
FRESH_LIBRARIES = ("readerwriterlock",)


class Program:
    """A program file, compiled once and executed into a new module on every ``load``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).resolve()
        self.name = self.path.stem
        self.code = compile(self.path.read_bytes(), str(self.path), "exec", dont_inherit=True)

    def load(self, reimport_libraries: bool = True) -> types.ModuleType:
        if reimport_libraries:
            for name in list(sys.modules):
                if name.split(".")[0] in FRESH_LIBRARIES:
                    del sys.modules[name]
        module = types.ModuleType(f"bench_{self.name}")
        module.__file__ = str(self.path)
        sys.modules[module.__name__] = module
        exec(self.code, module.__dict__)
        return module
