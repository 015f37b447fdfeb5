"""Roles → other stages: the dev stage's roles cannot touch prod's table, secret, worker or logs.

Checked on `make package`'s merged template for stage dev, resource by resource, with IAM's wildcard
matching; a role policy written `iam-onboarding-*` would let each stage reach every other.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

REGION_ACCOUNT = "us-east-1:123456789012"
PROD = {
    "dynamodb:PutItem": f"arn:aws:dynamodb:{REGION_ACCOUNT}:table/iam-onboarding-state-prod",
    "dynamodb:Query": f"arn:aws:dynamodb:{REGION_ACCOUNT}:table/iam-onboarding-state-prod",
    "ssm:GetParameter": f"arn:aws:ssm:{REGION_ACCOUNT}:parameter/iam-onboarding/prod/slack-signing-secret",
    "lambda:InvokeFunction": f"arn:aws:lambda:{REGION_ACCOUNT}:function:iam-onboarding-prod-slack_worker",
    "logs:PutLogEvents": (
        f"arn:aws:logs:{REGION_ACCOUNT}:log-group:/aws/lambda/iam-onboarding-prod-api_handler:log-stream:x"
    ),
}
DEV = {action: arn.replace("prod", "dev") for action, arn in PROD.items()}


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def grants(role: dict[str, Any], action: str, resource: str) -> bool:
    return any(
        statement["Effect"] == "Allow"
        and action in _listed(statement["Action"])
        and any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"]))
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    )


def roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Role"}
    assert len(found) == 5  # the API's, the worker's, the audit's, the revoke function's and the scheduler's
    return found


@pytest.mark.parametrize("action", sorted(PROD))
def test_no_dev_role_reaches_prod(template: dict[str, Any], action: str) -> None:
    assert [name for name, role in roles(template).items() if grants(role, action, PROD[action])] == []


@pytest.mark.parametrize("action", sorted(DEV))
def test_some_dev_role_reaches_its_own_stage(template: dict[str, Any], action: str) -> None:
    # Guards the test above: a template granting nothing at all would pass it too.
    assert [name for name, role in roles(template).items() if grants(role, action, DEV[action])] != []


def test_no_role_policy_is_left_with_a_stage_placeholder(template: dict[str, Any]) -> None:
    import json

    assert "${Stage}" not in json.dumps(roles(template))


def test_each_role_writes_the_logs_of_its_own_function_only(template: dict[str, Any]) -> None:
    # `iam-onboarding-dev-*` would also match a stage named dev-anything, and every function of the stage.
    functions = {
        v["Properties"]["Role"]["Fn::GetAtt"][0]: v["Properties"]["FunctionName"]
        for v in template["Resources"].values()
        if v["Type"] == "AWS::Serverless::Function"
    }
    for name, role in roles(template).items():
        for group in (
            "iam-onboarding-dev-api_handler",
            "iam-onboarding-dev-slack_worker",
            "iam-onboarding-dev-daily_audit",
            "iam-onboarding-dev-elevation_revoke",
            "iam-onboarding-dev-two-api_handler",
        ):
            arn = f"arn:aws:logs:{REGION_ACCOUNT}:log-group:/aws/lambda/{group}"
            own = group == functions.get(name)  # the scheduler's role runs no function: it writes no logs
            assert grants(role, "logs:CreateLogGroup", arn) is own, (name, group)
            assert grants(role, "logs:PutLogEvents", f"{arn}:log-stream:x") is own, (name, group)
