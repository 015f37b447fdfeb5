"""Services built on this container's clients and settings: the only place that wires them together."""

from __future__ import annotations

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.services.mfa import MfaEnrollment
from chalicelib.services.store import StateStore
from chalicelib.services.users import Provisioner


def store() -> StateStore:
    """The state table of this deployment."""
    return StateStore(aws.dynamodb(), settings().table_name)


def provisioner() -> Provisioner:
    """The user provisioner of this deployment."""
    return Provisioner(aws.iam(), store(), settings())


def mfa() -> MfaEnrollment:
    """MFA enrollment, enrollment links and MFA resets of this deployment."""
    return MfaEnrollment(aws.iam(), store(), settings())
