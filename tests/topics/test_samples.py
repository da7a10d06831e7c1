"""The sample outputs in the READMEs are what their runs print today (check reports in full
on the Python they were made on, elsewhere their requirement lines), every output block in a
README is one of them, and a check's report is rendered exactly as pytest shows it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kit_env import without_kit_settings

from graders import samples
from graders.catalog import KIT, topic, topics

TAIL = "(written by `python -m graders dev samples`; do not edit) -->"


def _readme_param(path: Path) -> object:
    """One test per README, so the runs spread over the workers; the front door's in the
    quick tier, the topics' in the full one."""
    name = "front door" if path == KIT / "README.md" else path.parent.name
    marks = () if name == "front door" else (pytest.mark.slow,)
    return pytest.param(path, marks=marks, id=name)


@pytest.mark.parametrize("readme", [_readme_param(p) for p in samples.readmes()])
def test_every_marked_sample_is_what_its_run_prints(readme: Path) -> None:
    assert samples.stale([readme]) == []


def test_no_output_block_in_a_readme_is_left_unmarked() -> None:
    assert [line for path in samples.readmes() for line in samples.unmarked(path)] == []


def test_the_front_door_and_every_topic_carry_samples() -> None:
    marked = {"front door" if s.path == KIT / "README.md" else s.path.parent.name
              for path in samples.readmes() for s in samples.find(path)}
    assert marked == {"front door", *topics()}


def test_a_report_is_rendered_as_pytest_shows_it(tmp_path: Path) -> None:
    """Every failure of a starter, run by pytest for real, matches the samples' rendering
    of the same checks: the header lines, the reports, the picture's path, the hints."""
    t = topic("reentrant_lock")
    shutil.copytree(t.exercise_dir(), tmp_path / "exercises" / t.name)
    env = without_kit_settings()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(KIT), env.get("PYTHONPATH")]))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         f"exercises/{t.name}"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False)
    out = run.stdout.splitlines()
    first = out.index(next(line for line in out if "FAILURES" in line)) + 1
    last = out.index(next(line for line in out if "short test summary" in line))
    failed = [name.removeprefix("test_") for name in samples.tests(t)]  # pytest's order
    sample = samples.Sample(tmp_path / "README.md", 1, t.name, tuple(failed), "report")
    rendered = samples.render(sample, samples.Runs()).splitlines()
    assert rendered[1:-1] == samples.shortened(out[first:last])
    assert samples.progress_line(t, "F" * len(samples.tests(t))) in out


@pytest.mark.parametrize(("marker", "problem"), [
    (f"<!-- sample: mutex tally {TAIL}", "unknown kind 'tally'"),
    (f"<!-- sample: mutex exact_tally wrong/no_such_fix {TAIL}", "no wrong fix 'no_such_fix'"),
    (f"<!-- sample: mutex exact_tally lines=0 {TAIL}", "unknown word 'lines=0'"),
    (f"<!-- sample: mutex passing wrong/no_lock {TAIL}", "runs the reference solution"),
    (f"<!-- sample: mutex prints=nowhere.py {TAIL}", "'nowhere.py' is not a file of mutex"),
    (f"<!-- sample: no_topic passing {TAIL}", "no topic named 'no_topic'"),
    ("<!-- sample: mutex passing -->", "a sample marker must read"),
])
def test_a_marker_that_does_not_parse_names_its_file_and_line(
        tmp_path: Path, marker: str, problem: str) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# A topic\n\nIt shows:\n\n{marker}\n{samples.END}\n")
    with pytest.raises(ValueError, match=r"README\.md:5: ") as caught:
        samples.find(readme)
    assert problem in str(caught.value)


def test_a_sample_without_its_end_line_is_an_error(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"<!-- sample: mutex passing {TAIL}\n```text\n```\n")
    with pytest.raises(ValueError, match=r"README\.md:1: the sample has no end line"):
        samples.find(readme)


def test_an_output_block_is_a_fence_that_is_neither_code_nor_a_drawing_nor_a_sample(
        tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("\n".join([
        "```python", "print('code')", "```",
        samples.DRAWN, "", "```", "A --> B", "```",
        f"<!-- sample: mutex passing {TAIL}", "```text", "written", "```", samples.END,
        "```", "typed by hand", "```",
        "```text", "typed by hand too", "```", ""]))
    assert [line.split(": ")[0] for line in samples.unmarked(readme)] == [
        f"{readme}:14", f"{readme}:17"]


def test_a_stale_sample_is_named_and_written_anew(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    readme = tmp_path / "README.md"
    marker = f"<!-- sample: mutex passing {TAIL}"
    readme.write_text(f"When every check passes:\n\n{marker}\n```text\n1 passed\n```\n"
                      f"{samples.END}\n")
    monkeypatch.setattr(samples, "readmes", lambda: [readme])
    monkeypatch.setattr(samples, "MADE_ON", f"{sys.version_info[0]}.{sys.version_info[1]}")
    assert samples.stale() == [f"{readme}:3: the sample 'mutex passing' is out of date "
                               "(python -m graders dev samples)"]
    assert samples.write() == [readme]
    line = samples.progress_line(topic("mutex"), "...")
    assert readme.read_text() == (f"When every check passes:\n\n{marker}\n```text\n{line}\n"
                                  f"```\n{samples.END}\n")
    assert samples.stale() == []


def test_a_program_sample_is_what_the_reference_prints(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"<!-- sample: scheduling prints=simulator.py lines=2 {TAIL}\n"
                      f"{samples.END}\n")
    monkeypatch.setattr(samples, "readmes", lambda: [readme])
    monkeypatch.setattr(samples, "MADE_ON", f"{sys.version_info[0]}.{sys.version_info[1]}")
    samples.write()
    assert readme.read_text().splitlines()[1:6] == [
        "```text", "first come, first served: average waiting 6.00, response 6.00",
        "| A | B | C | D  |", "...", "```"]
