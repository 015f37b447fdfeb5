"""The merge refuses templates it cannot make safe, rather than producing a half-right one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deploy.merge_template import RESOURCE_POLICY_FILE, merge

POLICY = json.loads(RESOURCE_POLICY_FILE.read_text())


def _template(policy: dict[str, Any] | None, **variables: str) -> dict[str, Any]:
    body: dict[str, Any] = {"paths": {}}
    if policy is not None:
        body["x-amazon-apigateway-policy"] = policy
    env = {"STATE_TABLE": "iam-onboarding-state-dev", **variables}
    return {
        "Resources": {
            "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {"DefinitionBody": body}},
            "APIHandler": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": "app.app",
                    "Role": {"Fn::GetAtt": ["ApiHandlerRole", "Arn"]},
                    "Environment": {"Variables": env},
                },
            },
        }
    }


def test_a_template_without_the_resource_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="api_gateway_policy_file"):
        merge(_template(None), "dev", POLICY)


def test_an_ssm_name_outside_the_granted_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET_PARAM"):
        merge(_template(POLICY, SLACK_SIGNING_SECRET_PARAM="/elsewhere/secret"), "dev", POLICY)


def test_a_literal_secret_in_a_param_variable_is_refused() -> None:
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET_PARAM"):
        merge(_template(POLICY, SLACK_SIGNING_SECRET_PARAM="8f14e45fceea167a5a36dedd4bea2543"), "dev", POLICY)


def test_the_input_template_is_left_unchanged() -> None:
    template = _template(POLICY, SLACK_SIGNING_SECRET_PARAM="/iam-onboarding/dev/slack-signing-secret")
    before = json.dumps(template, sort_keys=True)
    merge(template, "dev", POLICY)
    assert json.dumps(template, sort_keys=True) == before


def test_an_ssm_name_of_another_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="/iam-onboarding/dev/"):
        merge(
            _template(POLICY, SLACK_SIGNING_SECRET_PARAM="/iam-onboarding/prod/slack-signing-secret"),
            "dev",
            POLICY,
        )
