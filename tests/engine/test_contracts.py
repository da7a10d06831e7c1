"""The engine's contracts with itself: it type-checks (mypy, strict, as pyproject.toml
configures it), every check turned off for one line says which and why, and its modules
import each other one way only, at the top, so none needs another half-initialised."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "graders" / "engine"

pytestmark = pytest.mark.timeout(180)


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (it comes with: pip install -e '.[dev]')")
def test_mypy_passes_on_the_engine(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path), "graders/engine"],
        cwd=ROOT, capture_output=True, text=True, timeout=170, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_type_ignore_names_its_error_and_says_why() -> None:
    unexplained = []
    for path in sorted(ENGINE.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if "type: ignore" not in line:
                continue
            coded = re.search(r"# type: ignore\[[a-z-]+(, *[a-z-]+)*\]", line)
            after = line[coded.end():].strip() if coded else ""
            above = lines[number - 2].strip() if number > 1 else ""
            if coded is None or not (after.startswith("#") or above.startswith("#")):
                unexplained.append(f"{path.name}:{number}: {line.strip()}")
    assert not unexplained, "\n".join(unexplained)


def _engine_imports() -> dict[str, set[str]]:
    """module -> the engine modules it imports; also fails on an import inside a function."""
    graph: dict[str, set[str]] = {}
    for path in sorted(ENGINE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = set(map(id, tree.body))
        deps: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                assert id(node) in top, f"{path.name}:{node.lineno} imports below the top level"
                deps |= {node.module.split(".")[0]} if node.module else {
                    a.name for a in node.names}
        graph[path.stem] = deps
    return graph


def test_engine_modules_import_each_other_without_a_circle() -> None:
    graph = _engine_imports()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        assert module not in path, "import circle: " + " -> ".join([*path, module])
        if module in done:
            return
        for dep in sorted(graph.get(module, ())):
            visit(dep, [*path, module])
        done.add(module)

    for module in graph:
        visit(module, [])
    assert graph["findings"] == set() and graph["verdicts"] == set()
