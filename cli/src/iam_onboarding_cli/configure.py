"""`iam-onboarding configure --profile P`: writes SPEC §14's two profiles into `~/.aws/config`.

It shows the blocks first and asks, replaces only those two sections, and never writes the credentials
file: it only says what it found there. Keys under `[P]` in the credentials file would silently win over
`credential_process` (botocore reads that file first, aws-cli#9869), so it names them and the fix.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
from typing import TYPE_CHECKING

from iam_onboarding_cli import profiles
from iam_onboarding_cli.credential_process import DEFAULT_DURATION
from iam_onboarding_cli.errors import CliError, CredentialsError, UsageError

if TYPE_CHECKING:
    from iam_onboarding_cli.main import Console


def command_line(profile: str, duration: int) -> str:
    """The `credential_process` value: the script's full path, as the AWS docs advise (no PATH lookup)."""
    script = shutil.which("iam-onboarding") or "iam-onboarding"
    words = [script, "credential-process", "--profile", profile]
    if duration != DEFAULT_DURATION:
        words += ["--duration", str(duration)]
    return shlex.join(words)


def blocks(profile: str, *, region: str, mfa_serial: str, duration: int) -> str:
    """The two config sections, as written."""
    source = profile + profiles.LONG_TERM_SUFFIX
    return (
        f"[profile {source}]\nregion = {region}\nmfa_serial = {mfa_serial}\n\n"
        f"[profile {profile}]\nregion = {region}\nmfa_serial = {mfa_serial}\nsource_profile = {source}\n"
        f"credential_process = {command_line(profile, duration)}\n"
    )


def replaced(text: str, headers: set[str], new: str) -> str:
    """`text` without the sections named in `headers`, `new` appended; every other line kept as it was."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            skipping = stripped[1:-1].strip() in headers
        if not skipping:
            kept.append(line)
    body = "".join(kept).rstrip("\n")
    return (body + "\n\n" if body else "") + new


def found_in_credentials(profile: str) -> list[str]:
    """What the credentials file holds for these profiles, said without showing any secret."""
    path = profiles.credentials_file()
    keys = profiles.read(path)
    source = profile + profiles.LONG_TERM_SUFFIX
    notes = []
    if profiles.settings(keys, profile).get("aws_access_key_id"):
        notes.append(
            f"{path} has keys under [{profile}]: they would win over credential_process (aws-cli#9869). "
            f"Rename that section to [{source}] (or delete it); this command does not touch that file."
        )
    if not profiles.settings(keys, source).get("aws_access_key_id"):
        notes.append(
            f"{path} has no key under [{source}] yet: create your access key in the console (with MFA), then "
            f"`aws configure set aws_access_key_id AKIA… --profile {source}` and the same for "
            "aws_secret_access_key."
        )
    return notes


def _mfa_serial(args: argparse.Namespace) -> str:
    if args.mfa_serial:
        return str(args.mfa_serial)
    import boto3

    from iam_onboarding_cli.mfa import _own_mfa_device

    try:
        return _own_mfa_device(boto3.Session(profile_name=args.profile + profiles.LONG_TERM_SUFFIX))
    except CliError:
        raise
    except Exception as error:
        raise CredentialsError(f"Cannot look up your MFA device ({error}): pass --mfa-serial ARN.") from None


def run(args: argparse.Namespace, console: Console) -> int:
    """Show the blocks, ask, write them; say what the credentials file holds."""
    if args.profile is None or args.profile == "default":
        raise UsageError("Name the profile with --profile (your account's alias or id), never `default`.")
    path = profiles.config_file()
    current = profiles.settings(profiles.read(path), profiles.config_section(args.profile))
    region = (
        args.region
        or current.get("region")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
    )
    if not region:
        raise UsageError("Pass --region (the region you work in, e.g. eu-west-1).")
    for note in found_in_credentials(args.profile):
        console.tell(note)
    text = blocks(args.profile, region=region, mfa_serial=_mfa_serial(args), duration=args.session_duration)
    console.tell(f"These profiles go into {path} (replacing any of the same name):\n\n{text}")
    if not args.yes:
        if not console.interactive():
            raise UsageError("There is no terminal to ask on: pass --yes to write them.")
        if console.ask(f"Write them to {path}? [y/N] ").lower() not in ("y", "yes"):
            raise CliError(f"Not confirmed: {path} was left as it was.")
    try:
        with open(path, encoding="utf-8") as file:
            before = file.read()
    except FileNotFoundError:
        before = ""
    headers = {f"profile {args.profile}", f"profile {args.profile}{profiles.LONG_TERM_SUFFIX}"}
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        file.write(replaced(before, headers, text))
    console.say(f"Wrote profiles {args.profile} and {args.profile}{profiles.LONG_TERM_SUFFIX} to {path}.")
    console.say(f"Check it: aws sts get-caller-identity --profile {args.profile}")
    return 0
