"""The test oracle for first passwords: what IAM would accept under a policy."""

from __future__ import annotations

import string

from chalicelib.people.passwords import IAM_SYMBOLS, MAX_LENGTH, PasswordPolicy


def satisfies(password: str, policy: PasswordPolicy) -> bool:
    """Whether `password` meets `policy` and uses only characters IAM accepts."""
    allowed = set(string.ascii_letters + string.digits + IAM_SYMBOLS)
    return (
        policy.minimum_length <= len(password) <= MAX_LENGTH
        and set(password) <= allowed
        and (not policy.require_uppercase or any(c.isupper() for c in password))
        and (not policy.require_lowercase or any(c.islower() for c in password))
        and (not policy.require_numbers or any(c.isdigit() for c in password))
        and (not policy.require_symbols or any(c in IAM_SYMBOLS for c in password))
    )
