"""The Lambda's cold start: importing the entry point builds no model's validator and loads no library
that only some routes need.

pydantic builds a model's validator when the class is defined unless `defer_build` is set; the API has
some thirty models and an invocation uses two or three, so each is built on first use instead. PyNaCl
(libsodium) serves only the operations that seal or open a secret (issuing, claiming, enrolling), pyotp
and segno only enrollment. Checked in fresh interpreters, since other tests build models and load those
libraries in this one.
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


ROUTE_ONLY_LIBRARIES = ("nacl", "pyotp", "segno")

LOADED_PROBE = f"""
import sys
import app

print(sorted(name for name in {ROUTE_ONLY_LIBRARIES!r} if name in sys.modules))
"""


def _run(probe: str) -> str:
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed probe
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_importing_the_lambda_entry_point_builds_no_model_validator() -> None:
    assert _run(PROBE) == "[]"


def test_importing_the_lambda_entry_point_loads_no_library_only_some_operations_need() -> None:
    assert _run(LOADED_PROBE) == "[]"
