"""The package layout the README describes, checked: front-end libraries stay in the front
ends, no module imports itself back at run time, and no folder grows past a dozen modules."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import PROJECT_DIR

PACKAGE = PROJECT_DIR / "bot"
FRONT_ENDS = ("bot.discord", "bot.cli")
FRONT_END_LIBRARIES = {"discord", "click"}
MAX_MODULES = 12


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` is imported: top level, outside ``if TYPE_CHECKING``
    (imports inside functions run later, when the cycle is already closed)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: relative import"  # the project uses none
            base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def test_only_the_front_ends_import_discord_or_click() -> None:
    offenders = {
        name: sorted(lib for lib in runtime_imports(path) | all_imports(path)
                     if lib.split(".")[0] in FRONT_END_LIBRARIES)
        for name, path in modules().items()
        if not name.startswith(FRONT_ENDS)
    }
    assert {name: libs for name, libs in offenders.items() if libs} == {}


def all_imports(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_no_runtime_import_cycle() -> None:
    known = modules()
    graph = {
        name: {dep for dep in runtime_imports(path) if dep in known and dep != name}
        for name, path in known.items()
    }
    # A module imports its package's __init__ first; that edge is not a cycle of ours.
    for name, deps in graph.items():
        deps -= {p for p in deps if name.startswith(p + ".")}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep):], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_folder_holds_more_than_a_dozen_modules() -> None:
    folders: dict[Path, int] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name not in {"__init__.py", "__main__.py"}:
            folders[path.parent] = folders.get(path.parent, 0) + 1
    assert {str(f.relative_to(PROJECT_DIR)): n for f, n in folders.items() if n > MAX_MODULES} == {}


def test_the_checks_see_the_package() -> None:
    """The checks above pass on nothing if they read nothing: they read every stage."""
    names = modules()
    assert {"bot.engine", "bot.ingest", "bot.storage.store", "bot.search.index",
            "bot.answering.compose", "bot.discord.bot", "bot.cli.main"} <= set(names)
    assert "discord" in runtime_imports(names["bot.discord.bot"])
    assert "bot.search.index" in runtime_imports(names["bot.answering.compose"])
