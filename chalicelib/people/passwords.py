"""First passwords that satisfy the account's password policy, and that policy as this account sets it."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib import account
from chalicelib.aws_errors import error_code, retry_eventual

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

# The only non-alphanumeric characters IAM accepts in a password.
IAM_SYMBOLS = "!@#$%^&*()_+-=[]{}|'"
MAX_LENGTH = 128
DEFAULT_LENGTH = 24


@dataclass(frozen=True)
class PasswordPolicy:
    """The parts of an IAM account password policy that shape a new password.

    With no policy set, AWS's default rules apply: at least 8 characters and at least three of
    upper case, lower case, digits and symbols. A password with all four satisfies both.
    """

    minimum_length: int = 8
    require_uppercase: bool = True
    require_lowercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True


# People retype first passwords at the console: leave out what reads alike in many fonts.
LOOK_ALIKES = "O0Il1"


def _without_look_alikes(chars: str) -> str:
    return "".join(c for c in chars if c not in LOOK_ALIKES)


def generate_password(policy: PasswordPolicy) -> str:
    """A random password with every character class, as long as the policy asks (at least 24).

    It has no look-alike characters, and it starts with a letter: a spreadsheet opening
    `credentials.csv` reads a cell starting with `= + - @` as a formula, and quoting it there would
    change the password.
    """
    length = min(MAX_LENGTH, max(DEFAULT_LENGTH, policy.minimum_length))
    letters = _without_look_alikes(string.ascii_letters)
    classes = tuple(
        _without_look_alikes(c)
        for c in (string.ascii_uppercase, string.ascii_lowercase, string.digits, IAM_SYMBOLS)
    )
    alphabet = "".join(classes)
    chars = [secrets.choice(c) for c in classes]
    chars += [secrets.choice(alphabet) for _ in range(length - 1 - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return secrets.choice(letters) + "".join(chars)


def password_policy(iam: IAMClient) -> PasswordPolicy:
    """The policy new passwords must meet, or AWS's default rules when none is set (cached)."""

    def load() -> PasswordPolicy:
        policy = account.read_password_policy(iam)
        if policy is None:
            return PasswordPolicy()
        return PasswordPolicy(
            minimum_length=policy.get("MinimumPasswordLength", 8),
            require_uppercase=policy.get("RequireUppercaseCharacters", False),
            require_lowercase=policy.get("RequireLowercaseCharacters", False),
            require_numbers=policy.get("RequireNumbers", False),
            require_symbols=policy.get("RequireSymbols", False),
        )

    return account.cached("password_policy", load)


def put_first_password(iam: IAMClient, user_name: str, password: str, *, has_profile: bool) -> str:
    """Make `password` the user's console password, reset forced, with or without a login profile yet.

    Retry-safe: "it exists already" from CreateLoginProfile (a retry of this very call, or a profile made
    meanwhile) and "none" from UpdateLoginProfile each lead to the other call. Always passes a password:
    UpdateLoginProfile without one would leave the old password valid (and the emulator deletes the
    profile outright). Returns the call that took it; `FirstPasswordFailed` names the one that failed.
    """
    calls = {
        "CreateLoginProfile": iam.create_login_profile,
        "UpdateLoginProfile": iam.update_login_profile,
    }
    order = (
        ["UpdateLoginProfile", "CreateLoginProfile"]
        if has_profile
        else ["CreateLoginProfile", "UpdateLoginProfile"]
    )
    for step in order:
        try:
            retry_eventual(calls[step], UserName=user_name, Password=password, PasswordResetRequired=True)
        except ClientError as error:
            missing_or_there = "NoSuchEntity" if step == "UpdateLoginProfile" else "EntityAlreadyExists"
            if error_code(error) == missing_or_there and step == order[0]:
                continue
            raise FirstPasswordFailed(step, error) from error
        return step
    raise AssertionError("unreachable")


class FirstPasswordFailed(Exception):
    """Neither login-profile call took the password: `step` failed with `error`."""

    def __init__(self, step: str, error: ClientError) -> None:
        super().__init__(step)
        self.step = step
        self.error = error
