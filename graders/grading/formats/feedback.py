"""Per-student feedback, in Markdown and in HTML: the score, then every failed check with
the engine's report (the verdict, the replay command and the failing interleaving) and the
topic's first hint. A hidden check shows its name, points and hint, never its report.
The HTML also draws a failed check's interleaving (:mod:`graders.engine.drawing`): its
threads as lanes and, for a deadlock, the wait-for cycle.

Both are made from the same plan (:func:`sections`), so they say the same thing; the HTML
is well-formed XML (it parses with ``xml.etree``) and needs no stylesheet. A submission the
grader could not grade gets "error: not graded" instead of a score, and the reason. Code the
integrity scan flagged is listed by file and line, with the topic's points shown as "review"
until the instructor accepts it (:func:`review_intro`).
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from graders import hints
from graders.catalog import Topic
from graders.engine.drawing import figure

from ..model import NOT_GRADED, REVIEW, CheckResult, SubmissionResult


@dataclass
class Section:
    """One topic: its title, its score and its checks."""

    topic: str
    title: str
    earned: int
    points: int
    checks: list[CheckResult] = field(default_factory=list)
    withheld: str | None = None      # what shows instead of the points (SubmissionResult)

    @property
    def score(self) -> str:
        return self.withheld or f"{self.earned} / {self.points}"


def sections(result: SubmissionResult, topics: Sequence[Topic]) -> list[Section]:
    titles = {t.name: t.title for t in topics}
    out = []
    for name in result.topics():
        earned, points = result.topic_score(name)
        out.append(Section(name, titles.get(name, name), earned, points,
                           [c for c in result.checks if c.topic == name],
                           result.withheld(name)))
    return out


def _headline(result: SubmissionResult) -> str:
    held = result.withheld()
    if held == NOT_GRADED:
        return NOT_GRADED
    if held == REVIEW:
        return f"{REVIEW}: points withheld until your instructor has looked at the code below"
    return f"{result.score} / {result.max_score} points ({result.percent:.1f}%)"


def review_intro(result: SubmissionResult) -> str | None:
    """What precedes the list of flagged lines, or None when nothing was flagged."""
    if not result.review:
        return None
    if result.accepted:
        return ("Your instructor looked at this code, which reaches beyond the exercise, and "
                "accepted it:")
    return ("This code reaches beyond the exercise, so your instructor will look at it before "
            "its topic's points count (pytest exercises/<topic> shows the same list):")


def _md_text(text: str) -> str:
    """Plain text in Markdown: ``__class__`` must not turn bold."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)


def _settings(result: SubmissionResult) -> str:
    s = result.settings
    when = f" Submitted {result.timestamp} UTC." if result.timestamp else ""
    return (f"Graded with Python {result.python}, {s.get('schedules')} schedules per check, "
            f"seed {s.get('seed')}.{when}")


def _mark(check: CheckResult) -> str:
    return "PASS" if check.passed else ("ERROR" if check.status == "error" else "FAIL")


def _fence(text: str) -> str:
    longest = max((len(run) for run in text.split("\n") if set(run) == {"`"}), default=0)
    return "`" * max(3, longest + 1)


def markdown(result: SubmissionResult, topics: Sequence[Topic] = ()) -> str:
    lines = [f"# Feedback for {result.student}", "", f"**{_headline(result)}**", ""]
    if not result.graded:
        lines += [result.not_graded_message(), ""]
    intro = review_intro(result)
    if intro:
        lines += [intro, ""] + [f"- `{f['file']}` line {f['line']}: {_md_text(f['reason'])}"
                                for f in result.review] + [""]
    lines += [_settings(result), ""]
    if result.notes:
        lines += ["Notes:", ""] + [f"- {n}" for n in result.notes] + [""]
    lines += ["| topic | points |", "|---|---|"]
    for s in sections(result, topics):
        lines.append(f"| {s.topic}: {s.title} | {s.score} |")
    lines.append("")
    for s in sections(result, topics):
        lines += [f"## {s.topic}: {s.title} ({s.score})", ""]
        for c in s.checks:
            hidden = " (hidden)" if c.hidden else ""
            lines.append(f"- **{_mark(c)}** `{c.check}`{hidden}: {c.earned} / {c.points}")
        lines.append("")
        for c in s.checks:
            if c.passed:
                continue
            hidden = " (hidden)" if c.hidden else ""
            lines += [f"### {c.check}{hidden}: {_mark(c).lower()}"
                      f"{f' ({c.bug_class})' if c.bug_class else ''}", ""]
            body = c.student_report()
            fence = _fence(body)
            lines += [fence + "text", body, fence, ""]
            if c.hint:
                lines += [hints.render(c.hint), ""]
            if c.output.strip() and not c.hidden:
                fence = _fence(c.output)
                lines += ["What your program printed (the start):", "",
                          fence + "text", c.output.rstrip(), fence, ""]
    return "\n".join(lines).rstrip() + "\n"


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _e(text: object) -> str:
    return _html.escape(_CONTROL.sub("?", str(text)), quote=True)


STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
         "pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:90%}"
         ".pass{color:#176f2c}.fail,.error{color:#b00020}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}")


def html(result: SubmissionResult, topics: Sequence[Topic] = ()) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8"/>',
           f"<title>Feedback for {_e(result.student)}</title>", f"<style>{STYLE}</style>",
           "</head>", "<body>", f"<h1>Feedback for {_e(result.student)}</h1>",
           f"<p><strong>{_e(_headline(result))}</strong></p>"]
    if not result.graded:
        out.append(f"<p>{_e(result.not_graded_message())}</p>")
    intro = review_intro(result)
    if intro:
        out.append(f"<p>{_e(intro)}</p>")
        out.append("<ul>" + "".join(f"<li><code>{_e(line)}</code></li>"
                                    for line in result.flagged()) + "</ul>")
    out.append(f"<p>{_e(_settings(result))}</p>")
    if result.notes:
        out.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in result.notes) + "</ul>")
    out.append("<table><tr><th>topic</th><th>points</th></tr>")
    for s in sections(result, topics):
        out.append(f"<tr><td>{_e(s.topic)}: {_e(s.title)}</td><td>{_e(s.score)}</td></tr>")
    out.append("</table>")
    for s in sections(result, topics):
        out.append(f"<h2>{_e(s.topic)}: {_e(s.title)} ({_e(s.score)})</h2>")
        out.append("<ul>")
        for c in s.checks:
            hidden = " (hidden)" if c.hidden else ""
            cls = "pass" if c.passed else c.status
            out.append(f'<li><span class="{cls}">{_mark(c)}</span> <code>{_e(c.check)}</code>'
                       f"{hidden}: {c.earned} / {c.points}</li>")
        out.append("</ul>")
        for c in s.checks:
            if c.passed:
                continue
            hidden = " (hidden)" if c.hidden else ""
            bug = f" ({_e(c.bug_class)})" if c.bug_class else ""
            out.append(f"<h3>{_e(c.check)}{hidden}: {_mark(c).lower()}{bug}</h3>")
            out.append(f"<pre>{_e(c.student_report())}</pre>")
            if c.timeline is not None and not c.hidden:
                out.append(figure(c.timeline))    # checked and escaped again as it is drawn
            if c.hint:
                out.append(f"<p><strong>Hint:</strong> {_e(c.hint)}</p>")
            if c.output.strip() and not c.hidden:
                out.append("<p>What your program printed (the start):</p>")
                out.append(f"<pre>{_e(c.output.rstrip())}</pre>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
