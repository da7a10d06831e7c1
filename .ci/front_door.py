"""Run a quick-start line of the README exactly as a newcomer would, and say how it went.

A newcomer copies a line from the top of README.md into a fresh clone, in a shell with no
virtual environment activated. This script does the same: it reads the line from README.md
(so the README cannot drift from what is tested), clones the checkout's committed tree into
a temporary folder, and runs the line there with ``bash`` under a PATH that holds no
virtual environment (and no VIRTUAL_ENV, PYTHONPATH or GRADERS_* setting). ``--python``
puts another interpreter first on PATH as ``python3``, to try the line on 3.12 or 3.13.

    python3 .ci/front_door.py --line 2                  # what .ci/run does
    python3 .ci/front_door.py --line 1 --python python3.13

Line 1 installs the kit and runs the first topic's checks on the untouched starter: it must
end in a failing check (pytest's exit status 1, with a FAILED line). Line 2 installs the
development tools and runs the whole suite: it must pass. The exit status is 0 when the line
behaved as it should, 1 when not, 2 when the README or the interpreter cannot be found.
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What a newcomer's shell does not have: settings that would change what the line does.
DROPPED = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTEST_ADDOPTS",
           "PIP_REQUIRE_VIRTUALENV", "CONDA_PREFIX")


def quick_start_lines(readme: Path) -> list[str]:
    """The command lines of the README's first ``bash`` block."""
    match = re.search(r"```bash\n(.*?)```", readme.read_text(encoding="utf-8"), re.DOTALL)
    if match is None:
        raise SystemExit(f"{readme}: no ```bash block with the quick-start lines")
    return [line for line in match.group(1).splitlines() if line.strip()]


def is_virtualenv_bin(folder: str) -> bool:
    return (Path(folder).parent / "pyvenv.cfg").is_file()


def newcomer_env(python: str | None, shims: Path) -> dict[str, str]:
    """This process's environment as a fresh shell would have it, ``python`` first on PATH
    as ``python3`` if given."""
    env = {k: v for k, v in os.environ.items()
           if k not in DROPPED and not k.startswith("GRADERS_")}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not is_virtualenv_bin(p)]
    if python:
        found = shutil.which(python, path=os.pathsep.join(path))
        if found is None:
            raise SystemExit(f"no {python} on PATH (outside virtual environments)")
        # A version manager's shim decides by the name it is called with: link the real
        # interpreter, as its own sys.executable names it.
        real = subprocess.run([found, "-c", "import sys; print(sys.executable)"],
                              capture_output=True, text=True, check=False).stdout.strip()
        if not real:
            raise SystemExit(f"{found} does not start")
        shims.mkdir(parents=True, exist_ok=True)
        (shims / "python3").symlink_to(real)
        path.insert(0, str(shims))
    env["PATH"] = os.pathsep.join(path)
    return env


def clone(dest: Path) -> None:
    """A fresh clone of the checkout's committed tree (what was submitted)."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(dest)],
                   check=True)


def verdict(number: int, status: int, output: str) -> str | None:
    """None when line ``number`` behaved as the README says, else what went wrong."""
    if number == 1:
        if status == 1 and re.search(r"^FAILED ", output, re.MULTILINE):
            return None
        return f"line 1 should end in a failing check (exit 1, a FAILED line); exit {status}"
    if status == 0:
        return None
    return f"line {number} should pass; exit {status}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--line", type=int, choices=(1, 2), required=True)
    parser.add_argument("--python", help="an interpreter to put first as python3")
    parser.add_argument("--keep", action="store_true", help="keep the clone and say where")
    args = parser.parse_args()

    line = quick_start_lines(ROOT / "README.md")[args.line - 1]
    base = Path(tempfile.mkdtemp(prefix="front-door-"))
    try:
        env = newcomer_env(args.python, base / "shims")
        work = base / "clone"
        clone(work)
        version = subprocess.run(["python3", "--version"], env=env, capture_output=True,
                                 text=True, check=False).stdout.strip()
        print(f"$ {line}    # in a fresh clone, {version}, no virtual environment on PATH",
              flush=True)
        start = time.monotonic()
        proc = subprocess.Popen(["bash", "-c", line], cwd=work, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        seen: list[str] = []
        for text in proc.stdout:
            sys.stdout.write(text)
            sys.stdout.flush()
            seen.append(text)
        status = proc.wait()
        problem = verdict(args.line, status, "".join(seen))
        took = time.monotonic() - start
        # On stderr, so that the line's own closing words (pytest's summary) stay last on
        # stdout for whoever reads them.
        print(f"front door: line {args.line} {'as expected' if problem is None else problem}"
              f" ({took:.0f} s)", file=sys.stderr, flush=True)
        if args.keep:
            print(f"the clone is kept in {work}", file=sys.stderr)
        return 0 if problem is None else 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
