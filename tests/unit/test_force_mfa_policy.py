"""`policies/force-mfa.json` yields every decision of SPEC §3, statement by statement.

Without MFA a user may change her own password, read the password policy and read or resync her own
devices, and nothing else: adding a device needs an MFA session, so a password or a leaked access key
alone cannot enroll a second authenticator and mint an MFA session (newcomers enroll through the
service's role, not their own permissions).

The table is evaluated over the union of Force-MFA and the AWS managed policy the group attaches, taken
from moto's copy of the AWS managed policies (the real documents), with the small evaluator in
`tests/iam_eval.py`. moto itself evaluates no IAM conditions, so it cannot answer these questions.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

import pytest

from chalicelib.config import POLICIES_DIR, load_groups_manifest
from tests.iam_eval import Decision, Request, evaluate, matching, resource_matches

ACCOUNT = "123456789012"
OWN_USER = ["arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:user/*/${aws:username}"]

NO_MFA = {"aws:MultiFactorAuthPresent": "false"}
LONG_TERM_KEY: dict[str, str] = {}  # a long-term access key carries no aws:MultiFactorAuthPresent at all
MFA_SESSION = {"aws:MultiFactorAuthPresent": "true"}
CONTEXTS = {"no MFA": NO_MFA, "long-term key": LONG_TERM_KEY, "MFA session": MFA_SESSION}

ALICE_ARNS = [f"arn:aws:iam::{ACCOUNT}:user/onboarding/alice", f"arn:aws:iam::{ACCOUNT}:user/alice"]
OTHER_USERS = [
    f"arn:aws:iam::{ACCOUNT}:user/onboarding/bob",
    f"arn:aws:iam::{ACCOUNT}:user/bob",
    f"arn:aws:iam::{ACCOUNT}:user/onboarding/malice",
    f"arn:aws:iam::{ACCOUNT}:user/malice",
    f"arn:aws:iam::{ACCOUNT}:user/alice2",
    f"arn:aws:iam::{ACCOUNT}:user/admin",
]
DEVICES = [
    f"arn:aws:iam::{ACCOUNT}:mfa/alice",
    f"arn:aws:iam::{ACCOUNT}:mfa/alice-phone-2",
    f"arn:aws:iam::{ACCOUNT}:mfa/onboarding-7f3c9a",
    f"arn:aws:iam::{ACCOUNT}:mfa/Work.Phone",
    f"arn:aws:iam::{ACCOUNT}:mfa/onboarding/alice",
]

# `aws login`'s OAuth2 client, as SignInLocalDevelopmentAccess names it (`oauth2/public-client/*`).
SIGNIN_CLIENTS = [
    f"arn:aws:signin:eu-west-1:{ACCOUNT}:oauth2/public-client/localhost",
    f"arn:aws:signin:us-east-1:{ACCOUNT}:oauth2/public-client/remote",
]

A, D = "allow", "deny"
OWN, ANY_USER, OTHER_USER, DEVICE = "own user", "any user", "another user", "mfa/<any name>"
SIGNIN = "oauth2/public-client/*"

# SPEC §3, row by row: (action, resource, decisions for no MFA / long-term key / MFA session).
SPEC_TABLE: list[tuple[str, str, tuple[str, str, str]]] = [
    ("iam:ChangePassword", OWN, (A, A, A)),
    ("iam:GetAccountPasswordPolicy", "*", (A, A, A)),
    ("iam:CreateVirtualMFADevice", DEVICE, (D, D, A)),
    ("iam:ListVirtualMFADevices", "*", (D, D, A)),
    ("iam:EnableMFADevice", OWN, (D, D, A)),
    ("iam:ListMFADevices", OWN, (A, A, A)),
    ("iam:ResyncMFADevice", OWN, (A, A, A)),
    ("iam:EnableMFADevice", OTHER_USER, (D, D, D)),
    ("iam:DeactivateMFADevice", OWN, (D, D, A)),
    ("s3:ListAllMyBuckets", "*", (D, D, A)),
    ("ec2:DescribeInstances", "*", (D, D, A)),
    # Her own access keys, self-service with MFA (SPEC §14): a key for `iam-onboarding credential-process`.
    ("iam:CreateAccessKey", OWN, (D, D, A)),
    ("iam:UpdateAccessKey", OWN, (D, D, A)),
    ("iam:DeleteAccessKey", OWN, (D, D, A)),
    ("iam:ListAccessKeys", OWN, (D, D, A)),
    # `aws login` (AWS CLI 2.32+), keyless: the two actions of SignInLocalDevelopmentAccess.
    ("signin:AuthorizeOAuth2Access", SIGNIN, (D, D, A)),
    ("signin:CreateOAuth2Token", SIGNIN, (D, D, A)),
    ("iam:CreateUser", ANY_USER, (D, D, D)),
    ("iam:CreateAccessKey", OTHER_USER, (D, D, D)),
]


@functools.cache
def _managed_policies() -> dict[str, Any]:
    # The module itself, not `moto.iam.models`, whose copy tests/conftest.py trims.
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def managed_policy(arn: str) -> dict[str, Any]:
    """The document of an AWS managed policy, as moto ships it."""
    return copy.deepcopy(_managed_policies()[arn.rsplit("/", 1)[1]]["Document"])


def force_mfa() -> dict[str, Any]:
    """A fresh copy of the policy under test."""
    return json.loads((POLICIES_DIR / "force-mfa.json").read_text())


def group_policies(group: str) -> list[dict[str, Any]]:
    """Every policy the manifest attaches to `group`, AWS managed ones first."""
    spec = load_groups_manifest()[group]
    assert spec.local_policies == ("Force-MFA",)
    return [*(managed_policy(arn) for arn in spec.managed_policy_arns), force_mfa()]


def statement(sid: str) -> dict[str, Any]:
    """The Force-MFA statement with this Sid."""
    (found,) = [s for s in force_mfa()["Statement"] if s["Sid"] == sid]
    return found


def without(sid: str) -> dict[str, Any]:
    """Force-MFA with one statement removed."""
    policy = force_mfa()
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != sid]
    return policy


def as_alice(action: str, resource: str, context: dict[str, str]) -> Request:
    return Request(action, resource, {"aws:username": "alice", **context})


def _resources(kind: str, alice: str) -> list[str]:
    return {
        OWN: [alice],
        OTHER_USER: OTHER_USERS,
        ANY_USER: [alice, *OTHER_USERS],
        DEVICE: DEVICES,
        SIGNIN: SIGNIN_CLIENTS,
    }.get(kind, [kind])


def _table_cases() -> list[Any]:
    cases = []
    for action, kind, decisions in SPEC_TABLE:
        for alice in ALICE_ARNS:
            for resource in _resources(kind, alice):
                for (label, context), expected in zip(CONTEXTS.items(), decisions, strict=True):
                    name = f"{action} on {resource.split(':', 5)[-1]} as {alice.split(':', 5)[-1]} | {label}"
                    cases.append(pytest.param(action, resource, context, expected, id=name))
    return cases


@pytest.mark.parametrize(("action", "resource", "context", "expected"), _table_cases())
def test_alice_in_developer_gets_the_spec_decision(
    action: str, resource: str, context: dict[str, str], expected: str
) -> None:
    decision = evaluate(group_policies("developer"), as_alice(action, resource, context))
    assert (A if decision.allowed else D) == expected


def test_the_readme_shows_the_table_these_tests_check() -> None:
    rows = set()
    for line in (POLICIES_DIR / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and all(c.split(" ")[0] in (A, D) for c in cells[1:]):
            decisions = tuple(c.split(" ")[0] for c in cells[1:])
            rows |= {(action, decisions) for action in re.findall(r"`(\w+:\w+)`", cells[0])}
    assert rows == {(action, decisions) for action, _, decisions in SPEC_TABLE}


# --- The console and CLI paths to an MFA session ------------------------------------------------------


@pytest.mark.parametrize("alice", ALICE_ARNS)
def test_with_mfa_the_policy_alone_lets_the_console_mfa_page_read_alice_and_the_virtual_devices(
    alice: str,
) -> None:
    # Force-MFA alone, so the page works whatever the group's other policy reads.
    assert evaluate([force_mfa()], as_alice("iam:GetUser", alice, MFA_SESSION)) is Decision.ALLOW
    assert evaluate([force_mfa()], as_alice("iam:ListVirtualMFADevices", "*", MFA_SESSION)) is Decision.ALLOW


@pytest.mark.parametrize("context", [NO_MFA, LONG_TERM_KEY], ids=["no MFA", "long-term key"])
@pytest.mark.parametrize("alice", ALICE_ARNS)
def test_without_mfa_alice_reads_her_own_devices_but_neither_her_user_nor_the_accounts_devices(
    alice: str, context: dict[str, str]
) -> None:
    # ReadOnlyAccess grants all three; listing every virtual device would enumerate the account's users.
    policies = group_policies("developer")
    assert evaluate(policies, as_alice("iam:ListMFADevices", alice, context)) is Decision.ALLOW
    assert evaluate(policies, as_alice("iam:GetUser", alice, context)) is Decision.EXPLICIT_DENY
    assert evaluate(policies, as_alice("iam:ListVirtualMFADevices", "*", context)) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS.keys())
def test_get_session_token_is_never_denied_so_the_cli_can_get_an_mfa_session(context: dict[str, str]) -> None:
    assert (
        evaluate(group_policies("developer"), as_alice("sts:GetSessionToken", "*", context)) is Decision.ALLOW
    )
    # GetSessionToken needs no grant of its own; what matters is that Force-MFA never denies it.
    assert (
        evaluate([force_mfa()], as_alice("sts:GetSessionToken", "*", context)) is not Decision.EXPLICIT_DENY
    )


@pytest.mark.parametrize("context", [NO_MFA, LONG_TERM_KEY], ids=["no MFA", "long-term key"])
@pytest.mark.parametrize("other", OTHER_USERS)
def test_without_mfa_alice_reads_no_other_user(other: str, context: dict[str, str]) -> None:
    # ReadOnlyAccess grants iam:GetUser on every user; before MFA only her own is left.
    for action in ("iam:GetUser", "iam:ListMFADevices"):
        assert (
            evaluate(group_policies("developer"), as_alice(action, other, context)) is Decision.EXPLICIT_DENY
        )


# --- The administrator group: AdministratorAccess + Force-MFA ----------------------------------------

ADMIN_TABLE: list[tuple[str, str, tuple[str, str, str]]] = [
    ("iam:ChangePassword", OWN, (A, A, A)),
    ("iam:ListMFADevices", OWN, (A, A, A)),
    # An admin's leaked key must not enroll a second device and mint an MFA session (security finding 6).
    ("iam:CreateVirtualMFADevice", DEVICE, (D, D, A)),
    ("iam:EnableMFADevice", OWN, (D, D, A)),
    ("iam:EnableMFADevice", OTHER_USER, (D, D, A)),
    ("iam:ResyncMFADevice", OTHER_USER, (D, D, A)),
    ("iam:GetUser", OTHER_USER, (D, D, A)),
    ("iam:DeactivateMFADevice", OWN, (D, D, A)),
    ("iam:DeleteVirtualMFADevice", DEVICE, (D, D, A)),
    ("iam:CreateUser", ANY_USER, (D, D, A)),
    ("iam:CreateAccessKey", ANY_USER, (D, D, A)),
    ("signin:CreateOAuth2Token", SIGNIN, (D, D, A)),
]


def _admin_cases() -> list[Any]:
    cases = []
    for action, kind, decisions in ADMIN_TABLE:
        for resource in _resources(kind, ALICE_ARNS[0]):
            for (label, context), expected in zip(CONTEXTS.items(), decisions, strict=True):
                name = f"{action} on {resource.split(':', 5)[-1]} | {label}"
                cases.append(pytest.param(action, resource, context, expected, id=name))
    return cases


@pytest.mark.parametrize(("action", "resource", "context", "expected"), _admin_cases())
def test_an_administrator_without_mfa_gets_only_self_service_on_their_own_user(
    action: str, resource: str, context: dict[str, str], expected: str
) -> None:
    decision = evaluate(group_policies("administrator"), as_alice(action, resource, context))
    assert (A if decision.allowed else D) == expected


# --- Statement by statement ---------------------------------------------------------------------------


def test_the_policy_has_exactly_the_documented_statements() -> None:
    assert [s["Sid"] for s in force_mfa()["Statement"]] == [
        "AllowViewPasswordPolicy",
        "AllowChangeOwnPassword",
        "AllowReadAndResyncOwnMFADevices",
        "AllowListVirtualMFADevicesOnlyWithMFA",
        "AllowCreateVirtualMFADeviceOnlyWithMFA",
        "AllowManageOwnMFADevicesOnlyWithMFA",
        "AllowManageOwnAccessKeysOnlyWithMFA",
        "AllowAwsLoginOnlyWithMFA",
        "DenyAllExceptListedIfNoMFA",
        "DenyOtherUsersSelfServiceIfNoMFA",
        "DenyApiCallsIfNoMFAExceptTheSessionReport",
    ]


def test_the_policy_is_documented_statement_by_statement_in_the_readme() -> None:
    readme = (POLICIES_DIR / "README.md").read_text()
    for s in force_mfa()["Statement"]:
        assert f"`{s['Sid']}`" in readme


def test_view_password_policy_allows_only_the_password_policy_in_every_context() -> None:
    # The password-change screen shows the rules; the action has no resource-level permissions.
    assert statement("AllowViewPasswordPolicy") == {
        "Sid": "AllowViewPasswordPolicy",
        "Effect": "Allow",
        "Action": ["iam:GetAccountPasswordPolicy"],
        "Resource": "*",
    }


def test_change_own_password_is_unconditional_and_scoped_to_alice() -> None:
    s = statement("AllowChangeOwnPassword")
    assert (s["Effect"], s["Action"], s["Resource"]) == ("Allow", ["iam:ChangePassword"], OWN_USER)
    assert "Condition" not in s


def test_reading_and_resyncing_her_own_devices_is_unconditional_and_scoped_to_alice() -> None:
    s = statement("AllowReadAndResyncOwnMFADevices")
    assert (s["Effect"], s["Action"], s["Resource"]) == (
        "Allow",
        ["iam:ListMFADevices", "iam:ResyncMFADevice"],
        OWN_USER,
    )
    assert "Condition" not in s


def test_without_mfa_the_policy_grants_only_the_password_change_and_her_own_devices_reads() -> None:
    unconditional = {
        action
        for s in force_mfa()["Statement"]
        if s["Effect"] == "Allow" and "Condition" not in s
        for action in s["Action"]
    }
    assert unconditional == {
        "iam:ChangePassword",
        "iam:GetAccountPasswordPolicy",
        "iam:ListMFADevices",
        "iam:ResyncMFADevice",
    }


WITH_MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_listing_the_accounts_virtual_devices_needs_an_mfa_session() -> None:
    assert statement("AllowListVirtualMFADevicesOnlyWithMFA") == {
        "Sid": "AllowListVirtualMFADevicesOnlyWithMFA",
        "Effect": "Allow",
        "Action": ["iam:ListVirtualMFADevices"],
        "Resource": "*",
        "Condition": WITH_MFA,
    }


def test_creating_a_virtual_device_needs_an_mfa_session_and_allows_any_device_name_and_path() -> None:
    assert statement("AllowCreateVirtualMFADeviceOnlyWithMFA") == {
        "Sid": "AllowCreateVirtualMFADeviceOnlyWithMFA",
        "Effect": "Allow",
        "Action": ["iam:CreateVirtualMFADevice"],
        "Resource": "arn:aws:iam::*:mfa/*",
        "Condition": WITH_MFA,
    }


def test_enabling_or_deactivating_her_own_device_needs_a_present_mfa_not_merely_an_absent_false() -> None:
    s = statement("AllowManageOwnMFADevicesOnlyWithMFA")
    assert (s["Effect"], s["Action"], s["Resource"]) == (
        "Allow",
        ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:GetUser"],
        OWN_USER,
    )
    # Bool, not BoolIfExists: a long-term key (key absent) must neither add nor remove a device.
    assert s["Condition"] == WITH_MFA


def test_managing_her_own_access_keys_needs_a_present_mfa_and_names_only_her_user() -> None:
    # AWS's "manage own credentials with MFA" example, keys only. "At most one active key" is no policy
    # IAM can express (no condition counts keys): the CLI's doctor and the audit's
    # iam_user_two_active_access_key report a second one.
    assert statement("AllowManageOwnAccessKeysOnlyWithMFA") == {
        "Sid": "AllowManageOwnAccessKeysOnlyWithMFA",
        "Effect": "Allow",
        "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"],
        "Resource": OWN_USER,
        "Condition": WITH_MFA,
    }


def test_aws_login_is_allowed_with_mfa_only_and_scoped_as_sign_in_local_development_access() -> None:
    s = statement("AllowAwsLoginOnlyWithMFA")
    (aws,) = managed_policy("arn:aws:iam::aws:policy/SignInLocalDevelopmentAccess")["Statement"]
    assert (s["Effect"], s["Action"], s["Resource"]) == (aws["Effect"], aws["Action"], aws["Resource"])
    assert s["Resource"] == "arn:aws:signin:*:*:oauth2/public-client/*"
    assert s["Condition"] == WITH_MFA


def test_the_no_mfa_deny_exempts_exactly_the_first_password_change_and_her_own_devices_reads() -> None:
    s = statement("DenyAllExceptListedIfNoMFA")
    assert (s["Effect"], s["Resource"]) == ("Deny", "*")
    assert s["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    unconditional_allows = {
        action
        for a in force_mfa()["Statement"]
        if a["Effect"] == "Allow" and "Condition" not in a
        for action in a["Action"]
    }
    # Each exemption is granted by Force-MFA itself, except GetSessionToken, which needs no grant, and
    # execute-api:Invoke, which DenyApiCallsIfNoMFAExceptTheSessionReport denies on all but one route.
    assert set(s["NotAction"]) == unconditional_allows | {"sts:GetSessionToken", "execute-api:Invoke"}
    assert set(s["NotAction"]) == {
        "iam:ChangePassword",
        "iam:GetAccountPasswordPolicy",
        "iam:ListMFADevices",
        "iam:ResyncMFADevice",
        "sts:GetSessionToken",
        "execute-api:Invoke",
    }
    # What adds, removes or lists devices, and her own user's record, wait for MFA like the rest.
    assert not set(s["NotAction"]) & set(statement("AllowManageOwnMFADevicesOnlyWithMFA")["Action"])
    assert "iam:CreateVirtualMFADevice" not in s["NotAction"]
    assert "iam:ListVirtualMFADevices" not in s["NotAction"]


def test_the_other_users_deny_covers_every_user_scoped_exemption() -> None:
    s = statement("DenyOtherUsersSelfServiceIfNoMFA")
    assert s["Effect"] == "Deny"
    assert s["NotResource"] == OWN_USER
    assert s["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    user_scoped = {
        action
        for a in force_mfa()["Statement"]
        if a["Effect"] == "Allow" and a["Resource"] == OWN_USER and "Condition" not in a
        for action in a["Action"]
    }
    assert set(s["Action"]) == user_scoped
    assert set(s["Action"]) == set(statement("DenyAllExceptListedIfNoMFA")["NotAction"]) - {
        "iam:GetAccountPasswordPolicy",
        "sts:GetSessionToken",
        "execute-api:Invoke",
    }


def test_the_api_deny_spares_only_the_session_report_without_mfa() -> None:
    assert statement("DenyApiCallsIfNoMFAExceptTheSessionReport") == {
        "Sid": "DenyApiCallsIfNoMFAExceptTheSessionReport",
        "Effect": "Deny",
        "Action": "execute-api:Invoke",
        "NotResource": "arn:aws:execute-api:*:*:*/*/GET/session",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    }


SESSION = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/api/GET/session"
OTHER_ROUTES = [
    "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/api/GET/session/mfa",
    "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/api/POST/admin/users",
    "arn:aws:execute-api:us-east-1:123456789012:f9e8d7c6b5/prod/GET/orders",
]


@pytest.mark.parametrize("context", [NO_MFA, LONG_TERM_KEY], ids=["no MFA", "long-term key"])
def test_without_mfa_an_administrator_may_ask_the_session_report_and_call_no_other_api(
    context: dict[str, str],
) -> None:
    # AdministratorAccess grants execute-api:Invoke, so only Force-MFA's denies decide here. (For a
    # developer the API's resource policy grants the call; the same denies apply to it.)
    policies = group_policies("administrator")

    assert evaluate(policies, as_alice("execute-api:Invoke", SESSION, context)).allowed
    for route in OTHER_ROUTES:
        assert evaluate(policies, as_alice("execute-api:Invoke", route, context)) is Decision.EXPLICIT_DENY


def test_with_mfa_an_administrator_may_call_any_api() -> None:
    policies = group_policies("administrator")

    assert all(
        evaluate(policies, as_alice("execute-api:Invoke", r, MFA_SESSION)).allowed for r in OTHER_ROUTES
    )


def test_every_own_user_resource_names_alice_exactly_whatever_her_path() -> None:
    context = {"aws:username": "alice"}
    for s in force_mfa()["Statement"]:
        resources = s.get("Resource", s.get("NotResource"))
        if any("${aws:username}" in r for r in resources):
            assert resources == OWN_USER, s["Sid"]
    for alice in [*ALICE_ARNS, f"arn:aws:iam::{ACCOUNT}:user/team/onboarding/alice"]:
        assert any(resource_matches(p, alice, context) for p in OWN_USER)
    for other in OTHER_USERS:
        assert not any(resource_matches(p, other, context) for p in OWN_USER)


def test_the_policy_grants_nothing_beyond_mfa_self_service() -> None:
    granted = {a for s in force_mfa()["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    assert granted == {
        "iam:GetAccountPasswordPolicy",
        "iam:ListVirtualMFADevices",
        "iam:ChangePassword",
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:GetUser",
        "iam:ListMFADevices",
        "iam:ResyncMFADevice",
        "iam:DeactivateMFADevice",
        "iam:CreateAccessKey",
        "iam:DeleteAccessKey",
        "iam:ListAccessKeys",
        "iam:UpdateAccessKey",
        "signin:AuthorizeOAuth2Access",
        "signin:CreateOAuth2Token",
    }
    assert all("*" not in a for a in granted)


# Each statement is load-bearing: without it, a decision of the tables above flips.
# (Sid removed, group, action, resource, context, decision with the statement, decision without it)
DEV, ADMIN, ALONE = "developer", "administrator", None
ALICE, BOB = ALICE_ARNS[0], OTHER_USERS[0]
LOAD_BEARING = [
    # ReadOnlyAccess grants iam:Get*/List* too; Force-MFA alone must still serve the first password change
    # and the console's MFA page.
    ("AllowViewPasswordPolicy", ALONE, "iam:GetAccountPasswordPolicy", "*", NO_MFA, A, D),
    ("AllowChangeOwnPassword", DEV, "iam:ChangePassword", ALICE, NO_MFA, A, D),
    ("AllowReadAndResyncOwnMFADevices", DEV, "iam:ResyncMFADevice", ALICE_ARNS[1], LONG_TERM_KEY, A, D),
    ("AllowReadAndResyncOwnMFADevices", ALONE, "iam:ListMFADevices", ALICE, NO_MFA, A, D),
    ("AllowListVirtualMFADevicesOnlyWithMFA", ALONE, "iam:ListVirtualMFADevices", "*", MFA_SESSION, A, D),
    (
        "AllowCreateVirtualMFADeviceOnlyWithMFA",
        DEV,
        "iam:CreateVirtualMFADevice",
        DEVICES[1],
        MFA_SESSION,
        A,
        D,
    ),
    ("AllowManageOwnMFADevicesOnlyWithMFA", DEV, "iam:EnableMFADevice", ALICE, MFA_SESSION, A, D),
    ("AllowManageOwnMFADevicesOnlyWithMFA", DEV, "iam:DeactivateMFADevice", ALICE_ARNS[1], MFA_SESSION, A, D),
    ("AllowManageOwnMFADevicesOnlyWithMFA", ALONE, "iam:GetUser", ALICE, MFA_SESSION, A, D),
    ("AllowManageOwnAccessKeysOnlyWithMFA", DEV, "iam:CreateAccessKey", ALICE, MFA_SESSION, A, D),
    ("AllowManageOwnAccessKeysOnlyWithMFA", DEV, "iam:DeleteAccessKey", ALICE_ARNS[1], MFA_SESSION, A, D),
    ("AllowAwsLoginOnlyWithMFA", DEV, "signin:CreateOAuth2Token", SIGNIN_CLIENTS[0], MFA_SESSION, A, D),
    ("DenyAllExceptListedIfNoMFA", DEV, "s3:ListAllMyBuckets", "*", NO_MFA, D, A),
    ("DenyAllExceptListedIfNoMFA", DEV, "ec2:DescribeInstances", "*", LONG_TERM_KEY, D, A),
    ("DenyAllExceptListedIfNoMFA", DEV, "iam:ListVirtualMFADevices", "*", NO_MFA, D, A),
    ("DenyAllExceptListedIfNoMFA", DEV, "iam:GetUser", ALICE, LONG_TERM_KEY, D, A),
    ("DenyAllExceptListedIfNoMFA", ADMIN, "iam:DeactivateMFADevice", ALICE, NO_MFA, D, A),
    # An admin's leaked key alone must not add a device (AdministratorAccess grants both).
    ("DenyAllExceptListedIfNoMFA", ADMIN, "iam:CreateVirtualMFADevice", DEVICES[2], LONG_TERM_KEY, D, A),
    ("DenyAllExceptListedIfNoMFA", ADMIN, "iam:EnableMFADevice", ALICE, LONG_TERM_KEY, D, A),
    ("DenyOtherUsersSelfServiceIfNoMFA", ADMIN, "iam:ResyncMFADevice", BOB, NO_MFA, D, A),
    ("DenyOtherUsersSelfServiceIfNoMFA", DEV, "iam:ListMFADevices", BOB, LONG_TERM_KEY, D, A),
    ("DenyApiCallsIfNoMFAExceptTheSessionReport", ADMIN, "execute-api:Invoke", OTHER_ROUTES[1], NO_MFA, D, A),
]


@pytest.mark.parametrize(
    ("sid", "group", "action", "resource", "context", "with_it", "without_it"),
    [pytest.param(*case, id=f"{case[0]}: {case[2]} on {case[3].split(':', 5)[-1]}") for case in LOAD_BEARING],
)
def test_each_statement_decides_a_case_of_its_own(
    sid: str,
    group: str | None,
    action: str,
    resource: str,
    context: dict[str, str],
    with_it: str,
    without_it: str,
) -> None:
    request = as_alice(action, resource, context)
    full = group_policies(group) if group else [force_mfa()]
    reduced = [*full[:-1], without(sid)]
    assert sid in {s.get("Sid") for s in matching(full, request)}
    assert (A if evaluate(full, request).allowed else D) == with_it
    assert (A if evaluate(reduced, request).allowed else D) == without_it


def test_every_statement_has_a_load_bearing_case() -> None:
    assert {case[0] for case in LOAD_BEARING} == {s["Sid"] for s in force_mfa()["Statement"]}


def test_the_seeds_resource_pattern_would_have_let_alice_enable_a_device_on_malice() -> None:
    # Regression guard for the seed's `user/*${aws:username}`: the evaluator must see the hole.
    seed = force_mfa()
    for s in seed["Statement"]:
        for key in ("Resource", "NotResource"):
            if s.get(key) == OWN_USER:
                s[key] = "arn:aws:iam::*:user/*${aws:username}"
    policies = [managed_policy("arn:aws:iam::aws:policy/ReadOnlyAccess"), seed]
    request = as_alice("iam:EnableMFADevice", f"arn:aws:iam::{ACCOUNT}:user/malice", MFA_SESSION)
    assert evaluate(policies, request) is Decision.ALLOW
    assert evaluate(group_policies("developer"), request) is Decision.IMPLICIT_DENY
