"""Reading the account for the audit: each `fetch_*` reads one source once, and returns what the checks need.

The sources are the credential report, paginated GetAccountAuthorizationDetails, the unassigned virtual MFA
devices, the password policy, the account summary and the service's secret parameters. Only users the
report marks without MFA cost one more call each (`devices.with_mfa`).
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib import account
from chalicelib.audit.snapshot import (
    AccessKeyRow,
    CredentialRow,
    IamGroup,
    IamUser,
    PasswordPolicyFacts,
    RootFacts,
    SecretParameter,
)
from chalicelib.aws_errors import error_code
from chalicelib.config import POLICIES_DIR
from chalicelib.errors import CredentialReportNotReady

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_ssm import SSMClient

    from chalicelib.config import GroupSpec

# IAM's largest page: a 5,000-user account is six pages of authorization details instead of fifty.
PAGE_SIZE = 1000
# Credential-report values that mean "no date": never used, before tracking began, or not applicable.
_NO_DATE = frozenset({"N/A", "no_information", "not_supported", ""})


@dataclass(frozen=True)
class CredentialReport:
    """The credential report as IAM generated it: rows per user, root included."""

    generated_at: datetime | None
    rows: tuple[CredentialRow, ...]


def _date(value: str) -> datetime | None:
    return None if value in _NO_DATE else datetime.fromisoformat(value.replace("Z", "+00:00"))


def parse_credential_report(content: bytes | str) -> tuple[CredentialRow, ...]:
    """The rows of a credential report's CSV."""
    text = content.decode() if isinstance(content, bytes) else content
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        keys = tuple(
            AccessKeyRow(
                number=n,
                active=r[f"access_key_{n}_active"] == "true",
                last_rotated=_date(r[f"access_key_{n}_last_rotated"]),
                last_used=_date(r[f"access_key_{n}_last_used_date"]),
            )
            for n in (1, 2)
            if r[f"access_key_{n}_active"] == "true" or _date(r[f"access_key_{n}_last_rotated"])
        )
        rows.append(
            CredentialRow(
                user=r["user"],
                arn=r["arn"],
                password_enabled=r["password_enabled"] == "true",  # noqa: S105 - a flag, not a password
                password_last_used=_date(r["password_last_used"]),
                mfa_active=r["mfa_active"] == "true",
                access_keys=keys,
            )
        )
    return tuple(rows)


def fetch_credential_report(
    iam: IAMClient,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float = 20.0,
) -> CredentialReport:
    """Ask IAM for a credential report and poll, backing off, until it is ready or `deadline` passes.

    IAM answers COMPLETE at once while its last report is under 4 hours old, so usually this is one
    GenerateCredentialReport and one GetCredentialReport.
    """
    start, delay = monotonic(), 0.5
    while iam.generate_credential_report()["State"] != "COMPLETE":
        if monotonic() - start + delay > deadline:
            raise CredentialReportNotReady(
                "AWS is still generating the credential report; run the audit again in a minute."
            )
        sleep(delay)
        delay = min(delay * 2, 8.0)
    report = iam.get_credential_report()
    generated = report.get("GeneratedTime")
    return CredentialReport(
        generated_at=generated.astimezone(UTC) if generated else None,
        rows=parse_credential_report(report["Content"]),
    )


def _document(document: Any) -> Any:
    # botocore decodes policy documents into dicts; a raw API answer is URL-encoded JSON.
    return json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document


@dataclass(frozen=True)
class AuthorizationDetails:
    """Users, groups and local managed policies' default documents, from GetAccountAuthorizationDetails."""

    users: dict[str, IamUser]
    groups: dict[str, IamGroup]
    policies: dict[str, Any]


def fetch_authorization_details(iam: IAMClient) -> AuthorizationDetails:
    """Every user, group and local managed policy, in pages of 1,000."""
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Group", "LocalManagedPolicy"], PaginationConfig={"PageSize": PAGE_SIZE}
    )
    users: dict[str, IamUser] = {}
    groups: dict[str, IamGroup] = {}
    policies: dict[str, Any] = {}
    for page in pages:
        for u in page.get("UserDetailList", []):
            users[u["UserName"]] = IamUser(
                name=u["UserName"],
                arn=u["Arn"],
                path=u.get("Path", "/"),
                created_at=u["CreateDate"].astimezone(UTC),
                groups=tuple(u.get("GroupList", [])),
                attached_policies=tuple(p["PolicyName"] for p in u.get("AttachedManagedPolicies", [])),
                inline_policies=tuple(p["PolicyName"] for p in u.get("UserPolicyList", [])),
            )
        for g in page.get("GroupDetailList", []):
            groups[g["GroupName"]] = IamGroup(
                name=g["GroupName"],
                attached_policies=tuple(p["PolicyName"] for p in g.get("AttachedManagedPolicies", [])),
            )
        for p in page.get("Policies", []):
            versions = p.get("PolicyVersionList", [])
            default = next((v for v in versions if v.get("VersionId") == p.get("DefaultVersionId")), None)
            if default is not None:
                # The name is the ARN's last segment (the emulator leaves PolicyName out of this answer).
                policies[p["Arn"].rsplit("/", 1)[1]] = _document(default.get("Document"))
    return AuthorizationDetails(users, groups, policies)


def fetch_unassigned_mfa_devices(iam: IAMClient) -> tuple[str, ...]:
    """The serial numbers of virtual MFA devices assigned to nobody, in pages of 1,000.

    Only unassigned ones: listing every device would cost a page per 1,000 healthy users, and the
    credential report already says who has MFA.
    """
    pages = iam.get_paginator("list_virtual_mfa_devices").paginate(
        AssignmentStatus="Unassigned", PaginationConfig={"PageSize": PAGE_SIZE}
    )
    return tuple(d["SerialNumber"] for page in pages for d in page["VirtualMFADevices"])


def fetch_password_policy(iam: IAMClient) -> PasswordPolicyFacts | None:
    """The account password policy, fresh (not the cached one), or None when the account has none."""
    p = account.read_password_policy(iam)
    if p is None:
        return None
    return PasswordPolicyFacts(
        minimum_length=p.get("MinimumPasswordLength", 6),
        require_uppercase=p.get("RequireUppercaseCharacters", False),
        require_lowercase=p.get("RequireLowercaseCharacters", False),
        require_numbers=p.get("RequireNumbers", False),
        require_symbols=p.get("RequireSymbols", False),
        reuse_prevention=p.get("PasswordReusePrevention"),
    )


def fetch_root_facts(iam: IAMClient) -> RootFacts:
    """Root's MFA and access keys, from the account summary (current, unlike the credential report)."""
    summary = iam.get_account_summary()["SummaryMap"]
    return RootFacts(
        mfa_enabled=summary.get("AccountMFAEnabled", 0) == 1,
        access_keys_present=summary.get("AccountAccessKeysPresent", 0) == 1,
    )


def fetch_secret_parameters(
    ssm: SSMClient, kms: KMSClient, names: Sequence[str]
) -> tuple[SecretParameter, ...]:
    """What SSM says of the service's secret parameters (type and key, never the value).

    DescribeParameters names the key as it was given (`alias/aws/ssm`, a key id, an ARN, another
    alias): each is resolved to its key ARN by KMS, so the check compares keys, not spellings.
    """
    if not names:
        return ()
    found: list[SecretParameter] = []
    paginator = ssm.get_paginator("describe_parameters")
    for page in paginator.paginate(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": list(names)}]
    ):
        for p in page["Parameters"]:
            key_id = p.get("KeyId")
            found.append(SecretParameter(p["Name"], p.get("Type", ""), key_id, _key_arn(kms, key_id)))
    return tuple(sorted(found, key=lambda p: p.name))


def _key_arn(kms: KMSClient, key_id: str | None) -> str | None:
    if not key_id:
        return None
    try:
        return kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
    except ClientError as error:
        if error_code(error) in ("NotFoundException", "AccessDeniedException"):
            return None  # not a key the stack's could be: the check reports it
        raise


def read_expected_policies(groups: Mapping[str, GroupSpec]) -> dict[str, Any]:
    """The documents the service deploys for the managed groups' local policies, by policy name."""
    names = {name for spec in groups.values() for name in spec.local_policies}
    return {name: json.loads((POLICIES_DIR / f"{name.lower()}.json").read_text()) for name in names}
