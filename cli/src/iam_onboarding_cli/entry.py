"""The `iam-onboarding` console script: `credential-process` answers from its cache before anything loads.

The AWS CLI runs a `credential_process` for every command; on a cached session this answers with two
small files read and no argparse, boto3 or botocore imported (SPEC §14: at most twice a bare Python
start, `python -m bench.credential_process`). Everything else goes to `main`.
"""

from __future__ import annotations

import sys


def run() -> None:
    """The entry point."""
    argv = sys.argv[1:]
    if argv[:1] == ["credential-process"]:
        from iam_onboarding_cli.credential_process import cached_answer

        answer = cached_answer(argv[1:])
        if answer is not None:
            sys.stdout.write(answer + "\n")
            return
    from iam_onboarding_cli.main import run as run_command

    run_command()
