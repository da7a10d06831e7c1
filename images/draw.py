"""Draw the course's diagrams from code, so they can be redrawn and checked, never go stale.

    python images/draw.py            # write every images/*.svg
    python images/draw.py --check    # exit 1 when a committed image differs from a fresh one

Each diagram is one function below, drawn with matplotlib into SVG with fixed metadata and a
fixed hash salt, so the same matplotlib draws the same bytes. The scheduling charts come from
the scheduling topic's reference simulator, the thread lifecycle from the states the engine
itself uses.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

HERE = Path(__file__).resolve().parent
KIT = HERE.parent
plt.rcParams.update({"svg.hashsalt": "concurrency-kit", "font.family": "DejaVu Sans",
                     "font.size": 10, "svg.fonttype": "path"})
COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"]


def _canvas(width: float, height: float) -> tuple[plt.Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return fig, ax


def _box(ax: plt.Axes, x: float, y: float, text: str, color: str = "#E8EEF7",
         w: float = 1.6, h: float = 0.6) -> tuple[float, float]:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                facecolor=color, edgecolor="#333333"))
    ax.text(x, y, text, ha="center", va="center")
    return x, y


def _arrow(ax: plt.Axes, a: tuple[float, float], b: tuple[float, float], label: str = "",
           bend: float = 0.0, shrink: float = 28, side: float = 1.0) -> None:
    """An arrow from ``a`` to ``b`` (curved by ``bend``), its label beside the middle of the
    curve, on the outer side (``side=-1``: the other side)."""
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=14,
                                 connectionstyle=f"arc3,rad={bend}", shrinkA=shrink,
                                 shrinkB=shrink, color="#333333"))
    if not label:
        return
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    # The middle of matplotlib's arc3 curve, then a little further out along its normal.
    nx, ny = dy / length, -dx / length
    if bend == 0:
        nx, ny = (0.0, 1.0) if abs(dx) >= abs(dy) else (1.0, 0.0)
    out = bend * length / 2 + side * 0.22 * (1 if bend >= 0 else -1)
    x, y = (a[0] + b[0]) / 2 + nx * out, (a[1] + b[1]) / 2 + ny * out
    ax.text(x, y, label, ha="center", va="center", fontsize=8.5, color="#333333",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})


def thread_lifecycle() -> plt.Figure:
    """The states of a thread and what moves it between them."""
    fig, ax = _canvas(9.6, 4)
    new = _box(ax, 1.0, 2.6, "new")
    ready = _box(ax, 3.4, 2.6, "runnable")
    running = _box(ax, 5.8, 2.6, "running", "#DDEFD9")
    blocked = _box(ax, 4.6, 0.8, "blocked\n(lock, join, sleep)", "#F6E0D8", w=2.2, h=0.8)
    done = _box(ax, 8.6, 2.6, "terminated", "#E5E5E5")
    _arrow(ax, new, ready, "start()")
    _arrow(ax, ready, running, "scheduled", bend=-0.4)
    _arrow(ax, running, ready, "switched out", bend=-0.4)
    _arrow(ax, running, blocked, "waits", side=-1)
    _arrow(ax, blocked, ready, "woken", side=-1)
    _arrow(ax, running, done, "run() returns")
    ax.text(4.8, 3.75, "A thread's life: start() once, then the scheduler decides", ha="center",
            fontsize=11, weight="bold")
    return fig


def flynn() -> plt.Figure:
    """Flynn's taxonomy: single or multiple instruction streams x data streams."""
    fig, ax = _canvas(7.4, 5)
    cells = {(0, 0): ("SISD", "one core running\none program"),
             (1, 0): ("SIMD", "vector units, GPUs:\none instruction, many data"),
             (0, 1): ("MISD", "rare: redundant\nflight computers"),
             (1, 1): ("MIMD", "multicore CPUs, clusters:\nthreads and processes")}
    for (col, row), (name, text) in cells.items():
        x, y = 2.6 + col * 2.6, 3.1 - row * 1.8
        ax.add_patch(FancyBboxPatch((x - 1.2, y - 0.8), 2.4, 1.6, boxstyle="round,pad=0.03",
                                    facecolor=COLORS[col + 2 * row] + "33",
                                    edgecolor="#333333"))
        ax.text(x, y + 0.35, name, ha="center", va="center", fontsize=14, weight="bold")
        ax.text(x, y - 0.3, text, ha="center", va="center", fontsize=8.5)
    ax.text(3.9, 4.65, "Flynn's taxonomy", ha="center", fontsize=12, weight="bold")
    ax.text(3.9, 4.25, "data streams", ha="center", fontsize=9, style="italic")
    for col, word in enumerate(("single", "multiple")):
        ax.text(2.6 + col * 2.6, 3.98, word, ha="center", fontsize=9.5)
    ax.text(0.25, 2.2, "instruction streams", ha="center", va="center", rotation=90,
            fontsize=9, style="italic")
    for row, word in enumerate(("single", "multiple")):
        ax.text(0.85, 3.1 - row * 1.8, word, ha="center", va="center", rotation=90,
                fontsize=9.5)
    return fig


def _simulator() -> object:
    spec = importlib.util.spec_from_file_location(
        "reference_simulator", KIT / "solutions" / "scheduling" / "simulator.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def scheduling() -> plt.Figure:
    """One job set under the scheduling topic's algorithms, from its reference simulator."""
    sim = _simulator()
    job = sim.Job  # type: ignore[attr-defined]
    jobs = [job("A", 0, 5, 2), job("B", 1, 3, 1), job("C", 2, 1, 3), job("D", 3, 2, 0)]
    runs: list[tuple[str, Callable[[], list[object]]]] = [
        ("FCFS", lambda: sim.fcfs(jobs)),  # type: ignore[attr-defined]
        ("SJN", lambda: sim.sjn(jobs)),  # type: ignore[attr-defined]
        ("priority", lambda: sim.priority(jobs)),  # type: ignore[attr-defined]
        ("SRT", lambda: sim.srt(jobs)),  # type: ignore[attr-defined]
        ("round-robin q=2", lambda: sim.round_robin(jobs, 2)),  # type: ignore[attr-defined]
    ]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    names = [j.name for j in jobs]
    for row, (_label, go) in enumerate(runs):
        for piece in go():
            if piece.job is None:
                continue
            color = COLORS[names.index(piece.job)]
            ax.broken_barh([(piece.start, piece.end - piece.start)], (row - 0.35, 0.7),
                           facecolors=color, edgecolor="white")
            ax.text((piece.start + piece.end) / 2, row, piece.job, ha="center", va="center",
                    color="white", weight="bold")
    ax.set_yticks(range(len(runs)), [label for label, _ in runs])
    ax.invert_yaxis()
    total = sum(j.burst for j in jobs)
    ax.set_xticks(range(total + 1))
    ax.set_xlabel("tick")
    ax.set_title("One job set, five algorithms (the scheduling topic's reference simulator)",
                 fontsize=10, weight="bold")
    described = [f"{j.name}: arrives {j.arrival}, needs {j.burst}, priority {j.priority}"
                 for j in jobs]
    ax.text(0.5, -0.38, "    ".join(described[:2]) + "\n" + "    ".join(described[2:]),
            transform=ax.transAxes, ha="center", va="top", fontsize=8.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def dining_cycle() -> plt.Figure:
    """The deadlock of three philosophers as a wait-for cycle: each holds one fork and waits
    for the next."""
    import math

    fig, ax = _canvas(6.4, 5.2)
    center, radius = (3.2, 2.3), 1.7
    spots = []
    for i in range(3):
        angle = math.pi / 2 + i * 2 * math.pi / 3
        spots.append((center[0] + radius * math.cos(angle), center[1] + radius * math.sin(angle)))
    for i, spot in enumerate(spots):
        _box(ax, *spot, f"philosopher-{i}\nholds fork-{i}", "#F6E0D8", w=2.0, h=0.75)
    for i in range(3):
        _arrow(ax, spots[i], spots[(i + 1) % 3], f"waits for fork-{(i + 1) % 3}", bend=0.3,
               shrink=42)
    ax.text(3.2, 4.95, "Deadlock: a cycle in the wait-for graph", ha="center", fontsize=11,
            weight="bold")
    return fig


def concurrency_parallelism() -> plt.Figure:
    """Concurrency (tasks interleaved on one CPU), parallel execution (on several CPUs at
    once) and parallelism (one task split into parts that run at the same time)."""
    fig, axes = plt.subplots(3, 1, figsize=(8, 4.6), sharex=True)
    rows = [
        ("Concurrency: two tasks take turns on one CPU",
         [("CPU 1", [(0, 2, 0), (2, 2, 1), (4, 1, 0), (5, 3, 1), (8, 2, 0)])]),
        ("Parallel execution: two tasks at once on two CPUs",
         [("CPU 1", [(0, 5, 0)]), ("CPU 2", [(0, 5, 1)])]),
        ("Parallelism: one task split in four parts on four CPUs",
         [(f"CPU {i + 1}", [(0, 2.5, 2)]) for i in range(4)]),
    ]
    for ax, (title, lanes) in zip(axes, rows, strict=True):
        for lane, (_name, pieces) in enumerate(lanes):
            for start, length, task in pieces:
                ax.broken_barh([(start, length)], (lane - 0.35, 0.7), facecolors=COLORS[task],
                               edgecolor="white")
                name = "part" if task == 2 else f"task {'AB'[task]}"
                ax.text(start + length / 2, lane, name, ha="center", va="center",
                        color="white", fontsize=8, weight="bold")
        ax.set_yticks(range(len(lanes)), [cpu for cpu, _ in lanes], fontsize=8)
        ax.set_ylim(len(lanes) - 0.5, -0.5)
        ax.set_title(title, fontsize=9.5, loc="left")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[-1].set_xlabel("time")
    axes[-1].set_xticks([])
    fig.tight_layout()
    return fig


def _cpu(ax: plt.Axes, x: float, y: float, text: str = "CPU") -> tuple[float, float]:
    return _box(ax, x, y, text, "#DDEFD9", w=1.0, h=0.5)


def uma_numa() -> plt.Figure:
    """UMA: every CPU reaches one memory at the same cost. NUMA: each CPU has a near memory
    and reaches the others' through an interconnect, more slowly."""
    fig, ax = _canvas(10, 4.4)
    ax.text(2.4, 4.05, "UMA (uniform memory access)", ha="center", weight="bold")
    memory = _box(ax, 2.4, 3.2, "shared memory", "#E8EEF7", w=3.6, h=0.55)
    _box(ax, 2.4, 2.1, "bus", "#E5E5E5", w=3.6, h=0.35)
    for i in range(4):
        cpu = _cpu(ax, 0.9 + i, 0.9)
        _arrow(ax, cpu, (0.9 + i, 2.1), shrink=14)
    _arrow(ax, (2.4, 2.1), memory, shrink=14)
    ax.text(2.4, 0.2, "every CPU: same path, same cost", ha="center", fontsize=8.5)
    ax.text(7.4, 4.05, "NUMA (non-uniform memory access)", ha="center", weight="bold")
    for i, x in enumerate((6.0, 8.8)):
        mem = _box(ax, x, 3.2, f"memory {i}", "#E8EEF7", w=1.7, h=0.55)
        for j, dx in enumerate((-0.55, 0.55)):
            cpu = _cpu(ax, x + dx, 1.5, f"CPU {2 * i + j}")
            _arrow(ax, cpu, mem, shrink=16)
    _arrow(ax, (6.85, 3.2), (7.95, 3.2), "interconnect", shrink=2)
    _arrow(ax, (7.95, 3.0), (6.85, 3.0), shrink=2)
    ax.text(7.4, 0.6, "near memory is fast; the other node's is slower", ha="center",
            fontsize=8.5)
    return fig


def distributed_memory() -> plt.Figure:
    """Distributed memory: nodes with their own memory, sharing nothing, exchanging messages
    over a network."""
    fig, ax = _canvas(9, 3.8)
    ax.text(4.5, 3.5, "Distributed memory: each node owns its memory; data moves only as "
            "messages", ha="center", weight="bold", fontsize=10)
    nodes = []
    for i in range(3):
        x = 1.6 + i * 2.9
        ax.add_patch(FancyBboxPatch((x - 1.1, 1.4), 2.2, 1.75, boxstyle="round,pad=0.03",
                                    facecolor="#F7F7F7", edgecolor="#333333"))
        ax.text(x, 2.95, f"node {i}", ha="center", va="center", fontsize=9, style="italic")
        _box(ax, x, 2.5, "memory", "#E8EEF7", w=1.6, h=0.35)
        _cpu(ax, x, 1.78)
        nodes.append(x)
    _box(ax, 4.5, 0.55, "network", "#E5E5E5", w=8.2, h=0.35)
    for x in nodes:
        _arrow(ax, (x, 1.4), (x, 0.75), shrink=2)
        _arrow(ax, (x + 0.25, 0.75), (x + 0.25, 1.4), shrink=2)
    return fig


def spmd_mpmd() -> plt.Figure:
    """SPMD (the same program on every rank, each on its own part of the data) and MPMD /
    manager and workers (a manager program hands work to worker programs)."""
    fig, ax = _canvas(10, 4.2)
    ax.text(2.5, 3.9, "SPMD: one program, many data", ha="center", weight="bold")
    for i in range(3):
        x = 0.9 + i * 1.6
        _box(ax, x, 2.9, f"program\nrank {i}", "#DDEFD9", w=1.3, h=0.7)
        _box(ax, x, 1.6, f"data part {i}", "#E8EEF7", w=1.3, h=0.5)
        _arrow(ax, (x, 2.55), (x, 1.85), shrink=2)
    ax.text(2.5, 0.7, "scatter the data, compute locally, reduce", ha="center", fontsize=8.5)
    ax.text(7.5, 3.9, "MPMD: manager and workers", ha="center", weight="bold")
    manager = _box(ax, 7.5, 2.9, "manager", "#F6E0D8", w=1.6, h=0.6)
    for i in range(3):
        worker = _box(ax, 6.0 + i * 1.5, 1.3, f"worker {i}", "#DDEFD9", w=1.2, h=0.55)
        _arrow(ax, manager, worker, "task" if i == 0 else "", bend=0.15, shrink=18)
        _arrow(ax, worker, manager, "result" if i == 2 else "", bend=0.15, shrink=18)
    ax.text(7.5, 0.45, "different programs; the manager stops the workers at the end",
            ha="center", fontsize=8.5)
    return fig


DIAGRAMS: dict[str, Callable[[], plt.Figure]] = {
    "thread_lifecycle": thread_lifecycle,
    "flynn": flynn,
    "scheduling": scheduling,
    "dining_cycle": dining_cycle,
    "concurrency_parallelism": concurrency_parallelism,
    "uma_numa": uma_numa,
    "distributed_memory": distributed_memory,
    "spmd_mpmd": spmd_mpmd,
}


#: Pictures drawn by the kit itself from a real failure, not by matplotlib: the schedule the
#: engine finds can differ between Python versions, so --check compares them only on the
#: version named in the file (elsewhere it only draws them).
FAILURES = {"failing_interleaving": ("data_race", "no_lost_updates")}
MADE_ON = "<!-- drawn on Python {} -->\n"


def _python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def failure(name: str) -> bytes:
    """A failing check of an untouched starter, drawn as the pytest report's picture is."""
    sys.path.insert(0, str(KIT))
    from graders.catalog import topic
    from graders.checking import run_check
    from graders.engine import Settings
    from graders.engine.drawing import timeline_svg

    topic_name, check = FAILURES[name]
    outcome = run_check(topic_name, check, topic(topic_name).exercise_dir(), Settings())
    assert outcome.exploration is not None and outcome.exploration.failure is not None, name
    svg = timeline_svg(outcome.exploration.failure.timeline)
    return (MADE_ON.format(_python()) + svg + "\n").encode()


def render(name: str) -> bytes:
    """The SVG bytes of one diagram."""
    if name in FAILURES:
        return failure(name)
    fig = DIAGRAMS[name]()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None},
                bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when an image is out of date")
    args = parser.parse_args(argv)
    stale = []
    for name in [*DIAGRAMS, *FAILURES]:
        path = HERE / f"{name}.svg"
        data = render(name)
        if path.is_file() and path.read_bytes() == data:
            continue
        made_on = path.read_bytes().split(b"\n", 1)[0] if path.is_file() else b""
        if args.check and name in FAILURES and made_on != MADE_ON.format(_python()).strip(
                ).encode():
            continue   # drawn on another Python: the schedule found may differ
        stale.append(path)
        if not args.check:
            path.write_bytes(data)
    for path in stale:
        print(f"{path.relative_to(KIT)} {'is out of date' if args.check else 'written'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
