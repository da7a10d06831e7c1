"""Terminal output for the commands: rich styling on a terminal, plain text otherwise.

The words are the same either way; styling only marks the parts a student should see first
(the verdict line, the replay command). Plain text is used when stdout is not a terminal
(a pipe, a file, CI logs) or when ``NO_COLOR`` is set, so output can be compared and grepped.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TextIO


class Output:
    """Where a command writes its results."""

    def __init__(self, stream: TextIO, styled: bool) -> None:
        self.stream = stream
        self.styled = styled
        self.closed = False
        self._console = None
        if styled:
            from rich.console import Console

            self._console = Console(file=stream, highlight=False, soft_wrap=True)

    @classmethod
    def for_stdout(cls) -> Output:
        stream = sys.stdout
        styled = stream.isatty() and not os.environ.get("NO_COLOR")
        return cls(stream, styled)

    def _print(self, text: str, style: str | None = None) -> None:
        if self.closed:
            return
        try:
            if self._console is None:
                print(text, file=self.stream, flush=True)
            else:
                from rich.text import Text

                self._console.print(Text(text, style=style or ""))
        except BrokenPipeError:
            # the reader went away (``| head``): say no more, keep the exit code
            self.closed = True
            with contextlib.suppress(OSError, ValueError):
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, self.stream.fileno())
                os.close(null)

    def plain(self, text: str) -> None:
        """Ordinary text."""
        self._print(text)

    def failure(self, text: str) -> None:
        """A line that says something failed."""
        self._print(text, "bold red")

    def success(self, text: str) -> None:
        """Nothing wrong was found."""
        self._print(text, "bold green")

    def note(self, text: str) -> None:
        """A secondary signal or remark (for example the real-thread runs)."""
        self._print(text, "yellow")

    def report(self, text: str) -> None:
        """A failure report from the engine: its first line is the verdict."""
        if self._console is None:
            self._print(text)
            return
        lines = text.splitlines()
        after_replay = False
        for i, line in enumerate(lines):
            style = None
            if i == 0:
                style = "bold red"
            elif after_replay:
                style = "bold cyan"
            elif line in ("Replay:",) or line.startswith(("Interleaving", "Traceback")):
                style = "bold"
            after_replay = line == "Replay:"
            self._print(line, style)
