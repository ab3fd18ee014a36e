"""The package's layers, checked from its source: data flows one way.

Every import in ``utils/`` (at module level or inside a function) is an
edge of a module graph. The reading path (``io``, ``models``, ``pipeline``)
never reaches up to ``training``, ``synth`` or ``data``, and the graph has
no cycle. The negative controls plant a back-import and a cycle in a copy
of the tree and show that both are caught.
"""

import ast
import re
import shutil
import sys

import pytest
from conftest import ROOT

PACKAGE = ROOT / "utils"
# Each layer may import its own modules and the layers listed for it.
ALLOWED = {
    "base": set(),  # errors, version
    "io": {"base"},
    "models": {"base", "io"},
    "pipeline": {"base", "io", "models"},
    "front": {"base", "io", "models", "pipeline", "front"},  # cli, batch, __main__, the package's own names
    "data": {"base", "io"},
    "synth": {"base", "io", "models", "pipeline", "data"},
    "training": {"base", "io", "models", "pipeline", "data", "synth"},
}
READING_PATH = ("io", "models", "pipeline")
UPPER = ("training", "synth", "data")


def module_name(path, root):
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module):
    head = module.split(".")[0]
    if head in ALLOWED and head != "base":
        return head
    return "front" if head in ("", "cli", "batch", "__main__") else "base"


def import_graph(root):
    """{module: {imported module, ...}} for every module under ``root``, relative imports resolved."""
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:  # `from . import x` names a module; `from .m import f` a name in m
                    full = f"{target}.{alias.name}" if target else alias.name
                    edges.add(full if full in modules else target)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for imported in names:
                    for prefix in ("digit_sheet_reader.", "utils."):
                        if imported.startswith(prefix):
                            edges.add(imported[len(prefix):])
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def layer_violations(graph):
    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                  if layer_of(b) != layer_of(a) and layer_of(b) not in ALLOWED[layer_of(a)])


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_module_belongs_to_a_layer():
    graph = import_graph(PACKAGE)
    assert {"pipeline.reader", "models.runtime", "io.images", "training.recogniser", "synth.sheets",
            "data.loaders"} <= set(graph)


def test_the_reading_path_never_imports_training_synth_or_data():
    graph = import_graph(PACKAGE)
    reading = [m for m in graph if layer_of(m) in READING_PATH]
    assert len(reading) >= 15
    assert not [f"{a} -> {b}" for a in reading for b in graph[a] if layer_of(b) in UPPER]
    assert layer_violations(graph) == []


def test_no_import_cycles():
    assert cycles(import_graph(PACKAGE)) == []


@pytest.fixture
def planted(tmp_path):
    copy = tmp_path / "utils"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_a_planted_back_import_is_caught(planted):
    lines = planted / "pipeline" / "lines.py"
    lines.write_text(lines.read_text() + "\n\ndef _late():\n    from ..training.recogniser import seed_everything\n")
    assert layer_violations(import_graph(planted)) == ["pipeline.lines -> training.recogniser"]


def test_a_planted_cycle_is_caught(planted):
    errors = planted / "errors.py"
    errors.write_text(errors.read_text() + "\nfrom .cli import main  # noqa\n")
    assert any({"cli", "errors"} <= set(component) for component in cycles(import_graph(planted)))


# Import name -> the distribution setup.py declares for it.
DISTRIBUTIONS = {"cv2": "opencv-python-headless", "PIL": "pillow", "ai_edge_litert": "ai-edge-litert",
                 "numpy": "numpy", "tqdm": "tqdm", "pypdfium2": "pypdfium2"}
OPTIONAL = {"keras", "tensorflow", "dask", "distributed"}  # extras, imported only where asked for


def third_party_imports(paths):
    stdlib = set(sys.stdlib_module_names)
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            found |= {n.split(".")[0] for n in names} - stdlib - {"digit_sheet_reader", "utils"}
    return found


def test_reading_needs_exactly_the_declared_dependencies():
    reading = [p for p in PACKAGE.rglob("*.py")
               if layer_of(module_name(p, PACKAGE)) in ("base", "front", *READING_PATH)]
    imported = third_party_imports(reading) - OPTIONAL
    setup = ast.parse((ROOT / "setup.py").read_text())
    call = next(n for n in ast.walk(setup) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup")
    requires = next(k.value for k in call.keywords if k.arg == "install_requires")
    declared = {re.split(r"[<>=\[ ]", ast.literal_eval(e))[0] for e in requires.elts}
    assert {DISTRIBUTIONS.get(name, name) for name in imported} == declared
