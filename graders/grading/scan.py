"""The integrity scan: read a submitted file's syntax tree, before any of it runs, for code
that reaches beyond the exercise.

The sandbox stops such code at run time; the scan says *where* it is, in words a student
understands, so an instructor can look before the points count (class grading puts a
flagged submission in review) and an honest student sees the same warning in
``pytest exercises/<topic>`` long before handing in.

What is flagged: the grading kit, ``gc``, ``inspect``, ``ctypes``, ``importlib``, ``pkgutil``,
``builtins``, ``signal``, ``subprocess`` and other ways around the sandbox; frame, tracing
and import machinery (``sys._getframe``, ``sys.settrace``, ``sys.modules``, ``f_globals``,
``__code__``, ``tb_frame``, ...); ``__class__`` and ``__module__`` tricks; ``exec``,
``eval``, ``compile`` and ``__import__``; everything in ``os`` beyond paths and CPU counts;
``sys.argv``; opening absolute paths or raw file descriptors; changing or handing around
Python's own modules. A topic lists what it legitimately needs in ``allow`` (topics.toml):
``"multiprocessing"`` allows that module and everything in it, ``"os.getpid"`` that one name.

Names are followed through aliases (``import os as o``, ``from os import system as s``,
``o = os``, a parameter's default), ``getattr`` with a literal name, ``__import__``,
``importlib.import_module``, ``vars(...)``, ``__dict__[...]`` and ``sys.modules[...]``, with
Python's scoping rules, so a student's own ``compile`` function or ``eval`` variable is not
the built-in. The scan is a net, not a wall: code built at run time can hide from it, which
is why the sandbox's run-time refusals stay.

A file that does not parse yields no findings (the checks report it as a load error).
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Finding", "scan", "scan_folder"]


@dataclass(frozen=True, order=True)
class Finding:
    """One place in a submitted file that reaches beyond the exercise."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.reason}"


# ------------------------------------------------------------------ what is flagged
_FRAMES = "which reaches into running code, the grader's included"
_TRACE = "which can watch and change how the grader runs code"
_PROCESSES = "which starts other processes; this exercise does not need them"
_PROGRAMS = "which starts other programs"
_RAW_FD = ("which works on raw file descriptors; writing to one the grader left open could "
           "forge a check's result")
_ENVIRONMENT = "which reads or changes the grader's environment"

#: A dotted name and everything under it (``"ctypes"`` covers ``ctypes.CDLL``) -> why.
RULES: dict[str, str] = {
    "graders": "the grading kit itself, which an exercise never needs",
    "gc": "which can find and change the grader's own objects",
    "inspect": "which can read the grader's frames and code",
    "ctypes": "which can change the grader's memory",
    "importlib": "which loads modules by a name chosen at run time",
    "pkgutil": "which loads modules and finds objects by a name chosen at run time",
    "runpy": "which runs other code",
    "builtins": "which can replace Python's own functions",
    "signal": "which can interrupt or stop the grader",
    "subprocess": _PROGRAMS,
    "_posixsubprocess": _PROGRAMS,
    "pty": _PROGRAMS,
    "posix": "which reaches the operating system directly",
    "_thread": "whose threads the grader cannot follow",
    "multiprocessing": _PROCESSES,
    "concurrent.futures.ProcessPoolExecutor": _PROCESSES,
    "concurrent.futures.process": _PROCESSES,
    "exec": "which runs code made from a string, so it cannot be checked before it runs",
    "eval": "which runs code made from a string, so it cannot be checked before it runs",
    "compile": "which makes code from a string, so it cannot be checked before it runs",
    "__import__": "which imports modules by a name chosen at run time",
    "sys._getframe": _FRAMES,
    "sys._current_frames": _FRAMES,
    "sys.settrace": _TRACE,
    "sys.setprofile": _TRACE,
    "sys.monitoring": _TRACE,
    "threading.settrace": _TRACE,
    "threading.setprofile": _TRACE,
    "threading.settrace_all_threads": _TRACE,
    "threading.setprofile_all_threads": _TRACE,
    "sys.modules": "which can swap the modules the grader uses",
    "sys.path": "which changes where Python finds modules",
    "sys.meta_path": "which changes where Python finds modules",
    "sys.path_hooks": "which changes where Python finds modules",
    "sys.path_importer_cache": "which changes where Python finds modules",
    "sys.addaudithook": "which interferes with the grader's safety checks",
    "sys.argv": "which reads the grader's command line",
    "sys.orig_argv": "which reads the grader's command line",
    "os._exit": "which ends the process at once, before the grader can finish the check",
    "os.abort": "which ends the process at once, before the grader can finish the check",
    "os.kill": "which sends signals to other processes",
    "os.killpg": "which sends signals to other processes",
    "os.fork": "which copies the whole process behind the grader's back",
    "os.forkpty": "which copies the whole process behind the grader's back",
    "os.register_at_fork": "which runs code whenever a process is copied",
    "os.system": _PROGRAMS,
    "os.popen": _PROGRAMS,
    "os.posix_spawn": _PROGRAMS,
    "os.posix_spawnp": _PROGRAMS,
    "os.symlink": "which makes links that can point outside the exercise",
    "os.link": "which makes links that can point outside the exercise",
    "os.chdir": "which moves the program to another folder under the grader's feet",
    "os.fchdir": "which moves the program to another folder under the grader's feet",
    "os.chroot": "which moves the program to another folder under the grader's feet",
    "os.environ": _ENVIRONMENT,
    "os.environb": _ENVIRONMENT,
    "os.getenv": _ENVIRONMENT,
    "os.putenv": _ENVIRONMENT,
    "os.unsetenv": _ENVIRONMENT,
    **{f"os.{name}": _RAW_FD for name in (
        "write", "writev", "pwrite", "pwritev", "fdopen", "open", "dup", "dup2", "sendfile",
        "openpty", "close", "closerange", "truncate", "ftruncate")},
}
#: os.exec* and os.spawn* are a family each.
_OS_PREFIXES = {"exec": _PROGRAMS, "spawn": _PROGRAMS}
#: What ``os`` offers that an exercise may use anywhere; the rest of ``os`` is flagged.
OS_ALLOWED = frozenset({
    "path", "sep", "altsep", "extsep", "pathsep", "linesep", "curdir", "pardir", "devnull",
    "name", "cpu_count", "process_cpu_count", "sched_getaffinity", "fspath", "PathLike",
    "urandom", "strerror"})
_OS_OTHER = "which reaches outside the exercise"
#: Modules whose private names (``threading._active``) the grader relies on.
_PRIVATE_OWNERS = frozenset({"sys", "threading", "time", "queue", "random"})
_PRIVATE = "a private part of Python that the exercise never needs"
#: Modules whose every name a star import would hide from the scan.
_NO_STAR = frozenset({"os", "sys"})
#: Modules that may not be handed to other code, where the scan could not follow them.
_HANDED = frozenset({"os", "sys", "threading", "time", "queue", "random", "builtins"})

#: Attribute names flagged on any object.
ATTRIBUTES: dict[str, str] = {
    **{name: _FRAMES for name in (
        "f_back", "f_builtins", "f_code", "f_globals", "f_locals", "f_trace",
        "f_trace_lines", "f_trace_opcodes", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
        "gr_frame", "_getframe", "_current_frames")},
    **{name: "which can read or replace the code of any function, the grader's included"
       for name in ("__code__", "__globals__", "__closure__")},
    **{name: "which can tell a function the grader watches from the student's own, or "
             "reach past the grader's watch"
       for name in ("__defaults__", "__kwdefaults__", "__wrapped__", "co_filename",
                    "co_name", "co_code")},
    **{name: "which walks Python's classes to objects the exercise never needs"
       for name in ("__subclasses__", "__bases__", "__base__", "__mro__")},
    "__class__": "which can disguise an object or swap its type",
    "__module__": "which can make an object pass for a part of Python",
    "__builtins__": RULES["builtins"],
    "__loader__": "which controls how modules are loaded",
    "__spec__": "which controls how modules are loaded",
    **{name: _TRACE for name in ("settrace", "setprofile", "settrace_all_threads",
                                 "setprofile_all_threads", "addaudithook")},
    **{name: "which can find and change the grader's own objects"
       for name in ("get_objects", "get_referrers", "get_referents")},
}
#: Why a private attribute the file never defines is held for review.
_NOT_ITS_OWN = ("a private part of an object this file did not make (a library's, or the "
                "grader's own bookkeeping)")
#: Why reading the namespace of an object other than ``self`` is held for review.
_OTHERS_NAMESPACE = ("reads every attribute of an object this file may not have made "
                     "(vars(), __dict__): the grader's objects keep their books there")
#: Harmless reads: ``type(self).__name__`` spelled ``self.__class__.__name__``.
_NAME_READS = frozenset({"__name__", "__qualname__"})

_OPENERS = frozenset({"open", "io.open", "io.open_code", "io.FileIO", "codecs.open",
                      "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
_IMPORTERS = frozenset({"__import__", "importlib.import_module", "importlib.__import__"})
_LOOKUPS = frozenset({"getattr", "hasattr"})
#: Callables that look attributes up by the names they are given.
_NAMED_GETTERS = frozenset({"operator.attrgetter", "operator.methodcaller"})
#: A string that could be an attribute's name, or a dotted path of them.
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_CHANGES = frozenset({"setattr", "delattr"})
_BUILTINS = frozenset(dir(builtins))

def scan(source: str | bytes, filename: str, allowed: Iterable[str] = ()) -> list[Finding]:
    """Every place in ``source`` that reaches beyond the exercise, by line.

    ``source`` may be the file's bytes: they are decoded as Python decodes them (a coding
    line included), so the scan reads what the interpreter will run. ``allowed`` lists the
    dotted names the topic legitimately uses (``Topic.allow``)."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return []
    except (RecursionError, MemoryError):
        return [Finding(filename, 1, "is nested too deeply for the scan to read")]
    try:
        found = _Scan(tree, filename, tuple(allowed)).findings()
    except RecursionError:
        return [Finding(filename, 1, "is nested too deeply for the scan to read")]
    return sorted(found)


def scan_folder(folder: Path, files: Iterable[str], allowed: Iterable[str] = (),
                shown: str | None = None) -> list[Finding]:
    """:func:`scan` of each of ``files`` in ``folder`` that exists, each named
    ``<shown>/<file>`` (or by its bare name when ``shown`` is None)."""
    found: list[Finding] = []
    allowed = tuple(allowed)
    for name in files:
        path = folder / name
        if path.is_file():
            label = f"{shown}/{name}" if shown else name
            found += scan(path.read_bytes(), label, allowed)
    return found


# ------------------------------------------------------------------ scopes and names
@dataclass(eq=False)
class _Scope:
    kind: str                        # "module", "function", "class" or "comprehension"
    parent: _Scope | None
    #: name -> what it is bound to: a dotted name (an import), an expression (resolved in
    #: the scope it is evaluated in), or None (something the scan does not follow)
    bindings: dict[str, list[str | ast.expr | None]]
    stars: list[str]                 # modules imported with *
    globals: set[str]


def _new_scope(kind: str, parent: _Scope | None) -> _Scope:
    return _Scope(kind, parent, {}, [], set())


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _texts(tree: ast.Module) -> dict[str, str]:
    """Names the file binds to one string and nothing else (``_C = "__code__"``), so that
    ``getattr(f, _C)`` reads as the literal it is."""
    stores: dict[str, int] = {}
    texts: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name) and (text := _literal(node.value)) is not None:
            texts.setdefault(node.targets[0].id, []).append(text)
    return {name: found[0] for name, found in texts.items()
            if len(set(found)) == 1 and len(found) == stores.get(name, 0)}


#: Methods that build a new string from others (``"".join(["__co", "de__"])``).
_STRING_BUILDERS = frozenset({"join", "format", "replace", "strip", "lstrip", "rstrip",
                              "lower", "upper", "title", "capitalize", "swapcase",
                              "removeprefix", "removesuffix", "decode", "translate"})


def _builds_a_string(node: ast.AST) -> bool:
    """``node`` makes a string at run time: an f-string, a sum or %-format, a method that
    builds one, ``str()``, ``chr()``."""
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        return ((isinstance(func, ast.Attribute) and func.attr in _STRING_BUILDERS)
                or (isinstance(func, ast.Name) and func.id in ("str", "chr")))
    return False


def _built_names(tree: ast.Module) -> frozenset[str]:
    """Names the file binds to a string it builds at run time (``_n = "".join(...)``): a
    ``getattr(x, _n)`` then looks up an attribute the scan cannot read."""
    return frozenset(
        node.targets[0].id for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name) and _builds_a_string(node.value))


@functools.cache
def _kit_private_names() -> frozenset[str]:
    """The private attribute names the engine's stand-ins keep their books in
    (``self._state``, ``self._owner``...): read on an object the file did not make, they
    lead to the grader's own objects, whatever the file defines under the same name. Read
    from the engine's sources once, when a file first defines such a name (a tenth of a
    second: not at import, which every student's check pays)."""
    names: set[str] = set()
    for source in (Path(__file__).resolve().parents[1] / "engine").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                    and _private(node.attr) and isinstance(node.value, ast.Name)
                    and node.value.id in ("self", "cls")):
                names.add(node.attr)
    return frozenset(names)


def _own_names(tree: ast.Module) -> frozenset[str]:
    """Every name the file defines itself: attributes it sets, names it binds, functions
    and classes it makes. A private name not among them (``req._open``) is someone else's:
    a library's, or the grader's stand-ins', which keep their books there."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            own.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.arg):
            own.add(node.arg)
    return frozenset(own)


class _Binder(ast.NodeVisitor):
    """First pass: every scope's bindings, the scope each node is evaluated in, parents."""

    def __init__(self, module: ast.Module) -> None:
        self.module = _new_scope("module", None)
        self.scope = self.module
        self.where: dict[ast.AST, _Scope] = {}
        self.parent: dict[ast.AST, ast.AST] = {}
        self.visit(module)

    def bind(self, name: str, value: str | ast.expr | None, scope: _Scope | None = None
             ) -> None:
        scope = scope or self.scope
        if name in scope.globals:
            scope = self.module
        scope.bindings.setdefault(name, []).append(value)

    def bind_target(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
        elif isinstance(target, ast.Starred):
            self.bind_target(target.value, None)
        elif isinstance(target, ast.Tuple | ast.List):
            # a, b = os, sys pairs up; anything else binds names the scan does not follow
            values = value.elts if isinstance(value, ast.Tuple | ast.List) else []
            pairs = len(values) == len(target.elts) and not any(
                isinstance(v, ast.Starred) for v in values)
            for i, element in enumerate(target.elts):
                self.bind_target(element, values[i] if pairs else None)

    def generic_visit(self, node: ast.AST) -> None:
        self.where[node] = self.scope
        for child in ast.iter_child_nodes(node):
            self.parent[child] = node
            self.visit(child)

    def _inside(self, kind: str, node: ast.AST, body: Iterable[ast.AST],
                params: ast.arguments | None = None) -> None:
        outer, self.scope = self.scope, _new_scope(kind, self.scope)
        if params is not None:
            positional = [*params.posonlyargs, *params.args]
            defaults: list[ast.expr | None] = [None] * (len(positional) - len(params.defaults))
            defaults += params.defaults
            pairs = [*zip(positional, defaults, strict=True),
                     *zip(params.kwonlyargs, params.kw_defaults, strict=True)]
            for arg, default in pairs:
                self.bind(arg.arg, default)
            for arg in (params.vararg, params.kwarg):
                if arg is not None:
                    self.bind(arg.arg, None)
        for child in body:
            self.parent[child] = node
            self.visit(child)
        self.scope = outer

    # -------------------------------------------------------------- scopes
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.where[node] = self.scope
        params = node.args
        self.parent[params] = node
        for part in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
            self.parent[part] = node
            self.visit(part)
        if isinstance(node, ast.Lambda):
            self._inside("function", node, [node.body], params)
            return
        self.bind(node.name, None)
        for part in [*node.decorator_list, *([node.returns] if node.returns else [])]:
            self.parent[part] = node
            self.visit(part)
        for arg in [*params.posonlyargs, *params.args, *params.kwonlyargs,
                    *(a for a in (params.vararg, params.kwarg) if a)]:
            if arg.annotation is not None:
                self.parent[arg.annotation] = node
                self.visit(arg.annotation)
        self._inside("function", node, node.body, params)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.where[node] = self.scope
        self.bind(node.name, None)
        for part in [*node.decorator_list, *node.bases, *node.keywords]:
            self.parent[part] = node
            self.visit(part)
        self._inside("class", node, node.body)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp
                       | ast.GeneratorExp) -> None:
        self.where[node] = self.scope
        first = node.generators[0]
        self.parent[first.iter] = node
        self.visit(first.iter)       # evaluated in the enclosing scope
        outer, self.scope = self.scope, _new_scope("comprehension", self.scope)
        for i, gen in enumerate(node.generators):
            self.parent[gen] = node
            self.where[gen] = self.scope
            self.bind_target(gen.target, None)
            for part in [gen.target, *([] if i == 0 else [gen.iter]), *gen.ifs]:
                self.parent[part] = gen
                self.visit(part)
        elements = ([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt])
        for part in elements:
            self.parent[part] = node
            self.visit(part)
        self.scope = outer

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    # -------------------------------------------------------------- bindings
    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.bind(alias.asname, alias.name)
            else:
                first = alias.name.split(".")[0]
                self.bind(first, first)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module if not node.level else None
        for alias in node.names:
            if alias.name == "*":
                if module:
                    self.scope.stars.append(module)
            else:
                self.bind(alias.asname or alias.name, f"{module}.{alias.name}" if module
                          else None)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.bind_target(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.bind_target(node.target, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.bind_target(node.target, None)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        self.bind(node.target.id, node.value, scope)
        self.generic_visit(node)

    def _targets(self, node: ast.For | ast.AsyncFor | ast.withitem) -> None:
        target = node.target if isinstance(node, ast.For | ast.AsyncFor) else node.optional_vars
        if target is not None:
            self.bind_target(target, None)
        self.generic_visit(node)

    visit_For = visit_AsyncFor = visit_withitem = _targets

    def _named(self, node: ast.ExceptHandler | ast.MatchAs | ast.MatchStar) -> None:
        if node.name:
            self.bind(node.name, None)
        self.generic_visit(node)

    visit_ExceptHandler = visit_MatchAs = visit_MatchStar = _named

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.bind(node.rest, None)
        self.generic_visit(node)


class _Scan:
    """Second pass: resolve what each name and attribute chain refers to, and judge it."""

    def __init__(self, tree: ast.Module, filename: str, allowed: tuple[str, ...]) -> None:
        binder = _Binder(tree)
        self.tree = tree
        self.where = binder.where
        self.parent = binder.parent
        self.module = binder.module
        self.filename = filename
        self.allowed = allowed
        self.found: set[Finding] = set()
        # Each node and each (scope, name) is resolved once: a hostile file cannot make the
        # scan slow. A name still being resolved reads as None, which ends alias cycles.
        self.nodes: dict[ast.AST, str | None] = {}
        self.names: dict[tuple[int, str], str | None] = {}
        self.texts = _texts(tree)
        self.built = _built_names(tree)
        self.own = _own_names(tree)

    # -------------------------------------------------------------- resolution
    def lookup(self, name: str, scope: _Scope) -> str | None:
        if name == "__builtins__":
            return "builtins"
        current: _Scope | None = scope
        first = True
        while current is not None:
            # a class body's names are not visible in the functions defined inside it
            if (first or current.kind != "class") and name in current.bindings:
                return self.bound(current, name)
            first = False
            current = current.parent
        if name in _BUILTINS:
            return name
        stars = self.module.stars
        return f"{stars[0]}.{name}" if stars else None

    def bound(self, scope: _Scope, name: str) -> str | None:
        key = (id(scope), name)
        if key not in self.names:
            self.names[key] = None
            for value in scope.bindings[name]:
                found = value if isinstance(value, str | None) else self.resolve(value)
                if found:
                    self.names[key] = found
                    break
        return self.names[key]

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted name ``node`` refers to (``"os.system"``, ``"eval"``), or None."""
        if node in self.nodes:
            return self.nodes[node]
        self.nodes[node] = None
        found: str | None = None
        if isinstance(node, ast.Name):
            found = self.lookup(node.id, self.where.get(node, self.module))
        elif isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            found = f"{base}.{node.attr}" if base else None
        elif isinstance(node, ast.NamedExpr):
            found = self.resolve(node.value)
        elif isinstance(node, ast.Call):
            found = self._resolve_call(node)
        elif isinstance(node, ast.Subscript):
            key = _literal(node.slice)
            inner = node.value
            if isinstance(inner, ast.Attribute) and inner.attr == "__dict__":
                inner = inner.value
            base = self.resolve(inner) if key else None
            found = key if base == "sys.modules" else (f"{base}.{key}" if base else None)
        self.nodes[node] = found
        return found

    def _resolve_call(self, node: ast.Call) -> str | None:
        func = _plain(self.resolve(node.func))
        args = node.args
        if func == "getattr" and len(args) >= 2:
            base, name = self.resolve(args[0]), _literal(args[1])
            return f"{base}.{name}" if base and name else None
        if func in _IMPORTERS and args:
            return _literal(args[0])
        if func == "vars" and len(args) == 1:
            return self.resolve(args[0])
        return None

    # -------------------------------------------------------------- judging
    def findings(self) -> set[Finding]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.judge(node, alias.name, "imports")
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node)
            elif isinstance(node, ast.Name | ast.Attribute | ast.Subscript | ast.Call):
                self._reference(node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                self._string(node)
        return self.found

    def flag(self, node: ast.AST, reason: str) -> None:
        self.found.add(Finding(self.filename, getattr(node, "lineno", 1), reason))

    def judge(self, node: ast.AST, dotted: str, verb: str = "uses") -> bool:
        """Flag ``dotted`` if a rule covers it and the topic does not allow it."""
        if any(dotted == a or dotted.startswith(a + ".") for a in self.allowed):
            return False
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            key = ".".join(parts[:end])
            if key in RULES:
                self.flag(node, f"{verb} {key}, {RULES[key]}")
                return True
        if parts[0] == "os" and len(parts) > 1 and parts[1] not in OS_ALLOWED:
            why = next((w for p, w in _OS_PREFIXES.items() if parts[1].startswith(p)),
                       _OS_OTHER)
            self.flag(node, f"{verb} os.{parts[1]}, {why}")
            return True
        if parts[0] in _PRIVATE_OWNERS and any(_private(p) for p in parts[1:]):
            end = next(i for i, p in enumerate(parts) if i and _private(p)) + 1
            self.flag(node, f"{verb} {'.'.join(parts[:end])}, {_PRIVATE}")
            return True
        return False

    def _import_from(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        self.judge(node, node.module, "imports")
        for alias in node.names:
            if alias.name == "*":
                if node.module in _NO_STAR:
                    self.flag(node, f"imports every name of {node.module}, so the scan "
                                    "cannot see which of them it uses")
            else:
                self.judge(node, f"{node.module}.{alias.name}", "imports")

    def _reference(self, node: ast.Name | ast.Attribute | ast.Subscript | ast.Call) -> None:
        dotted = self.resolve(node)
        judged = dotted is not None and self.judge(node, dotted)
        if isinstance(node, ast.Attribute) and not judged:
            self._attribute(node, dotted)
        elif isinstance(node, ast.Subscript):
            key = _literal(node.slice)
            if key in ATTRIBUTES and not judged:
                self.flag(node, f"uses {key}, {ATTRIBUTES[key]}")
        elif isinstance(node, ast.Call):
            self._call(node)
        if dotted is None:
            return
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            self.flag(node, f"changes {dotted}, a part of Python that the grader relies on")
        if dotted in _HANDED and self._handed_on(node):
            self.flag(node, f"hands the {dotted} module to other code, so the scan cannot "
                            "see what is done with it")

    def _attribute(self, node: ast.Attribute, dotted: str | None) -> None:
        name = node.attr
        if name == "__class__":
            above = self.parent.get(node)
            if (isinstance(node.ctx, ast.Load) and isinstance(above, ast.Attribute)
                    and above.attr in _NAME_READS and isinstance(above.ctx, ast.Load)):
                return
        if name in ATTRIBUTES:
            self.flag(node, f"uses .{name}, {ATTRIBUTES[name]}")
        elif self._foreign(name, node.value):
            self.flag(node, f"uses .{name}, {_NOT_ITS_OWN}")
        elif name == "__dict__" and dotted is not None:
            self.flag(node, f"uses {dotted}, which can change Python's own modules and "
                            "classes")
        elif name == "__dict__" and not _is_self(node.value):
            self.flag(node, _OTHERS_NAMESPACE)

    def _handed_on(self, node: ast.AST) -> bool:
        """``node`` (a module) is passed, returned or stored where the scan cannot follow."""
        above = self.parent.get(node)
        if isinstance(above, ast.keyword):
            above = self.parent.get(above)
        if isinstance(above, ast.Call):
            return node is not above.func and _plain(self.resolve(above.func)) not in (
                _LOOKUPS | _CHANGES | {"vars"})
        return isinstance(above, ast.Return | ast.Yield | ast.YieldFrom | ast.List | ast.Set
                          | ast.Dict | ast.Starred | ast.Lambda)

    def _foreign(self, name: str, receiver: ast.AST | None) -> bool:
        """``name``, read on ``receiver`` (None: unknown), is a private part of an object
        the file did not make: a name it never defines, or one the grader's stand-ins keep
        their books in, read on anything but ``self``."""
        return _private(name) and (name not in self.own or (
            (receiver is None or not _is_self(receiver)) and name in _kit_private_names()))

    def _name_parts(self, node: ast.AST, text: str, how: str) -> None:
        """Judge each part of a (dotted) attribute name given as ``text``: ``how`` says
        where it was met ("uses" for a getter's argument, "names" for a string)."""
        where = " in a string" if how == "names" else ""
        for part in text.split("."):
            if part in ATTRIBUTES:
                self.flag(node, f"{how} .{part}{where}, {ATTRIBUTES[part]}")
            elif self._foreign(part, None):
                self.flag(node, f"{how} .{part}{where}, {_NOT_ITS_OWN}")

    def _text(self, node: ast.AST) -> str | None:
        """A string literal, or a name bound to one string and nothing else."""
        if isinstance(node, ast.Name):
            return self.texts.get(node.id)
        return _literal(node)

    def _call(self, node: ast.Call) -> None:
        func = _plain(self.resolve(node.func))
        args = node.args
        if any(k.arg == "closefd" for k in node.keywords):
            self.flag(node, "opens a file object on a raw file descriptor (closefd), "
                            "which could write to one the grader left open and forge a "
                            "check's result")
        if func in _LOOKUPS | _CHANGES | {"vars"} and args:
            base = self.resolve(args[0])
            name = self._text(args[1]) if len(args) > 1 else None
            if name in ATTRIBUTES:
                self.flag(node, f"uses {name}, {ATTRIBUTES[name]}")
            elif name is not None and self._foreign(name, args[0]):
                self.flag(node, f"uses .{name}, {_NOT_ITS_OWN}")
            if base is None:
                built = len(args) > 1 and name is None and (
                    not isinstance(args[1], ast.Name) or args[1].id in self.built)
                passed = (len(args) > 1 and name is None and not built
                          and not _is_self(args[0]))
                if func in _CHANGES and isinstance(args[0], _HIDDEN):
                    self.flag(node, "changes an object picked out at run time (from a list, a "
                                    "call...), so the scan cannot see whether it is a part "
                                    "of Python that the grader relies on")
                elif func == "vars" and isinstance(args[0], _HIDDEN):
                    self.flag(node, "reads the namespace of an object picked out at run time "
                                    "(from a list, a call...), so the scan cannot see whether "
                                    "it is a part of Python that the grader relies on")
                elif func == "vars" and not _is_self(args[0]):
                    self.flag(node, _OTHERS_NAMESPACE)
                elif built:
                    self.flag(node, "looks up an attribute by a name built at run time, so "
                                    "the scan cannot see which (a frame's, a traceback's?)")
                elif passed:
                    self.flag(node, "looks up an attribute of an object it did not make by "
                                    "a name held in a variable, so the scan cannot see which "
                                    "(a frame's, a traceback's?)")
                return
            if func == "vars":
                self.flag(node, f"uses vars({base}), which can change Python's own modules "
                                "and classes")
            elif func in _CHANGES:
                part = f"{base}.{name}" if name else f"a part of {base} chosen at run time"
                self.flag(node, f"changes {part}, a part of Python that the grader relies on")
            elif name is None and len(args) > 1:
                self.flag(node, f"looks up a part of {base} by a name made at run time, so "
                                "the scan cannot see which")
        elif func in _NAMED_GETTERS:
            # (attrgetter reads every argument, methodcaller its first, as attribute names,
            # dotted ones part by part)
            for arg in args if func == "operator.attrgetter" else args[:1]:
                text = self._text(arg)
                if text is None:
                    self.flag(node, f"uses {func} with a name made at run time, so the scan "
                                    "cannot see which attribute it reads (a frame's, a "
                                    "traceback's?)")
                    continue
                self._name_parts(node, text, "uses")
        elif func in _OPENERS:
            target = args[0] if args else next(
                (k.value for k in node.keywords if k.arg in ("file", "path")), None)
            if target is not None:
                self._opened(node, target)

    def _opened(self, node: ast.Call, target: ast.expr) -> None:
        if isinstance(target, ast.UnaryOp) and isinstance(target.op, ast.USub):
            target = target.operand
        raw = (isinstance(target, ast.Constant) and isinstance(target.value, int)
               and not isinstance(target.value, bool))
        raw = raw or (isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute)
                      and target.func.attr == "fileno")
        if raw:
            self.flag(node, "opens a raw file descriptor; writing to one the grader left open "
                            "could forge a check's result")
            return
        start = target
        while isinstance(start, ast.BinOp):
            start = start.left
        if isinstance(start, ast.JoinedStr) and start.values:
            start = start.values[0]
        path = _literal(start)
        if path is not None and _outside(path, whole=start is target):
            shown = path if len(path) <= 40 else path[:37] + "..."
            self.flag(node, f"opens {shown!r}, a file outside the exercise")

    def _string(self, node: ast.Constant) -> None:
        text = node.value
        above = self.parent.get(node)
        looked_up = isinstance(above, ast.Call) and _plain(self.resolve(above.func)) in (
            _NAMED_GETTERS | _LOOKUPS | _CHANGES)          # (judged with the call)
        if _DOTTED.fullmatch(text) and not looked_up and not isinstance(above, ast.Expr):
            # An attribute's name as a string reaches the attribute through getattr,
            # operator.attrgetter, a table of names...: flagged as its use would be.
            self._name_parts(node, text, "names")
        if "graders" in text.lower() and not isinstance(self.parent.get(node), ast.Expr):
            self.flag(node, "names the grading kit, which an exercise has no need to look "
                            "for (code that behaves one way under the grader and another "
                            "elsewhere earns no points)")
        if (text == "/proc" or text.startswith(("/proc/", "/dev/fd"))) and not isinstance(
                self.parent.get(node), ast.Expr):
            self.flag(node, f"names {text[:40]!r}, where the grader's processes can be seen")


#: First arguments of ``setattr``/``delattr`` that hide which object they change.
_HIDDEN = (ast.Subscript, ast.Call, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Starred,
           ast.IfExp, ast.BoolOp, ast.NamedExpr)


def _plain(dotted: str | None) -> str | None:
    """``builtins.getattr`` is ``getattr``."""
    if dotted and dotted.startswith("builtins."):
        return dotted[len("builtins."):]
    return dotted


def _private(part: str) -> bool:
    return part.startswith("_") and part.strip("_") != "" and not (
        part.startswith("__") and part.endswith("__"))


def _is_self(node: ast.AST) -> bool:
    """``self`` or ``cls``: the object a method of the file's own class was given."""
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _outside(path: str, whole: bool) -> bool:
    """An absolute or home path, or (when ``path`` is the whole name) one that climbs out."""
    if path.startswith(("/", "\\", "~")) or (len(path) > 1 and path[1] == ":"):
        return True
    return whole and ".." in path.replace("\\", "/").split("/")

