"""`iam-onboarding credential-process --profile P`: an MFA session for the AWS CLI and SDKs (SPEC §14).

The AWS `credential_process` contract: stdout is one JSON object, `Version` 1, `AccessKeyId`,
`SecretAccessKey`, `SessionToken`, `Expiration` (ISO 8601); on failure a non-zero exit and one line on
stderr, which the AWS CLI shows only then. The session comes from `sts:GetSessionToken` with the long-term
key of the source profile and a code asked on the terminal (`/dev/tty`). It is cached per MFA device and
key (`terminal-<digest>.json`) and served until 15 minutes before it ends: botocore refreshes credentials
with less than that left (`_DEFAULT_ADVISORY_REFRESH_TIMEOUT`), so a session served closer to its end
would be asked for on every call.

The AWS CLI caches nothing of a `credential_process` and runs it for every command, so the answer is also
kept ready per profile (`terminal-profile-<hex name>.answer`: its expiry, the fingerprint of the AWS
config and credentials files it was made from, and the JSON). `cached_answer` serves it with a stat of two
files and one read: no configparser or json (both load `re`, 8 ms of a 13 ms interpreter start), no
boto3, no botocore. Any change to either AWS file sends it down the full path, which re-reads the profile
and finds the device's session again without asking.
"""

from __future__ import annotations

import os
import time

from iam_onboarding_cli import profiles, session_cache

TYPE_CHECKING = False  # typing itself costs the cached path milliseconds
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from datetime import datetime

    from iam_onboarding_cli.main import Console

DEFAULT_DURATION = 8 * 3600  # a working day: aws-vault's chained default, under `aws login`'s 12 h
MAX_DURATION = 36 * 3600  # GetSessionToken's limit for an IAM user
MIN_DURATION = 900
REFRESH_MARGIN_SECONDS = 15 * 60
CONTRACT = ("Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")


def _fingerprint() -> str:
    """Which AWS config and credentials files, as they are now (a change of either shows here)."""
    parts = []
    for path in (profiles.config_file(), profiles.credentials_file()):
        try:
            info = os.stat(path)
            parts.append(f"{path}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:-")
    return "|".join(parts).replace("\n", "?")


def answer_file(profile: str) -> str:
    """The ready answer of one profile (the name hex-encoded: any character is safe in a file name)."""
    return os.path.join(session_cache.cache_dir(), f"terminal-profile-{profile.encode().hex()}.answer")


def cached_answer(argv: list[str], *, now: float | None = None) -> str | None:
    """The ready answer for `--profile P`, or None: then the full command runs (and may ask)."""
    if len(argv) != 2 or argv[0] != "--profile":
        return None
    text = session_cache.read_private(answer_file(argv[1]))
    if text is None:
        return None
    head, _, answer = text.partition("\n")
    expires, _, fingerprint = head.partition(" ")
    if not expires.isdigit() or fingerprint != _fingerprint() or not answer.startswith("{"):
        return None
    if int(expires) - REFRESH_MARGIN_SECONDS <= (time.time() if now is None else now):
        return None
    return answer.strip()


def device_file(key: profiles.KeyProfile) -> str:
    """The session file of this MFA device and long-term key: a rotated key never reuses the old one's."""
    import hashlib
    import json

    asked = json.dumps(["terminal", key.mfa_serial, key.access_key_id]).encode()
    return os.path.join(session_cache.cache_dir(), f"terminal-{hashlib.sha256(asked).hexdigest()[:32]}.json")


def _usable(text: str | None, key: profiles.KeyProfile, now: datetime) -> dict[str, object] | None:
    """The cached session of this device, if it lasts past the margin."""
    import json
    from datetime import datetime, timedelta

    if text is None:
        return None
    try:
        cached = json.loads(text)
        left = datetime.fromisoformat(cached["Expiration"]) - now
        if cached["SerialNumber"] != key.mfa_serial or left <= timedelta(seconds=REFRESH_MARGIN_SECONDS):
            return None
        return {name: cached[name] for name in CONTRACT}
    except (ValueError, KeyError, TypeError):  # not one of ours: ask for a code
        return None


def new_session(key: profiles.KeyProfile, *, duration: int, ask_code: Callable[[str], str]) -> str:
    """Ask for a code and trade it and the long-term key for a session; the device file's text."""
    import json
    from datetime import UTC

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from iam_onboarding_cli.errors import CredentialsError, Unreachable
    from iam_onboarding_cli.mfa import MFA_CODE

    source = profiles.settings(profiles.read(profiles.config_file()), profiles.config_section(key.source))
    if "credential_process" in source or key.source == key.name:
        raise CredentialsError(f"Profile {key.source} must hold the long-term key itself, not run a process.")
    code = ask_code(f"MFA code for {key.mfa_serial} (profile {key.name}): ")
    if not MFA_CODE.fullmatch(code):
        raise CredentialsError("An MFA code is the 6 digits your authenticator app shows.")
    try:
        sts = boto3.Session(profile_name=key.source, region_name=key.region).client("sts")
        answer = sts.get_session_token(DurationSeconds=duration, SerialNumber=key.mfa_serial, TokenCode=code)
    except ClientError as error:
        reason = error.response.get("Error", {}).get("Message", str(error))
        raise CredentialsError(f"AWS refused the MFA session: {reason}") from None
    except BotoCoreError as error:
        raise Unreachable(f"Cannot get an MFA session: {error}") from None
    issued = answer["Credentials"]
    return json.dumps(
        {
            "Version": 1,
            "AccessKeyId": issued["AccessKeyId"],
            "SecretAccessKey": issued["SecretAccessKey"],
            "SessionToken": issued["SessionToken"],
            "Expiration": issued["Expiration"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "SerialNumber": key.mfa_serial,
        }
    )


def run(args: argparse.Namespace, console: Console, *, now: datetime | None = None) -> int:
    """The command: the device's cached session or a new one, as the contract's JSON on stdout."""
    import json
    from datetime import UTC, datetime

    from iam_onboarding_cli.errors import CredentialsError
    from iam_onboarding_cli.terminal_prompt import ask_on_terminal

    now = now or datetime.now(UTC)
    try:
        key = profiles.key_profile(args.profile)
    except ValueError as error:
        raise CredentialsError(str(error)) from None
    fingerprint = _fingerprint()  # before reading: a file changed meanwhile makes the next call re-read
    path = device_file(key)
    session = _usable(session_cache.read_private(path), key, now)
    if session is None:
        text = new_session(key, duration=args.session_duration, ask_code=ask_on_terminal)
        session = _usable(text, key, now)
        if session is None:
            raise CredentialsError(
                "AWS issued a session shorter than 15 minutes: ask for a longer --duration."
            )
        session_cache.write_private(path, text)
    answer = json.dumps(session)
    expires = int(datetime.fromisoformat(str(session["Expiration"])).timestamp())
    session_cache.write_private(answer_file(args.profile), f"{expires} {fingerprint}\n{answer}\n")
    console.say(answer)
    return 0
