"""Services built on this container's clients and settings: the only place that wires them together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.services.mfa import MfaEnrollment
from chalicelib.services.store import StateStore
from chalicelib.services.users import Provisioner

if TYPE_CHECKING:
    from chalicelib.services.audit import Auditor


def store() -> StateStore:
    """The state table of this deployment."""
    return StateStore(aws.dynamodb(), settings().table_name)


def provisioner() -> Provisioner:
    """The user provisioner of this deployment."""
    return Provisioner(aws.iam(), store(), settings())


def mfa() -> MfaEnrollment:
    """MFA enrollment, enrollment links and MFA resets of this deployment."""
    return MfaEnrollment(aws.iam(), store(), settings())


def auditor(*, report_deadline: float = 20.0) -> Auditor:
    """The daily audit of this deployment: `.run()` audits, stores and returns; `.latest()` reads back.

    `report_deadline` bounds the wait for IAM's credential report: 20 s fits API Gateway's 29 s limit.
    """
    # Imported here so that routes which never audit do not load the checks on a cold start.
    from chalicelib.config import audit_stalled_after
    from chalicelib.services.audit import Auditor

    return Auditor(
        aws.iam(), store(), settings(), stalled_after=audit_stalled_after(), report_deadline=report_deadline
    )
