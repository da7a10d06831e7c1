"""Seconds per student per topic through the nbgrader route, beside nbgrader's own figures.

Not a test: it measures and prints, and writes (or replaces) a "Benchmark" section of
``docs/nbgrader.md``. For each topic it exports a course (``python -m graders nbgrader
export``), runs ``nbgrader generate_assignment``, submits K notebooks holding the reference
solution (passing) and K holding the untouched starter (for deadlock, the philosophers'
cycle), and times

* ``nbgrader autograde TOPIC`` for the K passing, then the K failing students (one command
  each; the time divided by K is the cost of one more student, nbgrader's start-up shared);
* ``nbgrader autograde TOPIC --student ONE`` for one student of each kind (what a single
  late submission costs, nbgrader's start-up included).

The reference figures (8 s per passing student, 26 s per deadlocking one) are nbgrader with
plain assert-based tests on real threads, where a deadlock is only ended by the cell timeout.

Usage::

    pip install -e '.[nbgrader]'
    python benchmarks/nbgrader_route.py                          # deadlock data_race mutex
    python benchmarks/nbgrader_route.py --topics deadlock --students 2 --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from graders.catalog import topic  # noqa: E402 - the checkout first on the path

DOC = ROOT / "docs" / "nbgrader.md"
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
REFERENCE = {"passing": 8.0, "deadlocking": 26.0}


def jupyter_env(base: Path) -> dict[str, str]:
    kernels = base / "jupyter-path" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "GRADERS_"))}
    env.update(JUPYTER_PATH=str(base / "jupyter-path"),
               JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
               JUPYTER_DATA_DIR=str(base / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
               IPYTHONDIR=str(base / "ipython"))
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.monotonic()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - start


def nbgrader(course: Path, env: dict[str, str], *args: str) -> float:
    return run([sys.executable, "-m", "nbgrader", *args], course, env)


def scores(course: Path, name: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.find_assignment(name).submissions}


def bench_topic(name: str, students: int, base: Path) -> dict[str, object]:
    import nbformat

    env = jupyter_env(base)
    course = base / "course"
    run([sys.executable, "-m", "graders", "nbgrader", "export", "--course", str(course),
         "--topics", name], ROOT, env)
    nbgrader(course, env, "generate_assignment", name)
    t = topic(name)
    released = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    kinds = {"passing": t.solution_dir(), "deadlocking": t.exercise_dir()}
    for kind, source in kinds.items():
        for i in range(students + 1):
            nb = nbformat.from_dict(released)
            for file_name in t.files:
                cell = next(c for c in nb.cells
                            if c.source.startswith(f"%%writefile {file_name}"))
                text = (source / file_name).read_text()
                cell.source = f"%%writefile {file_name}\n{text}"
            folder = course / "submitted" / f"{kind}-{i}" / name
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{name}.ipynb")
    row: dict[str, object] = {"topic": name, "points": t.points}
    for kind in kinds:
        # a glob: every student of this kind but number 0, graded alone below
        seconds = nbgrader(course, env, "autograde", name, "--student", f"{kind}-[1-9]*")
        row[f"{kind}_batch"] = seconds / students
        row[f"{kind}_single"] = nbgrader(course, env, "autograde", name, "--student",
                                         f"{kind}-0")
    got = scores(course, name)
    row["scores"] = {kind: sorted({got[s] for s in got if s.startswith(kind)})
                     for kind in kinds}
    return row


def table(rows: list[dict[str, object]], students: int, minutes: float) -> str:
    lines = [
        f"Measured by `python benchmarks/nbgrader_route.py` in {minutes:.1f} minutes on "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{_version('nbgrader')}. Seconds per student per topic; \"batch\" is one "
        f"`nbgrader autograde TOPIC` over {students} students (nbgrader's start-up shared), "
        "\"alone\" is `nbgrader autograde TOPIC --student ID` for one student (start-up "
        "included). Passing students hold the reference solution; failing students the "
        "untouched starter (for `deadlock`, philosophers that deadlock).",
        "",
        "| topic | checks | passing, batch | passing, alone | failing, batch | failing, alone "
        "| scores (passing / failing) |",
        "|---|---|---|---|---|---|---|",
        f"| nbgrader's figures | | {REFERENCE['passing']:g} | | "
        f"{REFERENCE['deadlocking']:g} (deadlocking) | | |"]
    for row in rows:
        t = topic(str(row["topic"]))
        sc = row["scores"]
        lines.append(
            f"| `{row['topic']}` | {len(t.checks)} | {row['passing_batch']:.1f} | "
            f"{row['passing_single']:.1f} | {row['deadlocking_batch']:.1f} | "
            f"{row['deadlocking_single']:.1f} | {sc['passing']} / {sc['deadlocking']} "
            f"of {row['points']} |")
    return "\n".join(lines) + "\n"


def _version(package: str) -> str:
    from importlib.metadata import version

    return f"{package} {version(package)}"


def write_section(text: str) -> None:
    body = f"{START}\n{text}{END}"
    doc = DOC.read_text() if DOC.exists() else "# nbgrader\n"
    if START in doc and END in doc:
        doc = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: body, doc,
                     flags=re.S)
    else:
        doc = doc.rstrip() + "\n\n## Benchmark\n\n" + body + "\n"
    DOC.write_text(doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", nargs="+", default=["deadlock", "data_race", "mutex"])
    parser.add_argument("--students", type=int, default=3, help="students per kind in a batch")
    parser.add_argument("--no-write", action="store_true", help=f"do not update {DOC}")
    args = parser.parse_args()
    start = time.monotonic()
    rows = []
    for name in args.topics:
        with tempfile.TemporaryDirectory(prefix="nbgrader-bench-") as tmp:
            rows.append(bench_topic(name, args.students, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    text = table(rows, args.students, (time.monotonic() - start) / 60)
    print(text)
    if not args.no_write:
        write_section(text)
        print(f"updated {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
