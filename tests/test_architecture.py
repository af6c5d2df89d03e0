"""The code's shape read from the source with ``ast`` (issue 17): one-way layers with no import loop
(every import counts, also one inside a function, where a lazy import hides a loop from the
interpreter but not from a reader), small modules, durable_rules in engine.py alone, and the raw
``when:`` read only where it is parsed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
RECORDS = SRC / "callguide" / "records"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in (SRC / "callguide").rglob("*.py")}


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes under ``if TYPE_CHECKING:``: imported for annotations, never run."""
    return {id(node) for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for statement in block.body for node in ast.walk(statement)}


def imports(path: Path, *, runtime: bool = False) -> set[str]:
    """The callguide modules ``path`` imports, anywhere in it (``from pkg import mod`` names the
    module; ``from pkg import name`` the package); with ``runtime``, not those for type checking."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree) if runtime else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            modules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            found.update(modules)
            if len(modules) < len(node.names):
                found.add(base)
    return {module for module in found if module in MODULES and module != name}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop in ``graph``, as the modules around it, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[module] = "done"
        path.pop()
        return None

    return next((found for module in sorted(graph) if module not in state and (found := visit(module))), None)


def test_the_import_reader_sees_lazy_relative_and_absolute_imports():
    assert {"callguide.records.api", "callguide.records.core"} <= imports(RECORDS / "__init__.py")
    assert "callguide.records.chart" in imports(RECORDS / "api.py")  # imported inside a route
    assert "callguide.records.page" in imports(RECORDS / "api.py")  # from . import page: the module
    assert "callguide.records" in imports(SRC / "callguide" / "service.py")  # from .records import a name
    assert "callguide.records.core" in imports(RECORDS / "batch.py")  # under TYPE_CHECKING ...
    assert "callguide.records.core" not in imports(RECORDS / "batch.py", runtime=True)  # ... which never runs
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"] and cycle({"a": {"b"}}) is None


def test_records_core_never_imports_the_records_routes():
    """api.py builds on core.py; core.py reaching back (even lazily, even for type checking) is the
    loop issue 17 opened."""
    assert "callguide.records.api" not in imports(RECORDS / "core.py")


def test_no_import_loop_anywhere():
    """Following runtime imports from any callguide module never leads back to it."""
    assert cycle({name: imports(path, runtime=True) for name, path in MODULES.items()}) is None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_400_lines(name):
    assert len(MODULES[name].read_text(encoding="utf-8").splitlines()) <= 400


def test_durable_rules_is_only_in_the_engine():
    """Every durable_rules quirk lives in engine.py: nothing else imports it or writes its conditions."""
    for name, path in MODULES.items():
        if name == "callguide.engine":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {module for module in imported if module.startswith("durable")}, name
        assert not [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and node.value in ("$and", "$or")], \
            f"{name} writes durable_rules conditions"


@pytest.mark.parametrize("lower, later", [
    ("engine", "evaluation"), ("engine", "policy"), ("evaluation", "explanation"), ("evaluation", "decision"),
    ("explanation", "decision"), ("predicates", "engine"), ("whatif", "engine"), ("decision", "service"),
])
def test_the_pipeline_runs_one_way(lower, later):
    """A step never imports a later one: facts -> engine -> evaluation -> explanation -> decision -> surfaces."""
    assert f"callguide.{later}" not in imports(MODULES[f"callguide.{lower}"])


# -- one model of a rule: the raw ``when:`` is read where it is parsed, and nowhere else ----------------
WHEN_READERS = {
    "rulebook.py", "conditions.py", "tables.py",  # the loaders: they parse it into rule.conditions
}


def raw_when_reads(source: str) -> list[int]:
    """The lines of ``source`` that read a ``when`` field: ``x.when``, ``x["when"]``,
    ``x.get("when")``, ``getattr(x, "when")``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "when":
            lines.append(node.lineno)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "when":
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and any(isinstance(a, ast.Constant) and a.value == "when" for a in node.args) and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "get")
                or (isinstance(node.func, ast.Name) and node.func.id == "getattr")):
            lines.append(node.lineno)
    return sorted(lines)


def test_the_when_reader_finds_each_way_of_reading_it():
    source = 'a = rule.when\nb = body["when"]\nc = body.get("when", {})\nd = getattr(rule, "when")\n' \
             'e = rule.conditions.when_words\nf = {"when": 1}\ng = then["because"]\n'
    assert raw_when_reads(source) == [1, 2, 3, 4]


def test_only_the_loaders_read_the_raw_when():
    """Everything else reads the parsed ``rule.conditions`` (conditions.py): one meaning of a
    condition, checked once at load."""
    readers = {str(path.relative_to(SRC / "callguide")): raw_when_reads(path.read_text(encoding="utf-8"))
               for path in MODULES.values()}
    assert {path: lines for path, lines in readers.items() if lines and path not in WHEN_READERS} == {}
