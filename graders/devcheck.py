"""The dev check: every grader catches its starter and passes its solution.

For each topic: the untouched starter fails exactly the checks the catalogue lists for it,
the first with the topic's bug class; the reference solution passes every check; each wrong
fix fails exactly the checks of the requirements it breaks (one bug, one failing check), the
first with the class listed; each alternative fix passes. Every listed failure must find a
hint written for it. It also checks the topic folders look alike, so adding a topic is
copying a folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from graders import requirements, variants
from graders.catalog import Topic, topic
from graders.checking import CheckOutcome, run_topic
from graders.engine import Settings

PASS = "pass"
#: Each topic shows at least this many plausible wrong fixes and correct alternatives.
MIN_WRONG, MIN_ALTERNATIVE = 6, 4


@dataclass(frozen=True)
class Case:
    """One folder of one topic and what it must do."""

    topic: str
    variant: str          # "starter", "solution", "wrong/NAME", "alternative/NAME"
    folder: Path          # a folder, or a fix's .diff (materialised while it runs)
    expect: str           # PASS or the bug class its first failing check must report
    fails: tuple[str, ...] = ()   # the checks that must fail (every other must pass)

    def expected(self) -> str:
        """What the case must do, in a few words."""
        return PASS if self.expect == PASS else f"{self.expect}: {', '.join(self.fails)}"


@dataclass
class CaseResult:
    case: Case
    ok: bool
    got: str
    outcomes: list[CheckOutcome] = field(default_factory=list)


def layout_problems(t: Topic) -> list[str]:
    """What is missing or unlisted in the topic's folders."""
    problems = []
    ex, sol = t.exercise_dir(), t.solution_dir()
    for need in ["README.md", f"test_{t.name}.py", *t.files]:
        if not (ex / need).is_file():
            problems.append(f"{ex / need} is missing")
    for name in t.files:
        if not (sol / name).is_file():
            problems.append(f"{sol / name} is missing")
        elif (ex / name).is_file() and "TODO" not in (ex / name).read_text():
            problems.append(f"{ex / name} marks no place to edit (no TODO)")
    readme = ex / "README.md"
    if readme.is_file():
        text = readme.read_text()
        try:
            if requirements.with_block(t, text) != text:
                problems.append(f"{readme}: its list of requirements is out of step with "
                                "topics.toml (python -m graders dev readme)")
        except ValueError as exc:
            problems.append(str(exc))
    for kind, listed in (("wrong", t.wrong), ("alternative", t.alternative)):
        on_disk = {f.name for f in variants.fixes(t) if f.kind == kind}
        for name in sorted(set(listed) - on_disk):
            problems.append(f"{variants.Fix.of(t, kind, name).path} is listed in topics.toml "
                            "but missing")
        for name in sorted(on_disk - set(listed)):
            problems.append(f"{variants.Fix.of(t, kind, name).path} is not listed in "
                            "topics.toml")
    for stray in variants.strays(t):
        problems.append(f"{stray} is not a fix: a fix is a .diff (python -m graders dev "
                        f"variant new {t.name}/{stray.parent.name}/{stray.stem})")
    if len(t.wrong) < MIN_WRONG:
        problems.append(f"{t.name}: at least {MIN_WRONG} wrong fixes are needed, "
                        f"{len(t.wrong)} listed")
    if len(t.alternative) < MIN_ALTERNATIVE:
        problems.append(f"{t.name}: at least {MIN_ALTERNATIVE} alternative fixes are needed, "
                        f"{len(t.alternative)} listed")
    broken = {name for w in t.wrong.values() for name in w.fails} | set(t.fails)
    for c in t.checks:
        if c.name not in broken:
            problems.append(f"{t.name}: no wrong fix breaks the requirement of check "
                            f"{c.name!r}, so nothing shows that it can fail")
    return problems


def cases(t: Topic) -> Iterator[Case]:
    yield Case(t.name, "starter", t.exercise_dir(), t.bug_class, t.fails)
    yield Case(t.name, "solution", t.solution_dir(), PASS)
    for name, w in t.wrong.items():
        yield Case(t.name, f"wrong/{name}", variants.Fix.of(t, "wrong", name).path, w.bug,
                   w.fails)
    for name in t.alternative:
        yield Case(t.name, f"alternative/{name}", variants.Fix.of(t, "alternative", name).path,
                   PASS)


def verify(case: Case, settings: Settings | None = None) -> CaseResult:
    """Run every check of the case's topic on its folder and compare with the expectation.

    A fix's diff that does not apply is a failed case whose ``got`` is the one-line reason."""
    try:
        with variants.checkout(case.topic, case.folder) as folder:
            outcomes = run_topic(topic(case.topic), folder, settings)
    except variants.VariantError as exc:
        return CaseResult(case, False, str(exc))
    failed = [o for o in outcomes if not o.passed]
    got = PASS if not failed else f"{failed[0].bug_class}: {', '.join(o.check for o in failed)}"
    problems = [f"{o.check} fails with {o.bug_class} and no hint of topics.toml fits it"
                for o in failed if o.hint is None and o.load_error is None]
    ok = got == case.expected() and not problems
    return CaseResult(case, ok, "; ".join([got, *problems]), outcomes)


def run(topic_names: list[str], jobs: int = 1,
        settings: Settings | None = None) -> Iterator[CaseResult]:
    """Verify every case of the named topics, ``jobs`` processes at a time, in order."""
    all_cases = [c for name in topic_names for c in cases(topic(name))]
    if jobs <= 1:
        for c in all_cases:
            yield verify(c, settings)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(verify, all_cases, [settings] * len(all_cases))
