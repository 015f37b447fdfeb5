"""What an AWS error means to the product: its code, whether to retry, and the one product error for it.

Every AWS failure a caller sees goes through `step_error` (a step of an operation failed) or
`unexpected_error` (a call no operation expected to fail); neither repeats AWS's own message, which can
echo request parameters.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.errors import AwsStepFailed, AwsUnavailable

# IAM is eventually consistent: a user or group created a moment ago can answer these for a while.
# botocore does not retry them, so we do.
EVENTUAL_CONSISTENCY_CODES = frozenset({"EntityTemporarilyUnmodifiable", "ConcurrentModification"})

# Errors that mean "AWS is busy or broken, try later" rather than "this request is wrong" (IAM, STS and
# DynamoDB spellings); botocore, or `retry_eventual`, has retried them already when they reach our code.
UNAVAILABLE_CODES = EVENTUAL_CONSISTENCY_CODES | frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "ServiceFailure",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
    }
)


# One step of an operation: its name in an error message (`DeleteLoginProfile`), and the call.
type Step = tuple[str, Callable[[], Any]]


def error_code(error: ClientError) -> str:
    """The AWS error code of a ClientError (`NoSuchEntity`, `Throttling`, ...)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def retry_eventual[T](call: Callable[..., T], *args: Any, attempts: int = 4, **kwargs: Any) -> T:
    """Call an IAM API, retrying IAM's eventual-consistency errors with jittered backoff."""
    for attempt in range(attempts):
        try:
            return call(*args, **kwargs)
        except ClientError as error:
            if error_code(error) not in EVENTUAL_CONSISTENCY_CODES or attempt == attempts - 1:
                raise
            time.sleep(min(2.0, 0.1 * 2**attempt) * (0.5 + random.random() / 2))  # noqa: S311
    raise AssertionError("unreachable")


def _code_of(error: BaseException) -> str:
    return error_code(error) if isinstance(error, ClientError) else type(error).__name__


def step_error(
    action: str,
    step: str,
    error: BaseException,
    *,
    leftovers: list[str] | None = None,
    outcome: str | None = None,
) -> AwsStepFailed:
    """The error for a failed AWS step of `action`: the step, the AWS code, and what the failure left.

    503 when AWS is busy or failing (try again later), 502 otherwise. `outcome` says what the person
    should know or do when "nothing was left behind" (or the `leftovers` to remove by hand) is not the
    story, e.g. when an earlier step cannot be undone.
    """
    code = _code_of(error)
    if outcome is None:
        outcome = (
            f"Cleaning up failed too; remove by hand: {', '.join(leftovers)}."
            if leftovers
            else "Nothing was left behind."
        )
    if code in EVENTUAL_CONSISTENCY_CODES:
        return AwsUnavailable(
            step, code, f"{action} failed at {step}: IAM is still applying a recent change. {outcome}"
        )
    cls = AwsUnavailable if code in UNAVAILABLE_CODES else AwsStepFailed
    return cls(step, code, f"{action} failed at {step} ({code}). {outcome}")


def unexpected_error(error: ClientError) -> AwsStepFailed:
    """The error for an AWS error no operation translated: the call and the code, nothing more."""
    code, step = error_code(error), error.operation_name
    if code in UNAVAILABLE_CODES:
        return AwsUnavailable(step, code, f"AWS is busy or failing ({code} from {step}); try again later.")
    return AwsStepFailed(step, code, f"AWS refused {step} ({code}).")


def failure_text(error: BaseException) -> str:
    """How a failure is written in the admin trail: what failed and its code, never a message."""
    if isinstance(error, AwsStepFailed):
        return f"failed: {type(error).__name__} at {error.step} ({error.aws_code})"
    if isinstance(error, ClientError):
        return f"failed: {error_code(error)} from {error.operation_name}"
    return f"failed: {type(error).__name__}"


def run_steps(action: str, steps: Iterable[Step], *, outcome: str) -> None:
    """Run IAM removal steps in order, each retried while IAM settles; "already gone" is done.

    Any other error stops the run as `step_error(action, step, …, outcome=outcome)`: the steps before it
    are done, and running them all again carries on where it stopped.
    """
    for step, call in steps:
        try:
            retry_eventual(call)
        except ClientError as error:
            if error_code(error) == "NoSuchEntity":
                continue
            raise step_error(action, step, error, outcome=outcome) from error
