"""pyproject.toml (pip) and environment.yml (conda) name the same packages and versions, and the
product's code imports only what its runtime dependencies install."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names.
CONDA_NAME = {}
#: Imported by the product but not named as runtime dependencies, with the reason.
UNDECLARED_OK = {
    "param": "installed by panel, whose parameter system the pages extend",
    "tornado": "installed by bokeh, whose server the pages run in",
    "cryptography": "optional: only OAuth sign-in needs it (docs/deployment.md)",
}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    # Extras such as psycopg[binary] have no conda counterpart: compare name and version only.
    version = re.sub(r"^\[[^\]]*\]", "", match.group(2).replace(" ", ""))
    return _norm(match.group(1)), version


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_pip_and_conda_dependencies_match():
    project = _project()
    pip = dict(_split(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        pip.update(_split(r) for r in extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(
        _split(d) for d in env["dependencies"]
        if isinstance(d, str) and d != "pip" and not d.startswith("python")
    )
    assert {CONDA_NAME.get(k, k): v for k, v in pip.items()} == conda
    assert any(d == "python=3.11" for d in env["dependencies"] if isinstance(d, str))


def _imported_top_level(folder: Path) -> dict[str, str]:
    """Top-level third-party module → one file importing it, for every ``.py`` under folder."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("hubcore", "dashboards"):
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_product_imports_only_runtime_dependencies():
    """Every third-party import in hubcore/ and dashboards/ comes from a runtime dependency
    (or one of :data:`UNDECLARED_OK`): an import of a benchmark-only package such as geoviews
    or cartopy would fail on a plain ``pip install hubcore``."""
    runtime = {_split(r)[0] for r in _project()["dependencies"]}
    dists = packages_distributions()
    wrong = {}
    for folder in ("hubcore", "dashboards"):
        for module, path in _imported_top_level(ROOT / folder).items():
            provided_by = {_norm(d) for d in dists.get(module, [module])}
            if not provided_by & runtime and module not in UNDECLARED_OK:
                wrong[module] = path
    assert wrong == {}


def test_benchmark_only_packages_stay_out_of_the_runtime():
    """cartopy and geoviews serve only benchmarks/dashboard_speed.py's naive map."""
    project = _project()
    runtime = {_split(r)[0] for r in project["dependencies"]}
    bench = {_split(r)[0] for r in project["optional-dependencies"]["bench"]}
    assert bench == {"cartopy", "geoviews"}
    assert not bench & runtime
