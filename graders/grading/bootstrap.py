"""The grading child's entry point: ``python -S -P -s -B .../bootstrap.py CONFIG``.

Started by :mod:`graders.grading.sandbox` as a script (not ``-c``), so the bottom frame of
every stack in the child belongs to the kit's own file. It registers the process's first
after-fork handler, so that the guard's (which sends the output of processes a submission
forks to /dev/null) runs before ``threading``'s, which may print; that is why ``site`` is
skipped at startup (``-S``: a ``.pth`` file may import ``threading``) and run here, after
the handler (with ``-s`` it still leaves the user's site-packages out). Then the kit's
folder goes first on ``sys.path``, explicitly (``-P`` keeps the current and the script's
folder off it), and :func:`graders.grading.supervisor.main` takes over.
"""

import os
import sys

AFTER_FORK = []          # filled by graders.grading.guard.install


def _after_fork_in_child() -> None:
    for handler in AFTER_FORK:
        handler()


os.register_at_fork(after_in_child=_after_fork_in_child)

import site  # noqa: E402 - after the handler

site.main()
KIT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, KIT)

from graders.grading import supervisor  # noqa: E402 - the path must be set first

supervisor.main(AFTER_FORK)
