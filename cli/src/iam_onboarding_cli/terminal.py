"""The commands for everyone's terminal (SPEC §14): `credential-process`, `configure`, `doctor`.

They need no admin and no admin session: `main` runs them before it makes one.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from iam_onboarding_cli.credential_process import DEFAULT_DURATION, MAX_DURATION, MIN_DURATION

if TYPE_CHECKING:
    from iam_onboarding_cli.main import Console


def seconds_between(low: int, high: int, span: str) -> Callable[[str], int]:
    """An argparse type: a whole number of seconds from `low` to `high`; `span` says the range in words."""

    def seconds(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be {low}-{high} seconds ({span})")
        return number

    return seconds


def credential_process(args: argparse.Namespace, console: Console) -> int:
    """`credential-process`: the cached or a new MFA session, as the AWS contract's JSON."""
    from iam_onboarding_cli import credential_process

    return credential_process.run(args, console)


def configure(args: argparse.Namespace, console: Console) -> int:
    """`configure`: the profiles of SPEC §14 into ~/.aws/config."""
    from iam_onboarding_cli import configure

    return configure.run(args, console)


def doctor(args: argparse.Namespace, console: Console) -> int:
    """`doctor`: each check of the terminal set-up, with its fix."""
    from iam_onboarding_cli import doctor

    return doctor.run(args, console)


def add_terminal_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the three commands; each sets `terminal`, which `main` runs instead of an API command."""
    # SUPPRESS: `--profile` given before the command's name (the global option) is kept.
    profile = {"default": argparse.SUPPRESS, "help": "the AWS profile (your account's alias or id)"}
    duration = {
        "dest": "session_duration",
        "type": seconds_between(MIN_DURATION, MAX_DURATION, "15 min to 36 h"),
        "default": DEFAULT_DURATION,
        "metavar": "SECONDS",
        "help": f"lifetime of a new MFA session, {MIN_DURATION}-{MAX_DURATION} (default 8 h)",
    }

    text = "print an MFA session for ~/.aws/config's credential_process, asking the code on the terminal"
    sub = commands.add_parser("credential-process", help=text, description=text)
    sub.add_argument("--profile", required=True, help="the profile whose credential_process this is")
    sub.add_argument("--duration", **duration)  # type: ignore[arg-type]
    sub.set_defaults(terminal=credential_process)

    text = "write the profiles for credential-process into ~/.aws/config (shown first)"
    sub = commands.add_parser("configure", help=text, description=text)
    sub.add_argument("--profile", **profile)  # type: ignore[arg-type]
    sub.add_argument("--region", help="the region you work in (default: the profile's, or $AWS_REGION)")
    sub.add_argument("--mfa-serial", metavar="ARN", default=argparse.SUPPRESS, help="your MFA device")
    sub.add_argument("--duration", **duration)  # type: ignore[arg-type]
    sub.add_argument("--yes", action="store_true", help="write without asking")
    sub.set_defaults(terminal=configure)

    text = "check the terminal's AWS set-up, each failure with its fix; exit 0 only with MFA proved"
    sub = commands.add_parser("doctor", help=text, description=text)
    sub.add_argument("--profile", **profile)  # type: ignore[arg-type]
    sub.add_argument("--endpoint", metavar="URL", default=argparse.SUPPRESS, help="the API's base URL")
    sub.set_defaults(terminal=doctor)
