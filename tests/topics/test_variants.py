"""Wrong and alternative fixes are diffs against the reference: every shipped one applies, a
stale one fails naming itself, and ``dev variant show|edit|new`` round-trips whole files.

The editing tests work on a copy of ``solutions/mutex`` in a temporary kit, with a scripted
``$EDITOR``, so the kit's own diffs are never written."""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from graders import catalog, devcheck, variants
from graders.catalog import topic, topics
from graders.cli import build_parser, dev_check, main

ROOT = Path(__file__).resolve().parents[2]
FIXES = [fix for t in topics().values() for fix in variants.fixes(t)]
TURNS = "mutex/wrong/cooks_take_turns"
ADDED = "# added by the scripted editor\n"


def editor(tmp_path: Path, extra: str = "") -> str:
    """An $EDITOR that appends ADDED to the first file it is given (and runs ``extra``)."""
    script = tmp_path / "editor.py"
    script.write_text(f"import sys\nopen(sys.argv[1], 'a').write({ADDED!r})\n{extra}")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def changed(diff_text: str) -> list[str]:
    return [row for row in diff_text.splitlines(keepends=True)
            if row[:1] in "+-" and not row.startswith(("+++ ", "--- "))]


@pytest.fixture
def mutex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """solutions/mutex copied into a temporary kit that the catalogue now points to."""
    folder = tmp_path / "kit" / "solutions" / "mutex"
    shutil.copytree(ROOT / "solutions" / "mutex", folder)
    monkeypatch.setattr(catalog, "KIT", tmp_path / "kit")
    return folder


@pytest.mark.parametrize("fix", FIXES, ids=str)
def test_every_shipped_fix_applies_and_changes_the_reference(fix: variants.Fix) -> None:
    patch, fixed, failed = variants.patched(fix)
    assert failed == []
    assert patch.header.startswith(("# Fails with: ", "# Shows: "))
    assert fixed != variants.reference(topic(fix.topic))


def test_every_listed_fix_is_shipped() -> None:
    shipped = {str(f) for f in FIXES}
    listed = {f"{t.name}/{kind}/{name}" for t in topics().values()
              for kind, names in (("wrong", t.wrong), ("alternative", t.alternative))
              for name in names}
    assert listed == shipped


def test_a_stale_diff_fails_naming_itself(tmp_path: Path) -> None:
    stale = tmp_path / "wrong" / "cooks_take_turns.diff"
    stale.parent.mkdir()
    text = variants.Fix.parse(TURNS).path.read_text()
    assert "     for thread in threads:\n         thread.start()\n" in text
    stale.write_text(text.replace("         thread.start()\n", "         thread.start()  #\n", 1))
    fix = variants.Fix("mutex", stale)
    with pytest.raises(variants.VariantError) as caught:
        variants.files(fix)
    assert str(caught.value) == (
        f"{stale}: hunk 1 (kitchen.py, line 37) does not match the reference; was the "
        f"reference edited? run: python -m graders dev variant edit {TURNS}")
    result = devcheck.verify(devcheck.Case("mutex", "wrong/cooks_take_turns", stale,
                                           "no overlap"))
    assert not result.ok and result.got == str(caught.value)


def test_a_fix_still_applies_when_lines_above_it_moved(mutex: Path) -> None:
    fix = variants.Fix.parse(TURNS)
    before = variants.files(fix)["kitchen.py"]
    kitchen = mutex / "kitchen.py"
    kitchen.write_text(kitchen.read_text().replace('"""\n', '"""\n# one line more\n', 1))
    assert variants.files(fix)["kitchen.py"] == before.replace('"""\n', '"""\n# one line more\n',
                                                               1)


@pytest.mark.parametrize(("text", "message"), [
    ("--- kitchen.py\n+++ kitchen.py\n", "no header"),
    ("# h\n--- kitchen.py\n", ":2: expected '--- FILE' and '+++ FILE'"),
    ("# h\n--- kitchen.py\n+++ kitchen.py\n@@ -1,2 +1,2 @@\n-a\n+b\n", ":7: hunk 1 ends"),
    ("# h\n--- kitchen.py\n+++ kitchen.py\n@@ -1 +1 @@\n-a\n+b\n+c\n", ":7: expected"),
    ("# h\n--- kitchen.py\n+++ kitchen.py\n@@ -1 @@\n", ":4: a malformed hunk line"),
    ("# h\n--- shop.py\n+++ shop.py\n@@ -1 +1 @@\n-a\n+b\n", "shop.py is not a file of topic"),
])
def test_a_malformed_diff_says_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.diff"
    path.write_text(text)
    with pytest.raises(variants.VariantError, match=re.escape(message)):
        variants.files(variants.Fix("mutex", path))


def test_a_file_without_a_last_newline_round_trips(mutex: Path) -> None:
    kitchen = mutex / "kitchen.py"
    kitchen.write_text(kitchen.read_text().rstrip("\n"))
    fix = variants.Fix.parse("mutex/wrong/no_newline")
    fixed = {"kitchen.py": kitchen.read_text().replace("kitchen.served", "0")}
    variants.save(fix, "# h\n", fixed)
    assert variants.NO_NEWLINE in fix.path.read_text()
    assert variants.files(fix) == fixed


def test_show_prints_the_whole_fixed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "variant", "show", TURNS]) == 0
    assert capsys.readouterr().out == variants.files(variants.Fix.parse(TURNS))["kitchen.py"]


def test_the_materialised_folder_is_removed_afterwards() -> None:
    with variants.materialised(variants.Fix.parse(TURNS)) as folder:
        assert [p.name for p in folder.iterdir()] == ["kitchen.py"]
    assert not folder.exists()


def test_edit_saves_what_the_editor_changed_and_keeps_the_header(
        mutex: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fix = variants.Fix.parse(TURNS)
    old_text, old_files = fix.path.read_text(), variants.files(fix)
    monkeypatch.setenv("EDITOR", editor(tmp_path))
    assert main(["dev", "variant", "edit", TURNS]) == 0
    new_text = fix.path.read_text()
    assert new_text.startswith(variants.read(fix).header)
    assert variants.read(fix).header == old_text[:old_text.index("--- ")]
    assert changed(new_text) == [*changed(old_text), "+" + ADDED]
    assert variants.files(fix) == {"kitchen.py": old_files["kitchen.py"] + ADDED}


def test_edit_without_an_editor_waits_for_enter(
        mutex: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = variants.Fix.parse(TURNS).path.read_bytes()
    monkeypatch.setenv("EDITOR", "false")
    monkeypatch.setattr("builtins.input", lambda *_: "")
    assert main(["dev", "variant", "edit", "--no-editor", TURNS]) == 0
    out = capsys.readouterr().out
    folder = Path(re.search(r" is in (\S+): edit it there", out)[1])
    assert f"python -m graders check mutex --path {folder})" in out
    assert "is unchanged" in out and not folder.exists()
    assert variants.Fix.parse(TURNS).path.read_bytes() == before


def test_edit_sets_a_stale_hunk_aside(mutex: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    kitchen = mutex / "kitchen.py"
    kitchen.write_text(kitchen.read_text().replace("        thread.start()\n",
                                                   "        thread.start()  # go\n"))
    seen = tmp_path / "seen.txt"
    monkeypatch.setenv("EDITOR", editor(tmp_path, f"open({str(seen)!r}, 'w').write("
                                                  "open(sys.argv[2]).read())\n"))
    assert main(["dev", "variant", "edit", TURNS]) == 0
    assert "hunk 1 (kitchen.py, line 37) no longer matches" in capsys.readouterr().out
    assert "+        thread.join()  # one cook at a time" in seen.read_text()
    assert changed(variants.Fix.parse(TURNS).path.read_text()) == ["+" + ADDED]


def test_new_starts_from_the_reference(mutex: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EDITOR", editor(tmp_path))
    assert main(["dev", "variant", "new", "mutex/wrong/appended"]) == 0
    saved = (mutex / "wrong" / "appended.diff").read_text()
    assert saved.startswith("# What this fix breaks, or the design it shows")
    assert changed(saved) == ["+" + ADDED]
    assert "now list it in graders/topics.toml" in capsys.readouterr().out
    assert main(["dev", "variant", "new", "mutex/wrong/appended"]) == 2
    assert "exists already" in capsys.readouterr().err


def test_new_refuses_a_fix_that_changes_nothing(mutex: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EDITOR", "true")
    assert main(["dev", "variant", "new", "mutex/alternative/same"]) == 2
    assert "no difference from the reference" in capsys.readouterr().err
    assert not (mutex / "alternative" / "same.diff").exists()


def test_dev_check_is_dev_check() -> None:
    args = build_parser().parse_args(["dev", "check", "data_race", "--jobs", "1"])
    assert args._dev is dev_check.run and args.topics == ["data_race"] and args.jobs == 1
