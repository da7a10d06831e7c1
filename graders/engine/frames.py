"""What the engine reads of frames at every step, without audit events where it can.

The 3.11 tracer asks which code a new frame runs at every call of every controlled thread,
and each operation on a stand-in primitive looks for the line of the code under test that
made it. Reading ``frame.f_code`` raises an ``object.__getattr__`` audit event and
``sys._getframe`` a ``sys._getframe`` one; in the grading sandbox each event is a call of
the guard's Python hook, which judges ``sys._getframe`` by its caller, hundreds of thousands
of times per check. Where the engine is compiled (graders/engine/native.py), the C helper
``_framecode`` built with it reads the same fields through the C API, with no event; the
pure engine reads them here, in Python, and gets the same answers.

A frame's code is the only sure sign of whose code it runs: its globals, or its module's
``__file__``, are the program's to choose.
"""

from __future__ import annotations

import importlib
import operator
import sys
from collections.abc import Callable
from types import CodeType, FrameType

from . import native


def _traced_site(depth: int, traced: Callable[[str], bool]) -> tuple[CodeType | None, int]:
    """The code and instruction offset of the innermost frame, from the caller's ``depth``-th
    frame outwards (0: the caller's own), whose file name ``traced`` accepts; (None, -1)
    if none does."""
    try:
        frame: FrameType | None = sys._getframe(depth + 1)
    except ValueError:          # the stack is not that deep
        return None, -1
    while frame is not None:
        code = frame.f_code
        if traced(code.co_filename):
            return code, frame.f_lasti
        frame = frame.f_back
    return None, -1


#: the code a frame runs (pure: ``attrgetter``, no Python frame of its own at every call event)
code_of: Callable[[FrameType], CodeType] = operator.attrgetter("f_code")
traced_site: Callable[[int, Callable[[str], bool]], tuple[CodeType | None, int]] = _traced_site
if native.COMPILED:
    _helper = importlib.import_module(f"{native.PACKAGE}._framecode")
    code_of, traced_site = _helper.code_of, _helper.traced_site
