"""pyproject.toml (pip) and environment.yml (conda) name the same packages and versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names.
CONDA_NAME = {}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    # Extras such as psycopg[binary] have no conda counterpart: compare name and version only.
    version = re.sub(r"^\[[^\]]*\]", "", match.group(2).replace(" ", ""))
    return match.group(1).lower().replace("_", "-"), version


def test_pip_and_conda_dependencies_match():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = dict(
        _split(r)
        for r in project["dependencies"]
        + project["optional-dependencies"]["test"]
        + project["optional-dependencies"]["postgres"]
    )
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(
        _split(d) for d in env["dependencies"]
        if isinstance(d, str) and d != "pip" and not d.startswith("python")
    )
    assert {CONDA_NAME.get(k, k): v for k, v in pip.items()} == conda
    assert any(d == "python=3.11" for d in env["dependencies"] if isinstance(d, str))
