"""The CLI's errors: each is one line for the admin and an exit code (1 refused or failed, 2 usage)."""

from __future__ import annotations


class CliError(Exception):
    """Something refused or failed; printed as one line, exit code 1."""

    exit_code = 1


class UsageError(CliError):
    """The command line itself is wrong or incomplete; exit code 2, like argparse's own errors."""

    exit_code = 2


class ApiError(CliError):
    """The API answered with its error shape: `{"error": {"code", "message"}}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message} (HTTP {status})")
        self.status = status
        self.code = code


class Unreachable(CliError):
    """The API (or AWS) could not be reached at all: refused connection, DNS, timeout."""


class CredentialsError(CliError):
    """No usable AWS credentials, or AWS refused the MFA code."""
