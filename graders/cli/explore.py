"""``python -m graders explore FILE.py:FUNCTION``: run a function over many seeded schedules.

Exit 0 when no schedule failed (one summary line), 1 with the engine's report when one did
(its replay command is the exact command line that reproduces the failure), 2 for a usage or
load error. A ``--replay`` whose schedule does not fail exits 1 too, saying so and why it may
not have (another Python version made it, the code changed): it was asked to show a failure
and could not, which must not read as a pass. A token made on another Python version gets a
one-line note before it runs. ``--real-threads N`` also runs the function N times on real
threads in a child process and prints what they showed as ``real threads: ...``; the exit
code follows the engine's verdict only.
"""

from __future__ import annotations

import argparse
import shlex

from graders.engine import Settings, decode, explore_target, with_settings
from graders.engine.strategies import NAMES as STRATEGIES
from graders.settings import argument

from . import EXIT_FAILURE, EXIT_OK, PROG
from .output import Output

HELP = "run PATH/TO/FILE.py:FUNCTION over many seeded thread schedules"
_DEFAULTS = Settings()


def _token(text: str) -> str:
    try:
        decode(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="FILE.py:FUNCTION",
                        help="the function to run as the main thread, e.g. "
                             "benchmarks/programs/racy_counter.py:main")
    parser.add_argument("--schedules", type=argument("schedules"), metavar="N",
                        help=f"how many schedules to try (default {_DEFAULTS.schedules})")
    parser.add_argument("--seed", type=argument("seed"), metavar="S",
                        help=f"seed of the strategies (default {_DEFAULTS.seed})")
    parser.add_argument("--strategy", type=argument("strategy"), metavar="NAME",
                        help=f"one of {', '.join(STRATEGIES)} "
                             f"(default {_DEFAULTS.strategy})")
    parser.add_argument("--replay", type=_token, metavar="TOKEN",
                        help="run exactly one recorded schedule, as printed after 'Replay:'")
    parser.add_argument("--max-steps", type=argument("max_steps"), metavar="N",
                        help="steps one run may take before it counts as a livelock "
                             f"(default {_DEFAULTS.max_steps})")
    parser.add_argument("--real-threads", type=argument("real_threads"), default=0,
                        metavar="N",
                        help="also run the function N times on real threads (a second "
                             "signal; the exit code follows the engine)")
    parser.add_argument("--real-threads-timeout", type=argument("real_threads_timeout"),
                        default=10.0, metavar="SECONDS",
                        help="a real-thread run taking longer is reported as a hang "
                             "(default 10)")


def replay_command(args: argparse.Namespace) -> str:
    """The command line that reproduces a failure; '{token}' stands for the schedule."""
    words = [PROG, "explore", shlex.quote(args.target)]
    if args.max_steps is not None:
        words += ["--max-steps", str(args.max_steps)]
    command = " ".join(words).replace("{", "{{").replace("}", "}}")
    return command + " --replay {token}"


def run(args: argparse.Namespace, out: Output) -> int:
    settings = with_settings(Settings(), schedules=args.schedules, seed=args.seed,
                             strategy=args.strategy, replay=args.replay,
                             max_steps=args.max_steps)
    note = decode(args.replay).version_note() if args.replay is not None else None
    if note is not None:
        out.note(note)
    result = explore_target(args.target, settings)
    failure = result.failure
    if result.not_reproduced:
        out.failure(result.report())
    elif failure is None:
        out.success(result.report())
    else:
        out.report(result.report(replay_command=replay_command(args)))
        out.note(f"bug class: {failure.bug_class}")
    if args.real_threads:
        from graders.engine.realthreads import run_real_threads

        real = run_real_threads(args.target, args.real_threads, args.real_threads_timeout)
        out.note(real.summary())
    return EXIT_OK if result.ok and not result.not_reproduced else EXIT_FAILURE
