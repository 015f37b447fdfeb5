"""A person's terminal for the CLI's terminal commands: an emulated AWS account, a pty, the AWS files.

The emulator is moto's server on 127.0.0.1, so that child processes (botocore's `ProcessProvider` runs
`credential-process` as one) reach it too. A spy on the emulator's GetSessionToken handler counts the calls
it served: the evidence that a cached session made none.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pyotp

from local.run import free_port

SCRIPT = Path(sys.executable).parent / "iam-onboarding"
# Made a session leader, the child opens the pty's slave: it becomes the child's controlling terminal,
# its /dev/tty, as a terminal is for a command started in it. Then it becomes the command.
ATTACH = "import os, sys; os.close(os.open(sys.argv[1], os.O_RDWR)); os.execv(sys.argv[2], sys.argv[2:])"


@dataclass
class Account:
    """An IAM user with a long-term key and an enabled virtual MFA device, in the emulator."""

    endpoint: str
    serial: str
    totp: pyotp.TOTP
    access_key_id: str
    secret_access_key: str
    home: Path
    sessions: list[dict[str, Any]] = field(default_factory=list)  # what GetSessionToken was asked

    def env(self) -> dict[str, str]:
        """The environment of a command run by this person: their AWS files, their cache, the emulator."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "XDG_"))}
        return clean | {
            "AWS_CONFIG_FILE": str(self.home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "credentials"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def write_profiles(self, profile: str = "dev") -> None:
        """SPEC §14's layout: the key as `[dev-long-term]`, the two config profiles."""
        (self.home / "credentials").write_text(
            f"[{profile}-long-term]\naws_access_key_id = {self.access_key_id}\n"
            f"aws_secret_access_key = {self.secret_access_key}\n"
        )
        (self.home / "config").write_text(
            f"[profile {profile}-long-term]\nregion = eu-west-1\nmfa_serial = {self.serial}\n\n"
            f"[profile {profile}]\nregion = eu-west-1\nmfa_serial = {self.serial}\n"
            f"source_profile = {profile}-long-term\n"
            f"credential_process = {SCRIPT} credential-process --profile {profile}\n"
        )

    def cache(self) -> Path:
        """The CLI's cache directory."""
        return self.home / "cache" / "iam-onboarding"


@contextmanager
def emulated_account(home: Path, monkeypatch: Any) -> Iterator[Account]:
    """moto's server with user `ada` (key + MFA device); GetSessionToken calls recorded."""
    from moto.server import ThreadedMotoServer
    from moto.sts.responses import TokenResponse

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto's backends live in this process, shared by every server: start from an empty account.
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset", method="POST"))  # noqa: S310
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        iam.create_user(UserName="ada", Path="/onboarding/")
        key = iam.create_access_key(UserName="ada")["AccessKey"]
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName="ada")["VirtualMFADevice"]
        totp = pyotp.TOTP(device["Base32StringSeed"].decode())
        step = totp.timecode(datetime.now(UTC))
        iam.enable_mfa_device(
            UserName="ada",
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1=totp.generate_otp(step - 1),
            AuthenticationCode2=totp.generate_otp(step),
        )
        account = Account(
            endpoint, device["SerialNumber"], totp, key["AccessKeyId"], key["SecretAccessKey"], home
        )
        served = TokenResponse.get_session_token

        def spy(response: TokenResponse) -> Any:
            asked = ("SerialNumber", "TokenCode", "DurationSeconds")
            account.sessions.append({name: response._get_param(name) for name in asked})
            return served(response)

        monkeypatch.setattr(TokenResponse, "get_session_token", spy)
        yield account
    finally:
        server.stop()


@dataclass
class Run:
    """A finished command: exit code, its captured stdout and stderr, and what its terminal showed."""

    code: int
    stdout: str
    stderr: str
    terminal: str


def run_in_terminal(
    argv: list[str], env: dict[str, str], *, typed: str | None = None, timeout: float = 60
) -> Run:
    """Run `argv` as the AWS CLI runs a credential_process: stdout and stderr captured, stdin not a terminal,
    and a pty as its controlling terminal; when the terminal shows `: `, `typed` is typed there.
    """
    master, slave = os.openpty()
    try:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, our own command
            [sys.executable, "-c", ATTACH, os.ttyname(slave), *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        shown = b""
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                shown += os.read(master, 4096)  # the slave stays open here: no EIO between openers
                if typed is not None and shown.rstrip().endswith(b":"):
                    os.write(master, typed.encode() + b"\n")
                    typed = None
        stdout, stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(slave)
        os.close(master)
    return Run(process.returncode, stdout.decode(), stderr.decode(), shown.decode(errors="replace"))


def without_terminal(argv: list[str], env: dict[str, str]) -> Run:
    """Run `argv` with no controlling terminal at all (a new session), stdout and stderr captured."""
    result = subprocess.run(  # noqa: S603 - our own command
        argv,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        timeout=60,
    )
    return Run(result.returncode, result.stdout, result.stderr, "")


def age(account: Account, seconds_left: int) -> None:
    """Make every cached terminal session end `seconds_left` from now (what the passing of time does)."""
    ends = int(time.time()) + seconds_left
    expiration = datetime.fromtimestamp(ends, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for path in account.cache().glob("terminal-*"):
        text = path.read_text()
        if path.suffix == ".json":
            text = json.dumps(json.loads(text) | {"Expiration": expiration})
        else:
            head, _, answer = text.partition("\n")
            answer = json.dumps(json.loads(answer) | {"Expiration": expiration})
            text = f"{ends} {head.partition(' ')[2]}\n{answer}\n"
        path.write_text(text)
