"""`make package`: the SAM template and deployment zip in one directory, ready for `make deploy`.

Chalice zips `chalicelib/` without following symbolic links, and `chalicelib/policies` is one (to the
top-level `policies/`, which the app reads at run time). So the project is first copied, links
resolved, into `<out>/project`, and packaged from there; its `.chalice/deployments` keeps Chalice's
cache of the Linux wheels between builds.

Chalice takes the Lambda runtime from the Python it runs under: run this with Python 3.12 or newer.

Usage: python -m deploy.package --stage dev build
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from deploy import merge_template

ROOT = Path(__file__).resolve().parent.parent
# What the Lambda needs and what `chalice package` reads; nothing else is copied.
PROJECT_FILES = ("app.py", "requirements.txt", "chalicelib", "policies", ".chalice/config.json")


def stage_project(out: Path) -> Path:
    """Copy the project's deployable files into `out/project`, symbolic links resolved."""
    project = out / "project"
    for name in PROJECT_FILES:
        target = project / name
        if target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    return project


def package(stage: str, out: Path) -> Path:
    """Build `out/template.json` and `out/deployment.zip`; returns the template's path."""
    # pyproject says 3.12+, but nothing stops `python3.11 -m deploy.package`, which would quietly
    # produce a python3.11 function that Lambda refuses to create.
    if sys.version_info < (3, 12):  # noqa: UP036
        raise SystemExit("Package with Python 3.12 or newer: Lambda no longer creates python3.11 functions.")
    project = stage_project(out)
    chalice_out = out / "chalice"
    shutil.rmtree(chalice_out, ignore_errors=True)
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    env.pop("AWS_ENDPOINT_URL", None)  # packaging never talks to AWS, nor to an emulator
    chalice = Path(sys.executable).parent / "chalice"
    command = [str(chalice), "--project-dir", str(project), "package", "--pkg-format", "cloudformation"]
    subprocess.run(  # noqa: S603 - our own executable and paths
        [*command, "--stage", stage, str(chalice_out)],
        check=True,
        env=env,
    )
    template = out / "template.json"
    merge_template.main(["--stage", stage, str(chalice_out / "sam.json"), str(template)])
    shutil.copy2(chalice_out / "deployment.zip", out / "deployment.zip")
    return template


def main(argv: list[str] | None = None) -> None:
    """Command line: stage and output directory."""
    parser = argparse.ArgumentParser(description="Package the app for CloudFormation (SAM).")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    print(package(args.stage, args.out.resolve()))


if __name__ == "__main__":
    main()
