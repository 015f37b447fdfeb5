"""The blueprints reach AWS clients and settings only through `wiring`, the composition root."""

from __future__ import annotations

import ast
from pathlib import Path

API_DIR = Path(__file__).resolve().parents[2] / "chalicelib" / "api"
# The Slack worker and the scheduled audit have left `api/`: nothing imports clients or settings there any
# more. Keep this set empty.
STILL_IMPORTING: set[str] = set()


def _clients_and_settings_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "chalicelib":
            found |= {f"{path.name}: chalicelib.{a.name}" for a in node.names if a.name in ("aws", "config")}
        elif isinstance(node, ast.ImportFrom) and node.module in ("chalicelib.aws", "chalicelib.config"):
            found.add(f"{path.name}: {node.module}")
        elif isinstance(node, ast.Import):
            found |= {
                f"{path.name}: {a.name}"
                for a in node.names
                if a.name in ("chalicelib.aws", "chalicelib.config")
            }
    return found


def test_no_blueprint_imports_the_clients_or_the_settings() -> None:
    found = set().union(*(_clients_and_settings_imports(path) for path in sorted(API_DIR.glob("*.py"))))

    assert found <= STILL_IMPORTING
