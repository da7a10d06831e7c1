"""The requirements table: what each topic's README promises the grader checks, from one source.

Each check in ``topics.toml`` states the requirement it tests. The README's list of what the
grader checks is written from those statements (between two marker lines), and so is the
table of every topic's requirements, checks and wrong fixes in ``docs/requirements.md``:
``python -m graders dev readme`` rewrites both, and the dev check fails when either is out
of step, so a README can never promise a requirement without a check, or a check test
something the README does not say.
"""

from __future__ import annotations

from pathlib import Path

from graders.catalog import KIT, Topic, topics

BEGIN = ("<!-- The list below is written from graders/topics.toml by "
         "`python -m graders dev readme`; edit it there. -->")
END = "<!-- end of the list of requirements -->"
TABLE = KIT / "docs" / "requirements.md"


def readme_block(t: Topic) -> str:
    """The README's list of requirements, one line per check, between the markers."""
    lines = [BEGIN, "", "The grader checks these requirements (each is one test in "
             f"`test_{t.name}.py`):", ""]
    for c in t.checks:
        if not c.hidden:
            lines.append(f"- `{c.name}`: {c.requirement}")
    hidden = sum(c.hidden for c in t.checks)
    if hidden:
        many = hidden > 1
        lines += ["", f"When your class is graded, {hidden} more check{'s' if many else ''} "
                  f"run{'' if many else 's'} that this file does not show."]
    return "\n".join([*lines, "", END])


def with_block(t: Topic, text: str) -> str:
    """``text`` (a README) with its list of requirements written anew.

    Raises ValueError when the README has no pair of marker lines to write between."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{t.exercise_dir() / 'README.md'} has no list of requirements: "
                         f"put the two lines\n{BEGIN}\n{END}\nwhere it belongs, then run "
                         "python -m graders dev readme")
    return text[:start] + readme_block(t) + text[end + len(END):]


def table() -> str:
    """docs/requirements.md: topics x requirements x checks, and the wrong fixes that break
    each requirement."""
    lines = ["# Requirements, checks and the wrong fixes that break them", "",
             "Written from `graders/topics.toml` by `python -m graders dev readme`; do not "
             "edit by hand. Each wrong fix must fail exactly the checks listed for it "
             "(`python -m graders dev check`).", ""]
    for t in topics().values():
        lines += [f"## {t.name}: {t.title}", "",
                  "| check | points | requirement | broken by |",
                  "|---|---|---|---|"]
        for c in t.checks:
            breakers = [f"`{name}`" for name, w in t.wrong.items() if c.name in w.fails]
            if c.name in t.fails:
                breakers.insert(0, "the starter")
            hidden = " (hidden)" if c.hidden else ""
            lines.append(f"| `{c.name}`{hidden} | {c.points} | {_cell(c.requirement)} | "
                         f"{', '.join(breakers) or '-'} |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def stale() -> list[Path]:
    """The files ``python -m graders dev readme`` would change (a README without markers
    counts as stale)."""
    out = []
    for t in topics().values():
        readme = t.exercise_dir() / "README.md"
        text = readme.read_text()
        try:
            if with_block(t, text) != text:
                out.append(readme)
        except ValueError:
            out.append(readme)
    if not TABLE.is_file() or TABLE.read_text() != table():
        out.append(TABLE)
    return out


def write() -> list[Path]:
    """Write every README's list and docs/requirements.md; return the files changed.

    Raises ValueError naming a README without its markers."""
    changed = []
    for t in topics().values():
        readme = t.exercise_dir() / "README.md"
        text = readme.read_text()
        new = with_block(t, text)
        if new != text:
            readme.write_text(new)
            changed.append(readme)
    if not TABLE.is_file() or TABLE.read_text() != table():
        TABLE.write_text(table())
        changed.append(TABLE)
    return changed
