"""Write ``examples/class/``: a synthetic class for ``python -m graders grade``.

Every student's files are built from the kit's own ``exercises/`` (starters) and
``solutions/`` (reference fixes and the listed wrong fixes), with small edits for the
misbehaving students, so the class stays in step with the exercises:

    python examples/make_class.py            # rewrite examples/class/
    python examples/make_class.py --check    # exit 1 if examples/class/ is out of date

The class covers the first three topics (data_race, mutex, deadlock). ``EXPECTED`` says which
checks each student passes; the tests in ``tests/grading/`` grade the class and compare.

The spawner forks at most 200 children in all (a marker file stops it after the first
batch), each of which exits by itself within 20 seconds, so even if every cap of the
grader failed the machine would stay safe.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graders import variants

KIT = Path(__file__).resolve().parent.parent
CLASS = KIT / "examples" / "class"
TOPICS = ("data_race", "mutex", "deadlock")
FILES = {"data_race": "shop.py", "mutex": "kitchen.py", "deadlock": "dining.py"}
ZIP_DATE = (2024, 9, 30, 12, 0, 0)

Edit = Callable[[str], str]


def _replace(old: str, new: str) -> Edit:
    def edit(text: str) -> str:
        if old not in text:
            raise SystemExit(f"make_class.py: the source no longer contains {old!r}; "
                             "update the edit in examples/make_class.py")
        return text.replace(old, new, 1)
    return edit


def _after_imports(code: str) -> Edit:
    """Insert ``code`` after the module's last top-level import line."""
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        last = max(i for i, line in enumerate(lines) if line.startswith(("import ", "from ")))
        return "".join(lines[:last + 1]) + code + "".join(lines[last + 1:])
    return edit


@dataclass
class Student:
    story: str
    variants: dict[str, str] = field(default_factory=dict)      # topic -> source folder
    edits: dict[str, list[Edit]] = field(default_factory=dict)  # topic -> edits of its file
    extra: dict[str, str] = field(default_factory=dict)         # relative path -> text
    zipped: bool = False
    cheat: bool = False          # its edits and extra files are the cheat

    def variant(self, topic: str) -> str:
        return self.variants.get(topic, "solution")


STARTERS = {t: "starter" for t in TOPICS}

THREAD_START_CHEAT = '''
# Make every thread finish before the next one starts: no more races!
_real_start = threading.Thread.start


def _start_and_finish(self):
    _real_start(self)
    self.join()


threading.Thread.start = _start_and_finish
'''

ATEXIT_CHEAT = '''import atexit
import glob
import json
import os


def _full_marks():
    """On the way out, rewrite any grading results within reach to full marks."""
    here = os.getcwd()
    places = [here, os.path.dirname(here), os.path.dirname(os.path.dirname(here))]
    for place in places:
        for path in glob.glob(os.path.join(place, "*", "results", "*.json")):
            try:
                with open(path) as f:
                    data = json.load(f)
                if data.get("format") != "graders-result/1":
                    continue
                for check in data.get("checks", []):
                    check["status"] = "passed"
                with open(path, "w") as f:
                    json.dump(data, f)
            except (OSError, ValueError):
                pass


atexit.register(_full_marks)
'''

CONFTEST_CHEAT = '''"""Mark every failing test as passed."""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.outcome = "passed"
'''

FAKE_THREADING = '''"""A threading module whose threads run one at a time, start to finish."""

import _thread

Lock = _thread.allocate_lock
RLock = _thread.RLock


class Thread:
    def __init__(self, target=None, args=(), kwargs=None, name=None, daemon=None):
        self._target, self._args, self._kwargs = target, args, kwargs or {}
        self.name = name or "Thread"

    def start(self):
        if self._target is not None:
            self._target(*self._args, **self._kwargs)

    def join(self, timeout=None):
        pass


def current_thread():
    return Thread(name="MainThread")
'''

FAKE_RANDOM = '''"""A random module that never varies."""


def random():
    return 0.0


def uniform(a, b):
    return a


def randint(a, b):
    return a


def seed(*args, **kwargs):
    pass
'''

SPAWNER = '''import select

# Fork sleeping helpers. At most 200 in all, however often this module is imported (the
# count is kept in a file), and each exits by itself within 20 seconds.
try:
    with open("spawned.count") as _f:
        _spawned = int(_f.read() or 0)
except (OSError, ValueError):
    _spawned = 0
while _spawned < 200:
    _spawned += 1
    with open("spawned.count", "w") as _f:
        _f.write(str(_spawned))
    if os.fork() == 0:
        select.select([], [], [], 20)
        os._exit(0)
'''

STUDENTS: dict[str, Student] = {
    "ada": Student("all correct: the reference solutions"),
    "ben": Student(
        "partly correct, handed in as a zip: data_race solved; mutex cooks take turns; "
        "deadlock part 2 retries without letting go",
        variants={"mutex": "wrong/cooks_take_turns",
                  "deadlock": "wrong/retry_without_letting_go"},
        zipped=True),
    "cleo": Student("deadlocking: the dining philosophers starter, unchanged",
                    variants={"deadlock": "starter"}),
    "dev": Student(
        "endless loop in C code (the engine cannot interrupt it; the wall clock stops it)",
        edits={"data_race": [
            _replace("import threading\n", "import collections\nimport itertools\n"
                     "import threading\n"),
            _replace("                current = self.count\n",
                     "                # drain the shoppers' queue before counting\n"
                     "                collections.deque(itertools.count(), maxlen=0)\n"
                     "                current = self.count\n")]}),
    "eve": Student(
        "crashes at import: a NameError in shop.py, os._exit(3) in kitchen.py",
        edits={"data_race": [_replace("import threading\n",
                                      "import threading\n\nSHELF = shelf_size()\n")],
               "mutex": [_replace("import time\n", "import time\nimport os\n\n"
                                  "os._exit(3)  # debugging: stop here\n")]}),
    "finn": Student(
        "runaway process spawner: forks 200 sleeping children at import",
        edits={"data_race": [_replace("import threading\n", "import os\nimport threading\n"),
                             _after_imports(SPAWNER)]}),
    "gus": Student(
        "endless printing: writes debug lines forever at import",
        edits={"data_race": [_replace("import threading\n",
                                      "import itertools\nimport sys\nimport threading\n\n"
                                      "sys.stdout.writelines(itertools.repeat("
                                      "'debug: the basket is ready\\n'))\n")]}),
    "kai": Student(
        "cheat: patches threading.Thread.start so threads run one at a time (starters)",
        variants=STARTERS, edits={"data_race": [_after_imports(THREAD_START_CHEAT)]},
        cheat=True),
    "lea": Student(
        "cheat: a planted conftest.py that marks failures as passed (starters)",
        variants=STARTERS,
        extra={"conftest.py": CONFTEST_CHEAT,
               "exercises/data_race/conftest.py": CONFTEST_CHEAT},
        cheat=True),
    "max": Student(
        "cheat: an atexit hook that rewrites the results files (starters)",
        variants=STARTERS, edits={"data_race": [_after_imports("\n" + ATEXIT_CHEAT)]},
        cheat=True),
    "noa": Student(
        "cheat: a planted threading.py and random.py beside the exercise (starters)",
        variants=STARTERS,
        extra={"exercises/data_race/threading.py": FAKE_THREADING,
               "exercises/data_race/random.py": FAKE_RANDOM,
               "exercises/deadlock/threading.py": FAKE_THREADING,
               "exercises/deadlock/random.py": FAKE_RANDOM},
        cheat=True),
}

#: The checks each student passes (the others fail); every check is graded.
EXPECTED: dict[str, set[str]] = {
    "ada": {"data_race:no_lost_updates", "data_race:returns_the_count", "data_race:many_shoppers",
            "mutex:exact_tally", "mutex:short_critical_section", "mutex:cooks_overlap",
            "deadlock:everyone_eats", "deadlock:polite_philosophers",
            "deadlock:eats_with_both_forks", "deadlock:forks_back"},
    "ben": {"data_race:no_lost_updates", "data_race:returns_the_count", "data_race:many_shoppers",
            "mutex:exact_tally", "mutex:short_critical_section", "deadlock:everyone_eats",
            "deadlock:eats_with_both_forks", "deadlock:forks_back"},
    "cleo": {"data_race:no_lost_updates", "data_race:returns_the_count",
             "data_race:many_shoppers", "mutex:exact_tally", "mutex:short_critical_section",
             "mutex:cooks_overlap", "deadlock:eats_with_both_forks", "deadlock:forks_back"},
    "dev": {"mutex:exact_tally", "mutex:short_critical_section", "mutex:cooks_overlap",
            "deadlock:everyone_eats", "deadlock:polite_philosophers",
            "deadlock:eats_with_both_forks", "deadlock:forks_back"},
    "eve": {"deadlock:everyone_eats", "deadlock:polite_philosophers",
            "deadlock:eats_with_both_forks", "deadlock:forks_back"},
    "finn": {"mutex:exact_tally", "mutex:short_critical_section", "mutex:cooks_overlap",
             "deadlock:everyone_eats", "deadlock:polite_philosophers",
             "deadlock:eats_with_both_forks", "deadlock:forks_back"},
    "gus": {"mutex:exact_tally", "mutex:short_critical_section", "mutex:cooks_overlap",
            "deadlock:everyone_eats", "deadlock:polite_philosophers",
            "deadlock:eats_with_both_forks", "deadlock:forks_back"},
    "kai": {"mutex:exact_tally", "deadlock:eats_with_both_forks", "deadlock:forks_back"},
    "lea": {"data_race:returns_the_count", "mutex:exact_tally", "deadlock:eats_with_both_forks",
            "deadlock:forks_back"},
    "max": {"data_race:returns_the_count", "mutex:exact_tally", "deadlock:eats_with_both_forks",
            "deadlock:forks_back"},
    "noa": {"data_race:returns_the_count", "mutex:exact_tally", "deadlock:eats_with_both_forks",
            "deadlock:forks_back"},
}


def source(topic: str, variant: str) -> str:
    """The topic's file in ``variant``: "starter", "solution" or a fix ("wrong/NAME"), which
    is the reference with the fix's diff applied."""
    if variant == "starter":
        return (KIT / "exercises" / topic / FILES[topic]).read_text()
    if variant == "solution":
        return (KIT / "solutions" / topic / FILES[topic]).read_text()
    return variants.files(variants.Fix.parse(f"{topic}/{variant}"))[FILES[topic]]


def files_of(student: Student, cheat: bool = True) -> dict[str, str]:
    """Relative path -> text of one student's submission (``cheat=False``: the honest
    twin, without the cheat's edits and planted files)."""
    files = {}
    for topic in TOPICS:
        text = source(topic, student.variant(topic))
        if cheat or not student.cheat:
            for edit in student.edits.get(topic, []):
                text = edit(text)
        files[f"exercises/{topic}/{FILES[topic]}"] = text
    if cheat:
        files.update(student.extra)
    return files


def zip_bytes(name: str, files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{name}/{path}", ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[path])
    return buffer.getvalue()


def write_student(root: Path, name: str, student: Student, cheat: bool = True) -> None:
    files = files_of(student, cheat)
    if student.zipped:
        (root / f"{name}.zip").write_bytes(zip_bytes(name, files))
        return
    for path, text in files.items():
        target = root / name / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def readme() -> str:
    lines = ["# A synthetic class", "",
             "Written by `python examples/make_class.py` from the kit's exercises and "
             "solutions; do not edit by hand. Grade it with:", "",
             "    python -m graders grade examples/class", "",
             "| student | what they handed in |", "|---|---|"]
    for name, student in STUDENTS.items():
        shown = f"`{name}.zip`" if student.zipped else f"`{name}/`"
        lines.append(f"| {shown} | {student.story} |")
    return "\n".join(lines) + "\n"


RUFF = """# The students' code in this folder is wrong on purpose: it is not linted.
cache-dir = "../../.ruff_cache"

[lint]
select = []
"""


def build(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "_README.md").write_text(readme())
    (root / "ruff.toml").write_text(RUFF)
    for name, student in STUDENTS.items():
        write_student(root, name, student)


def snapshot(root: Path) -> dict[str, bytes]:
    """The class's files (caches that tools leave behind, such as .ruff_cache, excluded)."""
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()
            and not any(part.startswith(".") or part == "__pycache__"
                        for part in p.relative_to(root).parts)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if examples/class/ differs from what this would write")
    parser.add_argument("--out", type=Path, default=CLASS, help="where to write the class")
    args = parser.parse_args(argv)
    if args.check:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp) / "class")
            fresh = snapshot(Path(tmp) / "class")
        current = snapshot(args.out) if args.out.is_dir() else {}
        if fresh != current:
            changed = sorted(set(fresh) ^ set(current)
                             | {k for k in fresh if current.get(k) != fresh[k]})
            print(f"{args.out} is out of date ({', '.join(changed[:5])}); run "
                  "python examples/make_class.py", file=sys.stderr)
            return 1
        return 0
    build(args.out)
    print(f"wrote {len(STUDENTS)} students to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
