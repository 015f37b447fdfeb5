"""The CLI as a package: what `pip install ./cli` installs, and all that it may import."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import iam_onboarding_cli.entry

CLI = Path(__file__).resolve().parents[2] / "cli"
SOURCES = sorted((CLI / "src" / "iam_onboarding_cli").glob("*.py"))
# The rule: botocore/boto3 and the standard library, nothing else an admin must install.
ALLOWED = {"boto3", "botocore", "iam_onboarding_cli"} | set(sys.stdlib_module_names)


def test_the_package_installs_the_iam_onboarding_console_script() -> None:
    project = tomllib.loads((CLI / "pyproject.toml").read_text())["project"]

    module, function = project["scripts"]["iam-onboarding"].split(":")
    # entry answers a cached credential-process before loading main (and with it botocore).
    assert (module, function) == ("iam_onboarding_cli.entry", "run")
    assert callable(iam_onboarding_cli.entry.run)


def test_the_package_depends_on_boto3_alone() -> None:
    project = tomllib.loads((CLI / "pyproject.toml").read_text())["project"]

    assert [d.split(">")[0].split("=")[0] for d in project["dependencies"]] == ["boto3"]


def test_every_module_imports_only_boto3_botocore_and_the_standard_library() -> None:
    imported = set()
    for source in SOURCES:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])

    assert SOURCES
    assert imported - ALLOWED == set()
