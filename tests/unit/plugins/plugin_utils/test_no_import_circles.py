"""No import circle inside a private package of plugin_utils or module_utils (function-level imports included:
they hide a circle, they do not remove it). Issue 15 named _assets/netbox.py <-> sources.py and
_evidence/store.py <-> its backends; this keeps every package free of them."""

import ast
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[4] / "plugins"
PACKAGES = sorted(
    path for kind in ("plugin_utils", "module_utils") for path in (PLUGINS / kind).glob("_*") if path.is_dir()
)


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_module_imports_itself_back(package):
    graph = {path.stem: imports(path) for path in package.glob("*.py") if path.stem != "__init__"}

    def reaches(start, target, seen=()):
        return any(n == target or (n not in seen and reaches(n, target, (*seen, n))) for n in graph.get(start, ()))

    circles = sorted(name for name in graph if reaches(name, name))
    assert circles == [], f"import circle in {package.name} through {circles}"
