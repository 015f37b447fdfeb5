"""Per-account facts (password policy, alias, console URL), and the TTL cache warm containers keep them in."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.aws_errors import error_code
from chalicelib.models import AccountFacts

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_iam.type_defs import PasswordPolicyTypeDef

# Long enough to take these calls off nearly every request, short enough that a policy change applies
# within minutes without a redeploy.
CACHE_SECONDS = 300.0
# How long a failure that `cached` is told to keep (a secret that does not exist) is answered from memory:
# an anonymous flood then costs AWS one call a minute, and the fix an operator makes applies within one.
MISSING_SECONDS = 60.0

_cache: dict[str, tuple[float, object]] = {}
_failures: dict[str, tuple[float, Exception]] = {}
_lock = threading.Lock()


def cached[T](key: str, load: Callable[[], T], *, keep: tuple[type[Exception], ...] = ()) -> T:
    """`load()`, remembered under `key` for `CACHE_SECONDS`.

    A failure is not remembered, unless it is one of `keep`: that is raised again for `MISSING_SECONDS`.
    """
    now = time.monotonic()
    with _lock:
        hit, failed = _cache.get(key), _failures.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]  # type: ignore[return-value]
    if failed is not None and now - failed[0] < MISSING_SECONDS:
        raise failed[1]
    try:
        value = load()
    except keep as error:
        with _lock:
            _failures[key] = (now, error)
        raise
    with _lock:
        _cache[key] = (now, value)
        _failures.pop(key, None)
    return value


def forget() -> None:
    """Drop every cached fact (tests, or after changing the account)."""
    with _lock:
        _cache.clear()
        _failures.clear()


def read_password_policy(iam: IAMClient) -> PasswordPolicyTypeDef | None:
    """The account password policy as IAM states it, or None when the account has none (uncached)."""
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        raise


def account_alias(iam: IAMClient) -> str | None:
    """The account alias, if the account has one."""
    return cached("alias", lambda: next(iter(iam.list_account_aliases()["AccountAliases"]), None))


def account_id_from_arn(arn: str) -> str:
    """The 12-digit account id inside an ARN."""
    return arn.split(":")[4]


def console_url(account_id: str, alias: str | None) -> str:
    """The console sign-in URL, by alias when there is one."""
    return f"https://{alias or account_id}.signin.aws.amazon.com/console"


def facts(account_id: str, alias: str | None, region: str) -> AccountFacts:
    """What the newcomer's page shows of the account: the console link and the terminal profile's data."""
    return AccountFacts(
        console_url=console_url(account_id, alias), account_id=account_id, account_alias=alias, region=region
    )
