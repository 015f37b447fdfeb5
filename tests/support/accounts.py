"""The emulated AWS the tests run on: moto in this process, trimmed and made faithful, fake credentials."""

from __future__ import annotations

import json


def prepare_emulator() -> None:
    """Fake credentials, atomic DynamoDB writes, and only the managed policies the product attaches.

    Safe to call more than once; `tests/conftest.py` calls it before any test is collected, and the
    scripts under tests/ (`make screenshots`, `make faults-table`) before their first account.
    """
    from local.emulator import make_faithful, use_in_process_emulator

    use_in_process_emulator()
    _trim_managed_policies()
    make_faithful()


def _trim_managed_policies() -> None:
    """Load only the AWS managed policies the product attaches, not all ~1,300 (most of a second a test).

    The policies kept are moto's own copies, unchanged.
    """
    import moto.iam.models

    from chalicelib.config import load_groups_manifest

    wanted = {arn.rsplit("/", 1)[1] for g in load_groups_manifest().values() for arn in g.managed_policy_arns}
    data = json.loads(moto.iam.models.aws_managed_policies_data)
    moto.iam.models.aws_managed_policies_data = json.dumps({k: v for k, v in data.items() if k in wanted})
