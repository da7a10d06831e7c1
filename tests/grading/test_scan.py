"""The integrity scan: each kind of reaching code is flagged with its file, line and reason;
no file the kit ships is; a flagged submission is held for review through ``python -m
graders grade`` and released by ``--accept``; students see the same list in pytest."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from grading_helpers import ROOT, grade_cli, make_class, results, solution, write_submission

from graders import catalog, variants
from graders.catalog import topic, topics
from graders.grading.scan import Finding, scan

RACE_POINTS = topic("data_race").points

# (id, source, the line flagged, a piece of its reason): one snippet per item the scan must
# catch, from the list and the aliases it must see through.
HOSTILE = [
    ("kit", "import graders\n", 1, "imports graders, the grading kit"),
    ("kit_from", "from graders.grading import model\n", 1, "imports graders"),
    ("gc", "import gc\n", 1, "imports gc, which can find and change"),
    ("inspect", "import inspect\n", 1, "imports inspect"),
    ("ctypes", "import ctypes\n", 1, "imports ctypes, which can change the grader's memory"),
    ("importlib", "import importlib\n", 1, "imports importlib"),
    ("pkgutil", "import pkgutil\npkgutil.resolve_name('gra' + 'ders.engine')\n", 1,
     "imports pkgutil"),
    ("builtins", "import builtins\n", 1, "imports builtins"),
    ("getframe", "import sys\nsys._getframe(1)\n", 2, "uses sys._getframe"),
    ("settrace", "import sys\nsys.settrace(None)\n", 2, "uses sys.settrace"),
    ("setprofile", "import sys\nsys.setprofile(None)\n", 2, "uses sys.setprofile"),
    ("monitoring", "import sys\nsys.monitoring.use_tool_id(3, 'x')\n", 2,
     "uses sys.monitoring"),
    ("threading_settrace", "import threading\nthreading.settrace(print)\n", 2,
     "uses threading.settrace"),
    ("sys_modules", "import sys\nsys.modules['time'].sleep = print\n", 2, "uses sys.modules"),
    ("f_trace", "def f(frame):\n    frame.f_trace = None\n", 2, "uses .f_trace"),
    ("f_trace_lines", "def f(frame):\n    frame.f_trace_lines = False\n", 2,
     "uses .f_trace_lines"),
    ("f_globals", "def f(frame):\n    return frame.f_globals\n", 2, "uses .f_globals"),
    ("code", "def f(g):\n    g.__code__ = None\n", 2, "uses .__code__"),
    ("tb_frame", "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
                 "    e.__traceback__.tb_frame\n", 4, "uses .tb_frame"),
    # (a greenlet's frame: the engine's controlled threads are greenlets, and the run's hub
    # is the thread that explores)
    ("gr_frame", "import threading\nthreading.current_thread()._state.greenlet.parent"
                 ".gr_frame\n", 2, "uses .gr_frame"),
    # (names of attributes handed to code that looks them up: operator's getters, a table)
    ("attrgetter", "from operator import attrgetter\nback = attrgetter('f_back')\n", 2,
     "uses .f_back"),
    ("attrgetter_dotted", "import operator\nget = operator.attrgetter('x', 'tb_frame.f_back')\n",
     2, "uses .tb_frame"),
    ("attrgetter_private", "import operator\nget = operator.attrgetter('_state')\n", 2,
     "uses ._state"),
    ("attrgetter_built", "import operator\nget = operator.attrgetter('gr_' + 'frame')\n", 2,
     "with a name made at run time"),
    ("methodcaller", "import operator\ncall = operator.methodcaller('_getframe')\n", 2,
     "uses ._getframe"),
    ("name_in_a_table", "NAMES = ('f_locals', 'count')\n", 1, "names .f_locals in a string"),
    # (the stand-ins' own books, reached without a frame: a red team set the run's flags)
    ("kit_private_defined_too", "import threading\nclass Decoy:\n    def __init__(self):\n"
                                "        self._state = None\n\n"
                                "s = threading.current_thread()._state\n", 6, "uses ._state"),
    ("private_name_in_a_string", "import threading\n"
                                 "s = threading.current_thread().__dict__['_state']\n", 2,
     "names ._state in a string"),
    ("vars_of_another", "import threading\nme = threading.current_thread()\n"
                        "books = vars(me)\n", 3, "reads every attribute of an object"),
    ("dict_of_another", "import threading\nbooks = threading.current_thread().__dict__\n", 2,
     "reads every attribute of an object"),
    ("name_passed_in", "def get(obj, name):\n    return getattr(obj, name, None)\n", 2,
     "by a name held in a variable"),
    ("module_trick", "import threading\nclass Lock:\n    pass\n"
                     "Lock.__module__ = threading.Lock.__module__\n", 4, "uses .__module__"),
    ("class_trick", "import threading\nlock = threading.Lock()\nlock.__class__ = object\n", 3,
     "uses .__class__"),
    ("exec", "exec('x = 1')\n", 1, "uses exec, which runs code made from a string"),
    ("eval", "eval('1')\n", 1, "uses eval"),
    ("compile", "compile('1', 'f', 'eval')\n", 1, "uses compile"),
    ("dunder_import", "__import__('threading')\n", 1, "uses __import__"),
    ("os_exit", "import os\nos._exit(0)\n", 2, "uses os._exit"),
    ("closefd", "for n in range(3, 9):\n    open(n, 'wb', closefd=False)\n", 2,
     "on a raw file descriptor (closefd)"),
    ("setattr_hidden", "import json\nsetattr([json][0], 'dumps', str)\n", 2,
     "changes an object picked out at run time"),
    ("built_name", "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
                   "    f = getattr(e.__traceback__, 'tb_' + 'frame')\n", 4,
     "looks up an attribute by a name built at run time"),
    ("built_name_bound", "import collections\n_n = ''.join(['_', 'sys'])\n"
                         "m = getattr([collections][0], _n)\n", 3,
     "looks up an attribute by a name built at run time"),
    ("built_name_of_own_class", "class B:\n    def add(self):\n        pass\n\n"
                                "_p = '__co' + 'de__'\nc = getattr(B.add, _p)\n", 6,
     "looks up an attribute by a name built at run time"),
    ("vars_hidden", "import collections\nhome = vars([collections][0])\n", 2,
     "reads the namespace of an object picked out at run time"),
    ("names_the_kit", "import threading\nW = 'graders' in repr(threading.Thread)\n", 2,
     "names the grading kit"),
    ("name_in_a_constant", "_C = '__code__'\n\ndef f():\n    pass\n\ncode = getattr(f, _C)\n",
     6, "uses __code__"),
    ("probe_detected", "def prep(cook):\n    pass\n\nWATCHED = bool(prep.__kwdefaults__)\n", 4,
     "can tell a function the grader watches"),
    ("past_the_watch", "def prep(cook):\n    pass\n\nprep.__wrapped__(1)\n", 4,
     "reach past the grader's watch"),
    ("os_kill", "import os\nos.kill(1, 9)\n", 2, "uses os.kill"),
    ("os_fork", "import os\nos.fork()\n", 2, "uses os.fork"),
    ("os_exec", "import os\nos.execv('sh', ['sh'])\n", 2, "uses os.execv"),
    ("os_system", "import os\nos.system('ls')\n", 2, "uses os.system"),
    ("os_symlink", "import os\nos.symlink('a', 'b')\n", 2, "uses os.symlink"),
    ("os_chdir", "import os\nos.chdir('..')\n", 2, "uses os.chdir"),
    ("signal", "import signal\n", 1, "imports signal"),
    ("subprocess", "import subprocess\n", 1, "imports subprocess"),
    ("open_absolute", "with open('/etc/passwd') as f:\n    f.read()\n", 1,
     "opens '/etc/passwd', a file outside the exercise"),
    ("open_climbing", "open('../../grades/results/me.json', 'w')\n", 1, "outside the exercise"),
    ("argv", "import sys\nprint(sys.argv)\n", 2, "uses sys.argv"),
    ("environ", "import os\nprint(os.environ)\n", 2, "uses os.environ"),
    ("import_as", "import os as o\no.system('ls')\n", 2, "uses os.system"),
    ("from_import_as", "from os import system as s\ns('ls')\n", 2, "uses os.system"),
    ("getattr_literal", "import os\ngetattr(os, 'system')('ls')\n", 2, "uses os.system"),
    ("import_call_chain", "__import__('os').system('ls')\n", 1, "uses os.system"),
    ("import_module", "import importlib\nimportlib.import_module('os').system('ls')\n", 2,
     "uses os.system"),
    ("assigned_alias", "import os\nshell = os\nshell.system('ls')\n", 3, "uses os.system"),
    ("default_alias", "import os\ndef f(shell=os):\n    shell.system('ls')\n", 3,
     "uses os.system"),
    ("handed_on", "import os\ndef f(m):\n    m.system('ls')\nf(os)\n", 4,
     "hands the os module to other code"),
    ("star", "from os import *\nsystem('ls')\n", 2, "uses os.system"),
    ("sys_modules_item", "import sys\nsys.modules['os'].system('ls')\n", 2, "uses os.system"),
    ("vars_item", "import os\nvars(os)['system']('ls')\n", 2, "uses os.system"),
    ("builtins_name", "__builtins__.eval('1')\n", 1, "uses builtins"),
    ("shadowed_elsewhere", "def f(eval):\n    return eval\nf(eval)('1')\n", 3, "uses eval"),
    ("class_walk", "().__class__.__base__.__subclasses__()\n", 1, "uses .__subclasses__"),
    ("os_write", "import os\nos.write(3, b'{}')\n", 2,
     "uses os.write, which works on raw file descriptors"),
    ("os_fdopen", "import os\nos.fdopen(3, 'w')\n", 2, "uses os.fdopen"),
    ("open_descriptor", "open(3, 'w')\n", 1, "opens a raw file descriptor"),
    ("patch_threading", "import threading\n\nthreading.Thread.start = lambda self: None\n", 3,
     "changes threading.Thread.start, a part of Python that the grader relies on"),
    ("setattr_patch", "import time\nsetattr(time, 'sleep', print)\n", 2, "changes time.sleep"),
    ("private", "import threading\nthreading._active.clear()\n", 2,
     "uses threading._active, a private part"),
    ("someone_elses_private", "def swap(comm):\n    req = comm.isend(1, dest=1)\n"
     "    req._open.remove(req)\n", 3, "uses ._open, a private part of an object this file "
     "did not make"),
    ("someone_elses_private_by_name", "def f(req):\n    return getattr(req, '_open')\n", 2,
     "uses ._open, a private part of an object"),
    ("proc", "import glob\nglob.glob('/proc/*/status')\n", 2, "names '/proc/*/status'"),
    ("processes_elsewhere", "import multiprocessing\n", 1, "imports multiprocessing"),
    ("process_pool_elsewhere", "from concurrent.futures import ProcessPoolExecutor\n", 1,
     "imports concurrent.futures.ProcessPoolExecutor"),
    ("getpid_elsewhere", "import os\nprint(os.getpid())\n", 2, "uses os.getpid"),
    ("coding_cookie", b"# coding: utf-7\n+AAo-import ctypes\n", 3, "imports ctypes"),
]

# Ordinary code that looks a little like the above and must not be flagged.
HONEST = [
    "class Shop:\n    def __repr__(self):\n        return self.__class__.__name__\n",
    "def compile(jobs):\n    return sorted(jobs)\n\nprint(compile([2, 1]))\n",
    "eval = 3\nprint(eval + 1)\n",
    "class Planner:\n    def system(self):\n        return self.modules\n\n"
    "    def get(self, name):\n        return getattr(self, name)\n",
    "import os\nprint(os.path.join('a', 'b'), os.cpu_count(), os.sep)\n",
    "import sys\nif __name__ == '__main__':\n    print('done', file=sys.stderr)\n"
    "    sys.exit(0)\n",
    "with open('diary.txt', 'w') as f:\n    f.write('entry')\n",
    "import random, threading, time\nrandom.seed(1)\ntime.sleep(0)\n"
    "t = threading.Thread(target=print, name='oven-1', daemon=True)\nt.name = 'oven'\n",
    "from concurrent.futures import ThreadPoolExecutor\nimport time\n"
    "with ThreadPoolExecutor(2) as pool:\n    list(pool.map(time.sleep, [0, 0]))\n",
    "import threading\nclass Oven(threading.Thread):\n    def run(self):\n"
    "        self._result = 1\n",
    "'''Reads /proc? No: a docstring is not code.'''\n",
    "this is not Python(\n",
    "NAME = 'served'\nclass K:\n    served = 0\nprint(getattr(K, NAME))\n",
    "class Station:\n    def __init__(self, ports):\n        self._free = ports\n\n"
    "    def free(self, other):\n        return self._free + other._free + other._spare()\n\n"
    "    def _spare(self):\n        return 0\n",
]


@pytest.mark.parametrize(("source", "line", "reason"), [h[1:] for h in HOSTILE],
                         ids=[h[0] for h in HOSTILE])
def test_reaching_code_is_flagged_with_file_line_and_reason(
        source: str | bytes, line: int, reason: str) -> None:
    found = scan(source, "shop.py")
    assert any(f.line == line and reason in f.reason for f in found), found
    assert all(f.file == "shop.py" for f in found)


@pytest.mark.parametrize("source", HONEST)
def test_ordinary_code_is_not_flagged(source: str) -> None:
    assert scan(source, "shop.py") == []


def test_a_finding_is_a_small_frozen_value() -> None:
    finding = scan("import os\n\nos.kill(1, 9)\n", "exercises/x/shop.py")[0]
    assert finding == Finding("exercises/x/shop.py", 3, "uses os.kill, which sends signals to "
                                                        "other processes")
    assert str(finding).startswith("exercises/x/shop.py line 3: uses os.kill")
    with pytest.raises(AttributeError):
        finding.line = 4  # type: ignore[misc]


def test_code_too_deep_to_read_is_flagged_not_crashed() -> None:
    assert [f.reason for f in scan("x = " + "a." * 50_000 + "b\n", "f.py")] == [
        "is nested too deeply for the scan to read"]


def test_a_topic_allows_what_its_exercise_needs_and_no_more() -> None:
    source = ("import multiprocessing\nimport os\nfrom concurrent.futures import "
              "ProcessPoolExecutor\nprint(os.getpid(), multiprocessing.cpu_count())\n")
    assert scan(source, "census.py", topic("threads_processes").allow) == []
    assert len(scan(source, "shop.py", topic("data_race").allow)) >= 3
    again = scan("import os\nos.system('ls')\n", "census.py", topic("threads_processes").allow)
    assert [f.line for f in again] == [2]


def test_allow_is_a_declared_list_of_dotted_names() -> None:
    assert topic("gil").allow == ("multiprocessing", "concurrent.futures", "os.getpid")
    assert topic("data_race").allow == ()
    with pytest.raises(catalog.CatalogError, match="dotted names"):
        catalog._dotted_names({"name": "x", "allow": ["os.getpid", "not a name"]})
    with pytest.raises(catalog.CatalogError, match="dotted names"):
        catalog._dotted_names({"name": "x", "allow": "os"})


def test_no_false_alarm_on_any_starter_solution_or_fix_the_kit_ships() -> None:
    """Every exercise file under exercises/ and solutions/, and every fix's diff applied,
    listed fixes or not."""
    alarms, scanned = [], 0
    for t in topics().values():
        texts = {}
        for name in t.files:
            for path in {*t.exercise_dir().rglob(name), *t.solution_dir().rglob(name)}:
                texts[str(path.relative_to(ROOT))] = path.read_bytes()
        for fix in variants.fixes(t):
            for name, text in variants.files(fix).items():
                texts[f"{fix.shown()}:{name}"] = text.encode()
        for label, source in sorted(texts.items()):
            scanned += 1
            alarms += scan(source, label, t.allow)
    assert alarms == []
    assert scanned == sum(len(t.files) * (2 + len(t.wrong) + len(t.alternative))
                          for t in topics().values())


def test_the_sample_class_flags_the_students_whose_code_reaches_out() -> None:
    flagged = set()
    for name, student in make_class.STUDENTS.items():
        for path, text in make_class.files_of(student).items():
            parts = path.split("/")
            if parts[0] == "exercises" and parts[-1] in topic(parts[1]).files \
                    and scan(text, path, topic(parts[1]).allow):
                flagged.add(name)
    # eve's os._exit, finn's os.fork, kai's patched Thread.start, max's os.getcwd
    assert flagged == {"eve", "finn", "kai", "max"}


# ------------------------------------------------------------------ students see it
def test_pytest_shows_the_scan_as_a_warning_without_failing(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p graders.pytest_plugin")
    folder = pytester.path / "exercises" / "data_race"
    folder.mkdir(parents=True)
    test_file = ROOT / "exercises" / "data_race" / "test_data_race.py"
    (folder / test_file.name).write_text(test_file.read_text())
    (folder / "shop.py").write_text(solution("data_race"))
    honest = pytester.runpytest("exercises/data_race", "--schedules", "5")
    honest.assert_outcomes(passed=sum(not c.hidden for c in topic("data_race").checks))
    assert "instructor" not in honest.stdout.str()

    (folder / "shop.py").write_text("import ctypes\n" + solution("data_race"))
    flagged = pytester.runpytest("exercises/data_race", "--schedules", "5")
    flagged.assert_outcomes(passed=sum(not c.hidden for c in topic("data_race").checks))
    flagged.stdout.fnmatch_lines([
        "*graders: code your instructor will review*",
        "The grader will ask your instructor to review this code before its points count:",
        "  exercises/data_race/shop.py line 1: imports ctypes, which can change the "
        "grader's memory"])


HOSTILE_BUT_CORRECT = '''

def _peek():
    """Never called: the checks pass, but the code reaches into the grader's frames."""
    import sys
    return sys._getframe(1).f_globals
'''


def test_graders_check_lists_the_same_warning(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(solution("data_race") + HOSTILE_BUT_CORRECT)
    run = subprocess.run([sys.executable, "-m", "graders", "check", "data_race", "--path",
                          str(tmp_path), "--schedules", "5"], cwd=ROOT, capture_output=True,
                         text=True, check=False, env={**os.environ, "NO_COLOR": "1"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "The grader will ask your instructor to review this code" in run.stdout
    assert f"{tmp_path}/shop.py line " in run.stdout and "sys._getframe" in run.stdout


# ------------------------------------------------------------------ class grading
ARGS = ("--topics", "data_race", "--schedules", "10", "--jobs", "2", "--timeout", "20")


def _sheet(out: Path) -> dict[str, dict[str, str]]:
    return {row["student_id"]: row for row in csv.DictReader(io.StringIO(
        (out / "sheet.csv").read_text()))}


def _grades(out: Path) -> dict[str, dict[str, str]]:
    return {row["student_id"]: row for row in csv.DictReader(io.StringIO(
        (out / "grades.csv").read_text()))}


def test_a_flagged_submission_is_held_for_review_until_accepted(tmp_path: Path) -> None:
    folder, out = tmp_path / "class", tmp_path / "grades"
    write_submission(folder, "ada", {"exercises/data_race/shop.py": solution("data_race")})
    shop = write_submission(folder, "mal", {
        "exercises/data_race/shop.py": solution("data_race") + HOSTILE_BUT_CORRECT}
    ) / "exercises" / "data_race" / "shop.py"
    line = len(solution("data_race").splitlines()) + 6

    run = grade_cli(str(folder), *ARGS, "--out", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    mal = results(out)["mal"]
    assert (mal["status"], mal["accepted"], mal["score"], mal["max_score"]) == \
        ("review", False, topic("data_race").points, topic("data_race").points)  # points wait
    assert {(f["file"], f["line"]) for f in mal["review"]} == \
        {("exercises/data_race/shop.py", line)}
    assert results(out)["ada"]["status"] == "graded"
    assert _sheet(out)["mal"] == {"student_id": "mal", "data_race": "review", "total": "review",
                                  "max_score": str(RACE_POINTS), "percent": "review"}
    assert (_grades(out)["mal"]["score"], _grades(out)["ada"]["score"]) == (
        "", f"{RACE_POINTS:.1f}")
    feedback = (out / "feedback" / "mal.md").read_text()
    assert "**review: points withheld" in feedback
    assert f"`exercises/data_race/shop.py` line {line}: uses sys.\\_getframe" in feedback
    assert not (out / "gradescope" / "mal" / "results.json").exists()
    assert f"mal: exercises/data_race/shop.py line {line}: uses sys._getframe" in run.stdout
    assert "--resume --accept mal" in run.stdout

    run = grade_cli(str(folder), *ARGS, "--out", str(out), "--resume", "--accept", "mal")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("(reused)") == 2 and "Accepted after review: mal." in run.stdout
    mal = results(out)["mal"]
    assert (mal["status"], mal["accepted"]) == ("graded", True)
    assert (_sheet(out)["mal"]["total"], _grades(out)["mal"]["score"]) == (
        str(RACE_POINTS), f"{RACE_POINTS:.1f}")
    assert json.loads((out / "gradescope" / "mal" / "results.json").read_text())["score"] == \
        RACE_POINTS
    assert "accepted it:" in (out / "feedback" / "mal.md").read_text()

    # The acceptance stays with the same files, and goes when they change.
    run = grade_cli(str(folder), *ARGS, "--out", str(out), "--resume")
    assert run.stdout.count("(reused)") == 2 and results(out)["mal"]["accepted"] is True
    shop.write_text(shop.read_text() + "# one more line\n")
    run = grade_cli(str(folder), *ARGS, "--out", str(out), "--resume")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("(reused)") == 1
    assert results(out)["mal"]["status"] == "review"


def test_accepting_a_student_who_did_not_submit_is_a_usage_error(tmp_path: Path) -> None:
    write_submission(tmp_path, "ada", {"exercises/data_race/shop.py": solution("data_race")})
    run = grade_cli(str(tmp_path), "--accept", "bob")
    assert run.returncode == 2 and "--accept: no submission" in run.stderr and "bob" in run.stderr
