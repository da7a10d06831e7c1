"""Finding students' files: folders, zips, wrappers, and what is never read."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from graders.catalog import topic
from graders.grading import submissions
from graders.grading.submissions import SubmissionError, discover, materialize

RACE = topic("data_race")


def _zip(path: Path, members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def test_students_are_folders_and_zips_sorted_by_id(tmp_path: Path) -> None:
    (tmp_path / "bob" / "exercises" / "data_race").mkdir(parents=True)
    _zip(tmp_path / "alice.zip", {"alice/exercises/data_race/shop.py": b"x = 1\n"})
    (tmp_path / ".DS_Store").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "__MACOSX").mkdir()
    found = discover(tmp_path)
    assert [(s.student, s.kind) for s in found] == [("alice", "zip"), ("bob", "folder")]


def test_two_submissions_for_one_student_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    _zip(tmp_path / "alice.zip", {"a": b""})
    with pytest.raises(SubmissionError, match="two submissions"):
        discover(tmp_path)


@pytest.mark.parametrize("layout", ["exercises/data_race/shop.py", "data_race/shop.py",
                                    "kit-main/exercises/data_race/shop.py",
                                    "alice/kit/exercises/data_race/shop.py"])
def test_the_exercise_is_found_in_usual_layouts(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / "alice"
    (folder / layout).parent.mkdir(parents=True)
    (folder / layout).write_text("print('hi')\n")
    files = submissions.Submission("alice", folder, "folder").read([RACE])
    assert files.found == {("data_race", "shop.py"): b"print('hi')\n"}
    archive = _zip(tmp_path / "alice.zip", {layout: b"print('hi')\n"})
    files = submissions.Submission("alice", archive, "zip").read([RACE])
    assert files.found == {("data_race", "shop.py"): b"print('hi')\n"}


def test_only_the_named_files_are_read_and_copied(tmp_path: Path) -> None:
    folder = tmp_path / "alice" / "exercises" / "data_race"
    folder.mkdir(parents=True)
    (folder / "shop.py").write_text("A = 1\n")
    for planted in ("conftest.py", "threading.py", "random.py", "sitecustomize.py"):
        (folder / planted).write_text("raise SystemExit('planted')\n")
    files = submissions.Submission("alice", tmp_path / "alice", "folder").read([RACE])
    work = tmp_path / "work"
    materialize(files, [RACE], work)
    assert sorted(p.name for p in (work / "data_race").iterdir()) == ["shop.py"]


def test_zip_member_names_never_choose_where_files_go(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    archive = _zip(tmp_path / "mallory.zip", {
        "../victim.txt": b"overwritten", "/tmp/absolute.py": b"x",
        "exercises/data_race/../../../victim.txt": b"overwritten",
        "exercises/data_race/shop.py": b"A = 1\n"},
        symlinks={"exercises/data_race/link.py": "/etc/passwd"})
    victim.write_text("safe")
    files = submissions.Submission("mallory", archive, "zip").read([RACE])
    work = tmp_path / "work"
    materialize(files, [RACE], work)
    assert victim.read_text() == "safe"
    assert files.found == {("data_race", "shop.py"): b"A = 1\n"}
    assert any("ignored 4 entries" in n for n in files.notes)
    assert sorted(str(p.relative_to(work)) for p in work.rglob("*")) == [
        "data_race", "data_race/shop.py"]


def test_a_zip_symlink_in_place_of_the_exercise_is_not_followed(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "m.zip", {"exercises/data_race/readme": b""},
                   symlinks={"exercises/data_race/shop.py": "/etc/passwd"})
    files = submissions.Submission("m", archive, "zip").read([RACE])
    assert files.found == {}
    assert "missing" in files.problems[("data_race", "shop.py")]


def test_zip_bombs_and_huge_files_are_refused_without_unpacking(tmp_path: Path) -> None:
    big = b"\0" * (submissions.MAX_FILE + 10)
    archive = _zip(tmp_path / "bomb.zip", {"exercises/data_race/shop.py": big})
    files = submissions.Submission("bomb", archive, "zip").read([RACE])
    assert files.found == {}
    assert "larger than" in files.problems[("data_race", "shop.py")]

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for i in range(3):
            info = zipfile.ZipInfo(f"filler{i}")
            zf.writestr(info, b"")
    many = tmp_path / "many.zip"
    many.write_bytes(buffer.getvalue())
    old = submissions.MAX_MEMBERS
    submissions.MAX_MEMBERS = 2
    try:
        files = submissions.Submission("many", many, "zip").read([RACE])
    finally:
        submissions.MAX_MEMBERS = old
    assert files.found == {} and "entries" in files.notes[0]


def test_a_broken_zip_is_every_check_missing_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    files = submissions.Submission("bad", tmp_path / "bad.zip", "zip").read([RACE])
    assert files.found == {} and "not a readable zip" in files.notes[0]


def test_folder_symlinks_are_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'instructor only'\n")
    folder = tmp_path / "alice" / "exercises" / "data_race"
    folder.mkdir(parents=True)
    os.symlink(secret, folder / "shop.py")
    files = submissions.Submission("alice", tmp_path / "alice", "folder").read([RACE])
    assert files.found == {}
    assert "symlink" in files.problems[("data_race", "shop.py")]


def test_the_digest_follows_the_graded_files_only(tmp_path: Path) -> None:
    folder = tmp_path / "alice" / "exercises" / "data_race"
    folder.mkdir(parents=True)
    (folder / "shop.py").write_text("A = 1\n")
    sub = submissions.Submission("alice", tmp_path / "alice", "folder")
    first = sub.read([RACE]).digest()
    (folder / "notes.txt").write_text("not graded")
    assert sub.read([RACE]).digest() == first
    (folder / "shop.py").write_text("A = 2\n")
    assert sub.read([RACE]).digest() != first


def test_ids_that_would_share_output_files_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a b").mkdir()
    (tmp_path / "a_b").mkdir()
    with pytest.raises(SubmissionError, match="share the output files"):
        discover(tmp_path)


def test_safe_names_for_output_files() -> None:
    assert submissions.safe_name("ada") == "ada"
    assert submissions.safe_name("Zoë Smith") == "Zoë_Smith"
    assert submissions.safe_name("..hidden") == "hidden"
