"""lab/repos has no import circle (function-level imports included: they hide a circle, they do not remove it)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "lab" / "repos"


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_module_of_lab_repos_imports_itself_back():
    graph = {path.stem: imports(path) for path in PACKAGE.glob("*.py") if path.stem != "__init__"}

    def reaches(start, target, seen=()):
        return any(n == target or (n not in seen and reaches(n, target, (*seen, n))) for n in graph.get(start, ()))

    circles = sorted(name for name in graph if reaches(name, name))
    assert circles == [], f"import circle through {circles}"
