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
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_pip_and_conda_dependencies_match():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = dict(
        _split(r)
        for r in project["dependencies"] + project["optional-dependencies"]["test"]
    )
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(
        _split(d) for d in env["dependencies"]
        if isinstance(d, str) and not d.startswith(("python", "pip"))
    )
    assert {CONDA_NAME.get(k, k): v for k, v in pip.items()} == conda
    assert any(d == "python=3.11" for d in env["dependencies"] if isinstance(d, str))
