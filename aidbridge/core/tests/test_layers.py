"""The layer contracts (``.importlinter``): kept by the tree, and broken by a wrong import.

CI runs ``lint-imports`` on the tree; these tests show the contracts have teeth. A copy of the package gets
one import against the layers (``core`` naming ``logistics``, at module level or inside a function), and
import-linter must fail on it, naming both modules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import aidbridge

PACKAGE = Path(aidbridge.__file__).parent
CONFIG = PACKAGE.parent / ".importlinter"
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not CONFIG.exists() or not LINT.exists(),
                                reason="needs the source checkout's .importlinter and import-linter installed")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the project's contracts over the package found first on ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT), "--config", str(CONFIG), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "aidbridge",
                    ignore=shutil.ignore_patterns("__pycache__", "*.geojson", "*.csv", "static", "templates"))
    return tmp_path


def test_the_tree_keeps_every_contract():
    result = _lint(PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("line", [
    "from aidbridge.logistics import models as _wrong\n",
    "def _dodge():\n    from aidbridge.logistics import models  # noqa: F401\n",
])
def test_an_import_against_the_layers_fails_the_lint(tmp_path, line):
    root = _copy(tmp_path)
    clock = root / "aidbridge" / "core" / "clock.py"
    clock.write_text(clock.read_text() + "\n" + line)
    result = _lint(root)
    assert result.returncode != 0
    assert "aidbridge.core is not allowed to import aidbridge.logistics" in result.stdout
    assert "aidbridge.core.clock -> aidbridge.logistics.models" in result.stdout


def test_a_view_calling_a_logistics_write_helper_directly_fails_the_lint(tmp_path):
    root = _copy(tmp_path)
    views = root / "aidbridge" / "logistics" / "views.py"
    views.write_text(views.read_text() + "\nfrom aidbridge.logistics import planning as _bypass\n")
    result = _lint(root)
    assert result.returncode != 0
    assert "aidbridge.logistics.views -> aidbridge.logistics.planning" in result.stdout


# --- the picture of the layers in docs/architecture.md is drawn from the contract -----------------------------

DOC = PACKAGE.parent / "docs" / "architecture.md"


def declared_layers() -> list[list[str]]:
    """The layers contract, top to bottom: each layer's apps, without the ``aidbridge.`` prefix (optional
    layers, not built yet, keep their parentheses)."""
    lines = CONFIG.read_text().split("[importlinter:contract:layers]", 1)[1].split("layers =", 1)[1].splitlines()
    layers = []
    for line in lines[1:]:
        if not line.startswith("    "):
            break
        layers.append([name.strip().replace("aidbridge.", "") for name in line.split("|")])
    return layers


def layer_picture(layers: list[list[str]]) -> str:
    rows = ["   " + "  |  ".join(layer) for layer in layers]
    width = max(map(len, rows)) + 3
    box = ["┌" + "─" * width + "┐"]
    for i, row in enumerate(rows):
        box.append("│" + row.ljust(width) + "│")
        if i < len(rows) - 1:
            box.append("│" + "   ↓".ljust(width) + "│")
    box.append("└" + "─" * width + "┘")
    return "\n".join(box)


def test_the_architecture_doc_draws_the_declared_layers():
    if not DOC.exists():
        pytest.skip("docs/ is not shipped with the package")
    picture = layer_picture(declared_layers())
    assert picture in DOC.read_text(), f"docs/architecture.md should contain this picture:\n{picture}"
