"""The package's layout is its architecture: imports point one way, privates stay home (docs/design.md).

An ``ast`` walk over every module of ``incubator_rules``, imports inside
functions and under ``TYPE_CHECKING`` included.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.errors import IncubatorRulesError
from incubator_rules.model import display

PACKAGE = Path(ir.__file__).parent
NAME = "incubator_rules"

# Lowest first. Modules of one rank may import only lower ranks, or their own subpackage.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "lazy"),  # foundation: the typed errors; modules loaded on first use
    ("documents", "output", "progress", "collector"),  # foundation: text to plain data with locations; files written whole or not at all; the progress bar; the cycle collector's pause
    ("model",),
    ("kinds",),
    ("files",),
    ("engines",),
    ("district", "whatif"),  # side by side, neither imports the other
    ("tools",),
    ("views",),
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}
# The facade and the entry points pytest and ``python -m`` load by name: above every layer.
ENTRY_POINTS = {"__init__", "__main__", "pytest_plugin"}
# Optional extras, the only imports allowed inside a function;
# importlib.metadata reads durable-rules' version once durable-rules is loaded.
EXTRAS = {"durable", "pandas", "matplotlib", "dask", "distributed", "importlib.metadata", "openpyxl", "jinja2", "weasyprint"}
# Packages of the library that exist for an optional extra, and are imported only where that extra is used.
EXTRA_PACKAGES = {"views.service": "server"}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        out[".".join(parts)] = path
    return out


def unit_of(module: str) -> str:
    """The layer unit of a module path relative to the package: its subpackage, or the root module's name."""
    return module.split(".")[0]


class Imports(ast.NodeVisitor):
    """Every import of the module: (target module relative to the package or None, names, line, in a function)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module, self.is_package = module, is_package
        self.found: list[tuple[str | None, str, list[str], int, bool]] = []
        self.depth = 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            inside = alias.name == NAME or alias.name.startswith(NAME + ".")
            target = alias.name[len(NAME) + 1:] if inside else None
            self.found.append((target, alias.name, [], node.lineno, self.depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = [a.name for a in node.names]
        if node.level == 0:
            mod = node.module or ""
            inside = mod == NAME or mod.startswith(NAME + ".")
            target = mod[len(NAME) + 1:] if inside else None
            self.found.append((target, mod, names, node.lineno, self.depth > 0))
            return
        here = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
        if self.module == "__init__":
            here = []
        base = here[: len(here) - (node.level - 1)]
        shown = "." * node.level + (node.module or "")
        if node.module is None:  # ``from . import x``: each name is a module
            for name in names:
                self.found.append((".".join(base + [name]), shown + name, [], node.lineno, self.depth > 0))
            return
        self.found.append((".".join(base + [node.module]), shown, names, node.lineno, self.depth > 0))


def all_imports() -> list[tuple[str, str | None, str, list[str], int, bool]]:
    out = []
    for module, path in modules().items():
        visitor = Imports(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        out += [(module, *found) for found in visitor.found]
    return out


def test_every_module_belongs_to_a_layer():
    for module in modules():
        top = unit_of(module)
        assert top in RANK or top in ENTRY_POINTS, f"{module} is in no layer; add it to docs/design.md and LAYERS"


def test_imports_point_down_only():
    wrong = []
    for module, target, shown, _names, line, _ in all_imports():
        if target is None or unit_of(module) in ENTRY_POINTS:
            continue
        if target == "":
            wrong.append(f"{module}:{line} imports the package facade")
            continue
        here, there = unit_of(module), unit_of(target)
        if there in ENTRY_POINTS:
            wrong.append(f"{module}:{line} imports the entry point {target}")
        elif here != there and RANK[there] >= RANK[here]:
            wrong.append(f"{module}:{line} ({here}, layer {RANK[here]}) imports {shown} ({there}, layer {RANK[there]})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_nothing_imports_views():
    users = [f"{m}:{line}" for m, target, _, _, line, _ in all_imports()
             if target is not None and unit_of(target) == "views" and unit_of(m) not in ("views", *ENTRY_POINTS)]
    assert not users, f"views are found through model.display, not imported: {users}"


def test_no_private_name_crosses_a_subpackage_boundary():
    wrong = []
    for module, target, shown, names, line, _ in all_imports():
        if not target:
            continue
        for name in names:
            crossing = unit_of(module) != unit_of(target)
            if name.startswith("_") and not name.startswith("__") and crossing:
                wrong.append(f"{module}:{line} imports {name} from {shown}")
            if target.split(".")[-1].startswith("_") and not target.endswith("__init__") and crossing:
                wrong.append(f"{module}:{line} imports the private module {shown}")
    assert not wrong, "private names used outside their subpackage:\n" + "\n".join(wrong)


def test_imports_inside_functions_are_optional_extras_only():
    wrong = []
    for module, target, shown, names, line, in_function in all_imports():
        if not in_function:
            continue
        if target is None and (shown.split(".")[0] in EXTRAS or all(f"{shown}.{n}" in EXTRAS for n in names or [""])):
            continue
        if target is not None and any(target == p or target.startswith(p + ".") for p in EXTRA_PACKAGES):
            continue
        wrong.append(f"{module}:{line} imports {shown} inside a function")
    assert not wrong, "imports inside functions (move them to the top of the module):\n" + "\n".join(wrong)


def test_the_layer_test_sees_violations():
    """The walk finds an upward import, a private crossing and a lazy import in a module's source."""
    source = "def f():\n    from ..views.notebook import _cell\n"
    visitor = Imports("model.carrier", False)
    visitor.visit(ast.parse(source))
    (target, _, names, _, in_function), = visitor.found
    assert target == "views.notebook" and names == ["_cell"] and in_function
    assert RANK[unit_of(target)] > RANK["model"]


@pytest.mark.parametrize("subpackage", [u for units in LAYERS for u in units if (PACKAGE / u).is_dir()])
def test_every_subpackage_declares_its_public_names(subpackage):
    init = PACKAGE / subpackage / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    declared = [n for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in n.targets)]
    assert declared, f"{subpackage}/__init__.py has no __all__"
    mod = __import__(f"{NAME}.{subpackage}", fromlist=["__all__"])
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{subpackage}.__all__ names what it does not have: {missing}"
    assert len(set(mod.__all__)) == len(mod.__all__)


def test_the_facade_offers_every_public_name():
    missing = [name for name in ir.__all__ if getattr(ir, name, None) is None]
    assert not missing
    assert set(ir.__all__) <= set(dir(ir))


def test_importing_the_package_loads_the_core_only():
    code = (
        "import sys, incubator_rules as ir\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('incubator_rules.'))\n"
        "print(' '.join(loaded))\n"
        "print('pytest' in sys.modules)\n"
        "ir.check_file\n"
        "print('incubator_rules.tools.check' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    loaded = out[0].split()
    assert not [m for m in loaded if m.startswith(f"{NAME}.tools")], loaded
    assert f"{NAME}.views.cli" not in loaded
    assert out[1] == "False"  # the pytest plugin is not loaded with the package
    assert out[2] == "True"  # a tool's name loads the tools on first use


def test_data_classes_find_their_views_through_the_hook():
    ev = ir.evaluate(ir.load_carrier("examples/q6-maker-space.yaml"), as_of="2026-12-31")
    assert ev._repr_html_().startswith("<")  # registered by incubator_rules.views when the package loads
    with pytest.raises(IncubatorRulesError, match="no view 'no_such_view'"):
        display.renderer("no_such_view")


def _fresh(code: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")


def test_importing_the_package_loads_nothing_until_a_name_is_used():
    out = _fresh("import sys, incubator_rules as ir\n"
                 "print(' '.join(sorted(m for m in sys.modules if m.startswith('incubator_rules'))))\n"
                 "ir.load_ruleset\n"
                 "print('incubator_rules.files.ruleset' in sys.modules, 'incubator_rules.district' in sys.modules)\n")
    assert out[0].split() == [NAME, f"{NAME}.lazy"]
    assert out[1] == "True False"  # a name loads its own layers, not the others


def test_every_public_name_is_the_object_its_module_defines():
    import importlib

    for module, names in ir._WHERE.items():
        mod = importlib.import_module(module, NAME)
        for name in names:
            assert getattr(ir, name) is getattr(mod, name), name
    assert set(ir.__all__) <= {n for names in ir._WHERE.values() for n in names}
    assert ir.tools.check is importlib.import_module(f"{NAME}.tools.check")  # the layers by name too
    with pytest.raises(AttributeError, match="no_such_name"):
        ir.no_such_name


def test_the_facade_offers_to_type_checkers_what_it_offers_at_run_time():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    checked = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", None) == "TYPE_CHECKING")
    imported = {("." * i.level + (i.module or "")): tuple(a.name for a in i.names) for i in checked.body}
    assert imported == ir._WHERE


def test_notebook_views_and_readers_load_when_first_asked_for():
    out = _fresh("import sys, incubator_rules as ir\n"
                 "c = ir.Carrier.from_dict({'id': 'c1', 'name': 'a space', 'kind': 'maker_space', 'events': []})\n"
                 "print('incubator_rules.views.notebook' in sys.modules)\n"
                 "ev = ir.evaluate(ir.load_carrier('examples/q6-maker-space.yaml'), as_of='2026-12-31')\n"
                 "print(ev._repr_html_().startswith('<'), ir.evaluate_many([c], as_of='2026-12-31')._repr_html_().startswith('<'))\n")
    assert out[0] == "False"  # building and evaluating carriers loads no view
    assert out[1] == "True True"


def test_the_command_line_loads_per_command_only_what_the_command_needs(tmp_path):
    out = _fresh("import sys\nfrom incubator_rules.views.cli import main\n"
                 "import contextlib, io\n"
                 "try:\n    with contextlib.redirect_stdout(io.StringIO()):\n        main(['--help'])\nexcept SystemExit:\n    pass\n"
                 "print(' '.join(sorted(m for m in sys.modules if m.startswith('incubator_rules.'))))\n"
                 f"main(['evaluate-many', 'examples/wanzhou-portfolio.jsonl', '--as-of', '2026-12-31', '-o', {str(tmp_path / 'out.jsonl')!r}])\n"
                 "print(' '.join(sorted(m for m in sys.modules if m.startswith('incubator_rules.'))))\n")
    assert set(out[0].split()) == {f"{NAME}.errors", f"{NAME}.lazy", f"{NAME}.views", f"{NAME}.views.cli"}
    loaded = set(out[1].split())
    assert f"{NAME}.engines.batch" in loaded and f"{NAME}.views.cli_stream" in loaded
    assert not {m for m in loaded if m.split(".")[1] in ("district", "whatif", "tools")}, loaded
    assert not loaded & {f"{NAME}.views.notebook", f"{NAME}.views.excel", f"{NAME}.views.cli_maintain"}


def test_views_asked_for_by_many_threads_at_once_are_all_found():
    out = _fresh("import incubator_rules as ir, threading\n"
                 "ev = ir.evaluate(ir.load_carrier('examples/q6-maker-space.yaml'), as_of='2026-12-31')\n"
                 "seen = []\n"
                 "threads = [threading.Thread(target=lambda: seen.append(ev._repr_html_()[:1])) for _ in range(8)]\n"
                 "[t.start() for t in threads]; [t.join() for t in threads]\n"
                 "print(''.join(seen))\n")
    assert out[0] == "<" * 8
