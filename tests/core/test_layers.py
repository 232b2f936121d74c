"""Issue 15: apps depend one way, and the import contracts (pyproject `[tool.importlinter]`, run by scripts/lint.sh)
keep it so. The contracts hold for the tree, and one broken on purpose names the import that breaks it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path, src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_issue_15_import_contracts_hold_for_the_tree():
    run = _lint_imports(ROOT, ROOT / "src")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "BROKEN" not in run.stdout and " broken" in run.stdout  # "Contracts: N kept, 0 broken."


def test_issue_15_a_broken_contract_names_the_import(tmp_path):
    shutil.copytree(
        ROOT / "src" / "whistle", tmp_path / "src" / "whistle", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    figures = tmp_path / "src" / "whistle" / "core" / "figures.py"
    figures.write_text(figures.read_text() + "\nfrom whistle.cases import models as _cases  # noqa\n")
    run = _lint_imports(tmp_path, tmp_path / "src")
    assert run.returncode != 0
    assert "core imports no domain app BROKEN" in run.stdout
    assert "Layers: an app imports only the layers below it BROKEN" in run.stdout
    assert "whistle.core.figures -> whistle.cases.models" in run.stdout
