"""Questions asked on the terminal itself (`/dev/tty`), for commands whose stdout and stderr are captured.

The AWS CLI and botocore run a `credential_process` with stdout and stderr piped and show stderr only
when it fails: a prompt written to stderr never appears, and the command seems to hang (aws-vault's most
repeated complaint, 99designs/aws-vault#1267, ByteNess/aws-vault#160). The controlling terminal is still
the person's, so the question goes there and the answer comes from there, never from stdin, argv or the
environment.
"""

from __future__ import annotations

import os

from iam_onboarding_cli.errors import CredentialsError

TERMINAL = "/dev/tty"


def ask_on_terminal(question: str, *, terminal: str = TERMINAL) -> str:
    """Write `question` on the controlling terminal and read one line from it."""
    try:
        descriptor = os.open(terminal, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise CredentialsError(
            "No terminal to ask for the MFA code on: run the same command once in a terminal "
            "(the session is then cached), then try again."
        ) from None
    # Unbuffered bytes: a terminal cannot seek, which a text file opened for reading and writing needs.
    with open(descriptor, "r+b", buffering=0) as tty:
        tty.write(question.encode())
        return tty.readline().decode(errors="replace").strip()
