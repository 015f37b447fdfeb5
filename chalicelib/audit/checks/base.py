"""What one audit check is (Prowler's shape): an id, a severity, a remediation and a pure function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chalicelib.audit.snapshot import AccountSnapshot
from chalicelib.models.audit import Finding, Severity

# (resource, message) pairs: a check says what is wrong and where; the Check adds the rest.
Failures = Iterable[tuple[str, str]]


@dataclass(frozen=True)
class Check:
    """One audit check. Its function's docstring says what it looks for, and where it deliberately differs
    from Prowler's check of that id."""

    id: str
    severity: Severity
    remediation: str
    evaluate: Callable[[AccountSnapshot], Failures]

    def execute(self, snapshot: AccountSnapshot) -> list[Finding]:
        """The findings of this check on `snapshot`; no I/O, so the same snapshot gives the same findings."""
        return [
            Finding(
                check_id=self.id,
                severity=self.severity,
                resource=resource,
                message=message,
                remediation=self.remediation,
            )
            for resource, message in self.evaluate(snapshot)
        ]


def check(
    *, id: str, severity: Severity, remediation: str
) -> Callable[[Callable[[AccountSnapshot], Failures]], Check]:
    """Make a function over a snapshot into a `Check`."""

    def wrap(evaluate: Callable[[AccountSnapshot], Failures]) -> Check:
        return Check(id, severity, remediation, evaluate)

    return wrap
