"""The package's import structure: no import cycle between its modules (imports inside
functions count too), and the command line's face stays light (`trackreport --help` and
`--version` load none of the build stack)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "sitegen"
HEAVY = ("jinja2", "nh3", "markdown", "matplotlib", "numpy", "yaml", "pandas")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def import_graph() -> dict[str, set[str]]:
    """module → the package's modules it imports anywhere in its body (functions included).
    ``from pkg import name`` points at ``pkg.name`` when that is a module, else at ``pkg``."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                for a in node.names:
                    full = f"{prefix}.{a.name}"
                    targets.append(full if full in mods else prefix)
            for t in targets:
                if t in mods and t != mod:
                    graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_command_line_face_is_light():
    code = f"import sys, sitegen, sitegen.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"import sitegen.cli loads {proc.stdout.strip()}"


# What a build that finds nothing changed must not import: rendering, charts, the secret
# scanner (its answers are in the manifest), data libraries. (Jinja2: see the test below.)
NOT_FOR_NO_CHANGE = ("detect_secrets", "numpy", "pandas", "matplotlib", "markdown")


def _no_change_build_modules(tmp_path, name: str) -> set[str]:
    """The modules a ``trackreport build`` in a new process loads when nothing changed since the
    last build (of a corpus store: ``name``)."""
    import shutil

    from tests.conftest import CORPUS, STORES

    folder, make = STORES[name]
    shutil.copytree(CORPUS / folder, tmp_path / "store")
    uri, out = make(tmp_path / "store"), str(tmp_path / "site")
    code = (
        "import sys\n"
        "from sitegen.cli import main\n"
        "def build():\n"
        "    try:\n"
        f"        main(['build', '-q', '--store', {uri!r}, '--out', {out!r}])\n"
        "    except SystemExit as e:\n"
        "        assert not e.code, e.code\n"
        "build() if sys.argv[1] == 'cold' else None\n"
        "if sys.argv[1] == 'again':\n"
        "    build()\n"
        "    print(' '.join(sorted(sys.modules)))\n"
    )
    for step in ("cold", "again"):
        proc = subprocess.run(
            [sys.executable, "-c", code, step], capture_output=True, text=True, cwd=PACKAGE.parent, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


@pytest.mark.parametrize("name", ["3.17.2-file", "3.17.2-sqlite"])
def test_a_build_that_finds_nothing_changed_stays_light(tmp_path, name):
    loaded = _no_change_build_modules(tmp_path, name)
    assert "sitegen.builder.pipeline" in loaded  # it did build
    heavy = sorted(m for m in loaded if m.split(".")[0] in NOT_FOR_NO_CHANGE)
    assert heavy == [], f"a no-change build loads {heavy}"
    if name.endswith("sqlite"):
        assert "yaml" not in loaded  # no meta.yaml to parse


def test_a_build_that_finds_nothing_changed_renders_no_page(tmp_path):
    loaded = _no_change_build_modules(tmp_path, "3.17.2-sqlite")
    assert not {"jinja2", "sitegen.render.pages", "sitegen.builder.worker", "sitegen.charts.svg"} & loaded
