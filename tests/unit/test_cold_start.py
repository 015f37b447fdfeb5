"""The Lambda's cold start: importing the entry point builds no model's validator.

pydantic builds a model's validator when the class is defined unless `defer_build` is set; the API has
some thirty models and an invocation uses two or three, so each is built on first use instead. Checked
in a fresh interpreter, since other tests build models in this one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import app
from pydantic import BaseModel

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

ours = [m for m in subclasses(BaseModel) if m.__module__.startswith("chalicelib")]
assert len(ours) > 20, len(ours)
print(sorted(m.__name__ for m in ours if m.__pydantic_complete__))
"""


def test_importing_the_lambda_entry_point_builds_no_model_validator() -> None:
    built = subprocess.run(  # noqa: S603 - our own interpreter and a fixed probe
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()

    assert built == "[]"
