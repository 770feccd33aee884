"""Installs that cannot half-work: every import declared, `pip check` clean, each parser
importable, and a broken parser dependency costing only its own format."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from bot.ingest import _PARSERS
from tests.support import PROJECT_DIR

# Loads a directory with trafilatura made unimportable, through the real CLI.
WITHOUT_TRAFILATURA = """
import sys
class Broken:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "trafilatura":
            raise ImportError("No module named 'lxml_html_clean'")
sys.meta_path.insert(0, Broken())
from bot.cli.main import main
sys.argv = ["newsbot", *sys.argv[1:]]
main()
"""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    return {_normalise(re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0])
            for req in project["dependencies"]}


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in (PROJECT_DIR / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"bot"}


def test_every_import_of_the_package_is_a_declared_dependency() -> None:
    distributions = packages_distributions()
    declared = _declared()
    missing = {
        module: distributions.get(module)
        for module in _third_party_imports()
        if not declared & {_normalise(d) for d in distributions.get(module, [])}
    }
    assert missing == {}
    assert "lxml-html-clean" in declared  # jusText imports lxml.html.clean


def test_every_dependency_is_pinned() -> None:
    pinned = {_normalise(line.split("==")[0])
              for line in (PROJECT_DIR / "requirements.lock").read_text().splitlines()}
    assert _declared() - pinned == set()


def test_pip_check_passes() -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_parser_imports_in_a_fresh_interpreter() -> None:
    modules = sorted({module for module, _options in _PARSERS.values()})
    code = f"import importlib; [importlib.import_module(m) for m in {modules!r}]"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PROJECT_DIR, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(modules) == 4


def test_a_broken_parser_dependency_rejects_only_its_format(tmp_path: Path) -> None:
    articles = tmp_path / "in"
    articles.mkdir()
    (articles / "page.html").write_text(
        "<html><head><title>Bridge</title></head><body><article><p>The bridge opened on "
        "Monday after four years of work on the river crossing.</p></article></body></html>")
    (articles / "dump.jsonl").write_text(json.dumps(
        {"title": "Harbour", "text": "The harbour reopened after the storm."}) + "\n")
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TRAFILATURA, "load", "--workers", "0", "--db",
         str(tmp_path / "db.json"), str(articles)],
        capture_output=True, text=True, cwd=PROJECT_DIR, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("loaded 1, updated 0, duplicate 0, rejected 1")
    [rejection] = [line for line in result.stderr.splitlines() if line.startswith("rejected")]
    assert "page.html: html files cannot be read" in rejection
    assert "lxml_html_clean" in rejection
