"""Programs the kit runs for a user come from the environment of the interpreter running it.

A virtual environment puts its command-line tools (nbgrader's ``alembic``, ``pip``,
``jupyter``, later ``mpiexec`` from a wheel) in its ``bin`` folder, next to
``sys.executable``. That folder is on ``PATH`` only while the environment is *activated*,
and the README's quick start never activates one: it calls ``.venv/bin/python`` directly. A
library that runs a tool by bare name (nbgrader runs ``alembic`` so) then fails, or worse,
finds another environment's copy. So everything the kit starts is looked up here first:
Python itself is ``sys.executable``; any other program is taken from the interpreter's
scripts folder before ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from collections.abc import Mapping


def scripts_folders() -> list[str]:
    """The folders holding the console scripts of the running interpreter's environment."""
    folders: list[str] = []
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if folder and folder not in folders and os.path.isdir(folder):
            folders.append(folder)
    return folders


def path_with_scripts(path: str | None) -> str:
    """``path`` (a PATH value) with the interpreter's scripts folders in front, once."""
    rest = [p for p in (path or "").split(os.pathsep) if p]
    first = scripts_folders()
    return os.pathsep.join([*first, *(p for p in rest if p not in first)])


def env_with_scripts(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``env`` (default: this process's) whose PATH starts with the scripts
    folders, for a child process that runs tools by bare name."""
    result = dict(os.environ if env is None else env)
    result["PATH"] = path_with_scripts(result.get("PATH"))
    return result


def put_scripts_on_path() -> None:
    """Put the scripts folders first on this process's PATH (for libraries, such as
    nbgrader, that start tools by bare name from inside our process)."""
    os.environ["PATH"] = path_with_scripts(os.environ.get("PATH"))


def find_tool(name: str) -> str | None:
    """The full path of program ``name``: from the interpreter's environment if it has
    it, else from PATH; None if neither has it."""
    for folder in scripts_folders():
        candidate = shutil.which(name, path=folder)
        if candidate:
            return candidate
    return shutil.which(name)
