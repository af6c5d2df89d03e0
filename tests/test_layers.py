"""The code's shape (issue 17): one-way layers, no import circles, small modules, durable_rules in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "callguide"
MAX_LINES = 400


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every callguide module ``path`` imports, at the top or inside a function (lazy imports count)."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("callguide")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("callguide"):
                # ``from . import report`` imports the module report; ``from .core import X`` imports core.
                names = {f"{base}.{alias.name}" for alias in node.names}
                found |= (names & _SOURCES) or {base}
    return found


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (type hints only, never imported at run time)."""
    nodes, todo = [], [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            todo += node.orelse
            continue
        nodes.append(node)
        todo += ast.iter_child_nodes(node)
    return nodes


MODULES = {_module(path): path for path in SRC.rglob("*.py")}
_SOURCES = set(MODULES)
GRAPH = {name: {m for m in _imports(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def test_no_import_circles():
    """Following imports from any module never leads back to it (lazy imports included)."""
    def reach(start: str) -> set[str]:
        seen, todo = set(), list(GRAPH[start])
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo += GRAPH[module]
        return seen

    # A package's __init__ re-exporting its modules is not a circle of behaviour.
    circles = sorted(name for name in GRAPH if name in reach(name) and not MODULES[name].name == "__init__.py")
    assert not circles, circles


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_400_lines(name):
    assert len(MODULES[name].read_text().splitlines()) <= MAX_LINES


def test_durable_rules_is_only_in_the_engine():
    """Every durable_rules quirk lives in engine.py: nothing else imports it or writes its JSON."""
    for name, path in MODULES.items():
        text = path.read_text()
        if name == "callguide.engine":
            continue
        assert "durable" not in {m.split(".")[0] for m in _all_imports(path)}, name
        assert '"$and"' not in text and "'$and'" not in text, f"{name} writes durable_rules conditions"


def _all_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("lower, upper", [
    ("callguide.engine", "callguide.evaluation"), ("callguide.engine", "callguide.policy"),
    ("callguide.evaluation", "callguide.explanation"), ("callguide.evaluation", "callguide.decision"),
    ("callguide.explanation", "callguide.decision"), ("callguide.predicates", "callguide.engine"),
    ("callguide.whatif", "callguide.engine"), ("callguide.decision", "callguide.service"),
])
def test_the_pipeline_runs_one_way(lower, upper):
    """A step never imports a later one: facts -> engine -> evaluation -> explanation -> decision -> surfaces."""
    assert upper not in GRAPH[lower]
