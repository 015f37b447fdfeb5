"""The Lambda roles: linted, least-privilege, and covering every AWS action the code can call.

The actions come from the code (tests/deploy/actions.py reads it through mypy's types), never from a
list kept by hand; the policy files are what `chalice package` puts on each function's role.
"""

from __future__ import annotations

import fnmatch
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.config import Config

from chalicelib.config import load_groups_manifest
from tests.deploy.actions import ALWAYS_ALLOWED, CodeIndex, entry_points, index_code

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
CHALICE_CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGES = sorted(CHALICE_CONFIG["stages"])
MANAGED_USERS = "arn:aws:iam::*:user/onboarding/*"

# IAM authorizes a DynamoDB transaction as the item actions inside it; there is no Transact* action.
# Which item actions a function's transactions hold is read from the elements its code builds
# (actions.TRANSACTION_ELEMENTS), so the transaction itself asks for nothing.
IMPLIED = {
    "dynamodb:TransactWriteItems": (),
    "dynamodb:TransactGetItems": ("dynamodb:GetItem",),
    # CreateUser with Tags (the service marks the users it makes) is authorized as TagUser too.
    "iam:CreateUser": ("iam:CreateUser", "iam:TagUser"),
    # A schedule's execution role is passed to Scheduler with CreateSchedule.
    "scheduler:CreateSchedule": ("scheduler:CreateSchedule", "iam:PassRole"),
}
# The one role that may be passed, to the one service, and what else about it (test below).
SCHEDULER_ROLE = "arn:aws:iam::*:role/iam-onboarding-${Stage}-elevation-scheduler"
# Actions a role may be granted before the code that calls them is merged, by role. Empty: every grant
# must be called.
ANTICIPATED: dict[str, set[str]] = {}
# Nothing a role could use to widen its own or anyone's permissions.
FORBIDDEN = {
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachGroupPolicy",
    "iam:DetachGroupPolicy",
    "iam:PutGroupPolicy",
    "iam:DeleteGroupPolicy",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateGroup",
    "iam:DeleteGroup",
    "iam:UpdateGroup",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:CreateServiceLinkedRole",
}
READ_ONLY_AUDIT = {
    "dynamodb:GetItem",
    "dynamodb:Query",
    # The report and its trail record (one transaction of two puts: IAM authorizes each item's action);
    # the statement's dynamodb:LeadingKeys condition keeps these writes off users and links.
    "dynamodb:PutItem",
    "ssm:GetParameter",  # the Slack webhook URL
    "ssm:DescribeParameters",  # how the Slack secrets are stored, never their values
    "kms:DescribeKey",  # which key each Slack secret is under, resolved to its ARN
    "lambda:InvokeFunction",  # the revoke function sweeps missed grants: the audit changes no IAM itself
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}


def _policy_files() -> list[Path]:
    return sorted(p for p in POLICIES.glob("*.json") if "Statement" in json.loads(p.read_text()))


def _role_files() -> list[Path]:
    return sorted(POLICIES.glob("role-*.json"))


def _statements(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text())["Statement"])


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _config(function: str, stage: str = "dev") -> Config:
    return Config(chalice_stage=stage, function_name=function, config_from_disk=CHALICE_CONFIG)


def role_policy_of(function: str, stage: str = "dev") -> Path:
    """The policy file Chalice puts on `function`'s role (paths are relative to .chalice/)."""
    return (ROOT / ".chalice" / _config(function, stage).iam_policy_file).resolve()


def allowed_actions(path: Path) -> set[str]:
    """The actions a role policy allows (no wildcards: another test sees to that)."""
    return {a for s in _statements(path) if s["Effect"] == "Allow" for a in _listed(s["Action"])}


def allows(path: Path, action: str) -> bool:
    """Whether some Allow statement of the policy names `action` (IAM matches case-insensitively)."""
    return any(fnmatch.fnmatch(action.lower(), a.lower()) for a in allowed_actions(path))


@pytest.fixture(scope="module")
def code() -> CodeIndex:
    """Every function of app.py and chalicelib/, with the AWS operations it calls."""
    return index_code()


@pytest.fixture(scope="module")
def functions() -> dict[str, list[str]]:
    """The app's Lambda functions and the code each starts in."""
    from app import app

    return entry_points(app)


def _required(code: CodeIndex, roots: list[str]) -> Iterator[tuple[str, str]]:
    for action, callers in sorted(code.operations(roots).items()):
        if action in ALWAYS_ALLOWED:
            continue
        for needed in IMPLIED.get(action, (action,)):
            yield needed, sorted(callers)[0]


# --- the linter -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _policy_files(), ids=lambda p: p.name)
def test_parliament_finds_nothing_at_medium_or_above(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
        from parliament import analyze_policy_string, enhance_finding

    policy = analyze_policy_string(path.read_text(), str(path))
    findings = [enhance_finding(f) or f for f in policy.findings]
    serious = [
        (f.issue, f.detail, f.location) for f in findings if f.severity in ("MEDIUM", "HIGH", "CRITICAL")
    ]
    assert serious == []


# --- what the roles may do ------------------------------------------------------------------------


@pytest.mark.parametrize("path", _role_files(), ids=lambda p: p.name)
def test_role_policy_names_every_action_and_resource_without_wildcard_actions(path: Path) -> None:
    for statement in _statements(path):
        assert statement["Effect"] == "Allow"
        # No NotAction or NotResource; a Condition may narrow a statement further.
        assert (
            {"Sid", "Effect", "Action", "Resource"}
            <= set(statement)
            <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        )
        assert all("*" not in a for a in _listed(statement["Action"])), statement["Sid"]


@pytest.mark.parametrize("path", _role_files(), ids=lambda p: p.name)
def test_role_policy_cannot_change_policies_groups_or_roles(path: Path) -> None:
    assert allowed_actions(path) & FORBIDDEN == set()


@pytest.mark.parametrize("path", _role_files(), ids=lambda p: p.name)
def test_role_policy_uses_the_wildcard_resource_only_for_actions_without_resources(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import parliament

    definitions = json.loads((Path(parliament.__file__).parent / "iam_definition.json").read_text())
    resource_types = {
        f"{service['prefix']}:{p['privilege']}": {r["resource_type"] for r in p["resource_types"]}
        for service in definitions
        for p in service["privileges"]
    }
    wildcard = {a for s in _statements(path) if s["Resource"] == "*" for a in _listed(s["Action"])}
    assert {a for a in wildcard if resource_types[a] != {""}} == set()


@pytest.mark.parametrize("path", _role_files(), ids=lambda p: p.name)
def test_role_policy_changes_users_only_under_the_managed_path(path: Path) -> None:
    for statement in _statements(path):
        resources = _listed(statement["Resource"])
        writes = [a for a in _listed(statement["Action"]) if not a.split(":")[1].startswith(("Get", "List"))]
        if any(":user/" in r for r in resources) and writes:
            assert resources == [MANAGED_USERS], statement["Sid"]


@pytest.mark.parametrize("path", _role_files(), ids=lambda p: p.name)
def test_role_policy_changes_membership_of_the_managed_groups_only(path: Path) -> None:
    manifest = load_groups_manifest()
    managed = {f"arn:aws:iam::*:group/{name}" for name in manifest}
    elevate = {f"arn:aws:iam::*:group/{name}" for name, spec in manifest.items() if spec.elevate}
    for statement in _statements(path):
        resources = _listed(statement["Resource"])
        if {"iam:AddUserToGroup", "iam:RemoveUserFromGroup"} & set(_listed(statement["Action"])):
            # The revoke function takes users out of the elevate groups, and no other.
            expected = elevate if path.name == "role-elevation-revoke.json" else managed
            assert set(resources) == expected, statement["Sid"]


@pytest.mark.parametrize("path", _role_files(), ids=lambda p: p.name)
def test_role_policy_passes_only_the_scheduler_role_and_only_to_scheduler(path: Path) -> None:
    for statement in _statements(path):
        if "iam:PassRole" in _listed(statement["Action"]):
            assert _listed(statement["Action"]) == ["iam:PassRole"], statement["Sid"]
            assert _listed(statement["Resource"]) == [SCHEDULER_ROLE], statement["Sid"]
            assert statement["Condition"] == {
                "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
            }, statement["Sid"]


def test_audit_role_is_read_only() -> None:
    actions = allowed_actions(role_policy_of("daily_audit"))
    iam = {a for a in actions if a.startswith("iam:")}
    assert {a for a in iam if not a.split(":")[1].startswith(("Get", "List", "Generate"))} == set()
    assert actions - iam <= READ_ONLY_AUDIT
    writes = [
        st
        for st in _statements(role_policy_of("daily_audit"))
        if set(_listed(st["Action"])) & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    ]
    assert [st.get("Condition") for st in writes] == [
        {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["report", "trail"]}}
    ]
    # Deleting orphaned virtual MFA devices is off: the audit reports them and changes nothing.
    assert "iam:DeleteVirtualMFADevice" not in actions


def test_every_function_of_the_app_has_a_role_policy_of_its_own(functions: dict[str, list[str]]) -> None:
    for name in functions:
        if name != "api_handler":
            assert "iam_policy_file" in CHALICE_CONFIG["lambda_functions"].get(name, {}), name
    for stage in STAGES:
        for name in functions:
            assert role_policy_of(name, stage).is_file(), (stage, name)


# --- the code against the roles -------------------------------------------------------------------


def test_every_action_the_code_calls_is_allowed_by_its_functions_role(
    code: CodeIndex, functions: dict[str, list[str]]
) -> None:
    missing = {
        (name, action, caller)
        for name, roots in functions.items()
        for action, caller in _required(code, roots)
        if not allows(role_policy_of(name), action)
    }
    assert missing == set()


def test_a_role_allows_nothing_its_function_does_not_call(
    code: CodeIndex, functions: dict[str, list[str]]
) -> None:
    unused = {}
    for name, roots in functions.items():
        needed = {action for action, _ in _required(code, roots)}
        extra = {
            a
            for a in allowed_actions(role_policy_of(name))
            if not a.startswith("logs:") and a not in needed and a not in ANTICIPATED.get(name, set())
        }
        if extra:
            unused[name] = sorted(extra)
    assert unused == {}


# --- the action scanner itself --------------------------------------------------------------------


def test_clients_are_made_only_in_chalicelib_aws() -> None:
    # The scanner knows a client by its declared type; the getters in chalicelib/aws.py declare it.
    sources = [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]
    makers = ("boto3.client(", "boto3.resource(", "boto3.Session(", "boto3.session.Session(")
    found = [p.relative_to(ROOT) for p in sources if any(m in p.read_text() for m in makers)]
    assert found == [Path("chalicelib/aws.py")]


def test_the_scanner_sees_the_client_type_of_every_getter(code: CodeIndex) -> None:
    # None would mean mypy cannot see the client class (its mypy-boto3-* stubs are not installed) and
    # every call on that client would go unnoticed.
    assert code.client_getters
    assert {name: service for name, service in code.client_getters.items() if service is None} == {}


def test_scanner_finds_a_client_method_passed_to_partial(code: CodeIndex) -> None:
    found = code.operations(["chalicelib.people.offboarding.Offboarding.offboard"])
    assert "chalicelib.people.offboarding.Offboarding._remove_once" in found["iam:DeleteLoginProfile"]
    assert "chalicelib.onboarding.devices.removal_steps" in found["iam:DeactivateMFADevice"]


def test_scanner_resolves_a_paginator_named_by_a_variable(code: CodeIndex) -> None:
    found = code.operations(["chalicelib.people.offboarding.Offboarding.inventory"])
    assert {"iam:ListAccessKeys", "iam:ListSSHPublicKeys", "iam:ListAttachedUserPolicies"} <= set(found)


def test_scanner_reads_the_item_actions_of_a_transaction(code: CodeIndex) -> None:
    # The audit stores its report and trail record in one transaction of two puts: nothing else.
    found = code.operations(["chalicelib.audit.auditor.Auditor.run"])
    assert {"dynamodb:TransactWriteItems", "dynamodb:PutItem"} <= set(found)
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem"} & set(found) == set()


def test_scanner_tells_a_store_method_from_an_iam_operation_of_the_same_name(code: CodeIndex) -> None:
    assert set(code.operations(["chalicelib.state.users.UserItems.get_user"])) >= {"dynamodb:GetItem"}
    assert "iam:GetUser" not in code.operations(["chalicelib.state.users.UserItems.get_user"])


def test_scanner_follows_a_route_through_wiring_to_the_service(code: CodeIndex) -> None:
    found = code.operations(["chalicelib.api.admin.create_user"])
    assert {
        "iam:ListGroupsForUser",
        "iam:CreateUser",
        "iam:AddUserToGroup",
        "dynamodb:TransactWriteItems",
    } <= set(found)
    assert "iam:DeleteAccessKey" not in found


@pytest.mark.parametrize("stage", STAGES)
def test_the_managed_path_of_the_roles_is_the_one_the_functions_use(stage: str) -> None:
    path = _config("api_handler", stage).environment_variables["USER_PATH"]
    assert f"arn:aws:iam::*:user{path}*" == MANAGED_USERS
