"""The code's layers: imports run one way, no module imports itself back, and imports sit
at the top of a module unless they keep a heavy library off a hot path.

Read from the source (``ast``), so the test sees every import, also one in a function
that no test happens to call.
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "explorer"

#: the layers, lowest first: a module may import its own layer and those below it.
#: The core (nn, data, lens) knows nothing of settings, lessons or pages; the app
#: (the only part that imports streamlit) sits on top of everything else.
LAYERS = [
    ("explorer.limits", "explorer.text", "explorer.nn"),
    ("explorer.data",),
    ("explorer.lens",),
    ("explorer.params",),
    ("explorer.labs",),
    ("explorer.lessons",),
    ("explorer.app",),
]

#: ``explorer`` itself (its ``__init__``) is the notebook's front door to the core
#: (``from explorer import MLP``): the layer of the core's top
FRONT_DOOR = ("explorer", "explorer.lens")

#: imports inside a function, and why each is there
LOCAL_IMPORTS = {
    ("explorer.data.dataset", "sklearn.datasets"): "sklearn takes a second to import; "
                                                  "only the autoencoder's digits need it",
}


def _name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """``(module imported, at top level?)`` for every import of the file at ``path``."""
    tree, me = ast.parse(path.read_text()), _name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, id(node) in top
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            for a in node.names:              # "from . import labs" imports a module
                yield (f"{module}.{a.name}" if node.level and not node.module else module,
                       id(node) in top)


def _layer(module):
    if module == FRONT_DOOR[0]:
        module = FRONT_DOOR[1]
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {m: {i for i, _ in _imports(p) if i.startswith("explorer")} for m, p in MODULES.items()}


def _resolve(name):
    """The module of ``explorer.x.y`` (a module, or a name in a module or package)."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def test_every_module_imports_only_its_own_layer_or_lower():
    upward = [(m, i) for m, deps in GRAPH.items() for i in deps
              if _layer(_resolve(i)) > _layer(m)]
    assert not upward, upward


def test_no_module_imports_itself_back():
    edges = {m: {_resolve(i) for i in deps} - {m} for m, deps in GRAPH.items()}
    # a package's __init__ importing its own modules is not a cycle through them
    for m in edges:
        if MODULES[m].name == "__init__.py":
            edges[m] = {d for d in edges[m] if not d.startswith(m + ".")}
    state, cycles = {}, []

    def visit(m, path):
        state[m] = "open"
        for d in edges[m]:
            if state.get(d) == "open":
                cycles.append(path[path.index(d):] + [d])
            elif d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in edges:
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles


@pytest.mark.parametrize("folder", ["explorer", "pages"])
def test_imports_are_at_the_top_unless_said_why(folder):
    files = sorted((ROOT / folder).rglob("*.py")) + ([ROOT / "app.py"] if folder == "pages" else [])
    local = {(_name(p), i) for p in files for i, top in _imports(p) if not top}
    assert local == (set(LOCAL_IMPORTS) if folder == "explorer" else set()), local


def test_the_layer_test_sees_an_upward_import_and_a_cycle(tmp_path):
    # the reader itself: a relative import of a higher layer, inside a function
    f = tmp_path / "explorer" / "nn" / "x.py"
    f.parent.mkdir(parents=True)
    f.write_text("def g():\n    from ..app import state\n")
    global ROOT
    old, ROOT = ROOT, tmp_path
    try:
        assert list(_imports(f)) == [("explorer.app", False)]
    finally:
        ROOT = old
    assert _layer("explorer.app.state") > _layer("explorer.nn.x")


def test_the_readmes_map_of_the_code_names_every_module_and_only_real_ones():
    text = (ROOT / "README.md").read_text()
    block = text.split("## How it is built", 1)[1].split("```")[1]
    named = set(re.findall(r"[\w/]*?(\w+\.py)\b", block))
    files = {p.name for folder in ("explorer", "pages", "bench", "tests", "deploy")
             for p in (ROOT / folder).rglob("*.py")} | {"app.py"}
    assert named <= files, named - files                      # nothing that is not there
    modules = {p.name for p in PACKAGE.rglob("*.py")} - {"__init__.py", "__main__.py"}
    assert modules <= named, modules - named                   # every module of explorer/
    folders = {p.parent.relative_to(ROOT).as_posix() + "/" for p in PACKAGE.rglob("*.py")}
    assert all(f in block for f in folders if f != "explorer/"), folders
