"""Secrets at rest: a developer who may read SSM cannot decrypt the Slack signing secret.

AWS's default `aws/ssm` key lets every principal with `ssm:GetParameter` decrypt (ReadOnlyAccess has
it). The stack's own key may be used to decrypt each Slack parameter by the roles that read it, and by
nobody else; the audit reports a secret left under `aws/ssm`. The emulator enforces no key policy, so
the policy is checked as data, on `make package`'s template.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib import aws, wiring
from tests.iam_eval import Decision, Request, evaluate
from tests.support.api import Api

SIGNING_SECRET = "/iam-onboarding/dev/slack-signing-secret"


def key_policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    keys = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert len(keys) == 1
    return list(keys[0]["Properties"]["KeyPolicy"]["Statement"])


def decrypters(statement: dict[str, Any]) -> list[str]:
    principals = statement["Principal"]["AWS"]
    return sorted(
        p["Fn::GetAtt"][0] if isinstance(p, dict) and "Fn::GetAtt" in p else str(p) for p in principals
    )


def test_only_the_api_and_worker_roles_may_decrypt_the_signing_secret(template: dict[str, Any]) -> None:
    decrypting = [s for s in key_policy(template) if "kms:Decrypt" in s["Action"]]
    by_parameter = {
        s["Condition"]["StringEquals"]["kms:EncryptionContext:PARAMETER_ARN"]["Fn::Sub"].rsplit("$", 1)[
            1
        ]: decrypters(s)
        for s in decrypting
    }

    assert by_parameter == {
        "{SlackSigningSecretParam}": ["ApiHandlerRole", "SlackWorkerRole"],
        # The API posts each new elevation request to the channel through the same webhook (SPEC §15).
        "{SlackAuditWebhookParam}": ["ApiHandlerRole", "DailyAuditRole"],
    }
    assert all(s["Condition"]["StringEquals"]["kms:ViaService"] for s in decrypting)


def test_the_accounts_own_iam_policies_cannot_read_with_the_key(template: dict[str, Any]) -> None:
    # Delegating to the account root lets IAM policies grant what the statement lists: never decryption,
    # re-encryption to a key of one's own, or a grant (which could give decryption).
    (root,) = [s for s in key_policy(template) if s["Sid"] == "AdministerTheKeyButNeverReadWithIt"]
    actions = set(root["Action"])

    assert root["Principal"]["AWS"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}

    assert {"kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant"} & actions == set()
    assert not any("*" in a for a in actions)
    assert "kms:PutKeyPolicy" in actions  # administrators can still manage (and so never lose) the key


def test_the_stack_names_the_key_for_the_deploy_steps(template: dict[str, Any]) -> None:
    alias = next(r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Alias")

    assert alias["Properties"]["AliasName"] == "alias/iam-onboarding-dev-slack"
    assert template["Outputs"]["SlackSecretsKeyAlias"]["Value"] == {"Ref": "SlackSecretsKeyAlias"}


@pytest.fixture
def stack_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The stack's key, with its alias, known to the functions by ARN as the template tells them."""
    kms = boto3.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/iam-onboarding-dev-slack", TargetKeyId=key["KeyId"])
    monkeypatch.setenv("SLACK_SIGNING_SECRET_PARAM", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_SECRETS_KEY_ARN", key["Arn"])
    wiring.reset()
    yield str(key["Arn"])
    wiring.reset()


def audit_resources(api: Api) -> list[str]:
    reply = api.as_admin("POST", "/admin/audit")
    assert reply.status == 200, reply.body
    return [
        f["resource"]
        for f in reply.body["findings"]
        if f["check_id"] == "slack_secret_readable_with_ssm_read"
    ]


def test_the_audit_reports_a_signing_secret_left_under_aws_ssm(api: Api, stack_key: str) -> None:
    aws.ssm().put_parameter(Name=SIGNING_SECRET, Value="the-secret", Type="SecureString")

    assert audit_resources(api) == [SIGNING_SECRET]


def test_the_audit_reports_a_signing_secret_under_aws_ssm_named_by_its_key_arn(
    api: Api, stack_key: str
) -> None:
    aws_ssm = boto3.client("kms").describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["Arn"]
    aws.ssm().put_parameter(Name=SIGNING_SECRET, Value="the-secret", Type="SecureString", KeyId=aws_ssm)

    assert audit_resources(api) == [SIGNING_SECRET]


def test_the_audit_reports_a_signing_secret_under_another_customer_key(api: Api, stack_key: str) -> None:
    kms = boto3.client("kms")
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/iam-onboarding-dev-slack-old", TargetKeyId=other)
    aws.ssm().put_parameter(
        Name=SIGNING_SECRET,
        Value="the-secret",
        Type="SecureString",
        KeyId="alias/iam-onboarding-dev-slack-old",
    )

    assert audit_resources(api) == [SIGNING_SECRET]


@pytest.mark.parametrize("named", ["alias", "arn", "id"])
def test_the_audit_is_content_with_a_signing_secret_under_the_stacks_key(
    api: Api, stack_key: str, named: str
) -> None:
    key_id = {"alias": "alias/iam-onboarding-dev-slack", "arn": stack_key, "id": stack_key.rsplit("/", 1)[1]}
    aws.ssm().put_parameter(Name=SIGNING_SECRET, Value="the-secret", Type="SecureString", KeyId=key_id[named])

    assert audit_resources(api) == []


# --- the roles fail closed: a secret under any other key cannot be read by the functions ------------

STACK_KEY = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-1111-2222-3333-444455556666"
AWS_SSM_KEY = "arn:aws:kms:us-east-1:123456789012:key/8f9b1ef9-32c0-4633-8394-e3add9a14d35"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/12db2628-80fe-4b21-897e-3a7999741fd7"
VIA_SSM = {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}


def resolved(value: Any) -> Any:
    """A template fragment with its `Fn::Sub` filled in as CloudFormation would in us-east-1."""
    if isinstance(value, list):
        return [resolved(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return value["Fn::Sub"].replace("${AWS::Region}", "us-east-1").replace("${AWS::Partition}", "aws")
        return {k: resolved(v) for k, v in value.items()}
    return value


def role_policies(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = template["Resources"][role]["Properties"]["Policies"]
    return [resolved(p["PolicyDocument"]) for p in policies]


@pytest.mark.parametrize("role", ["ApiHandlerRole", "SlackWorkerRole"])
def test_the_api_and_worker_roles_may_not_decrypt_through_ssm_with_any_key_but_the_stacks(
    template: dict[str, Any], role: str
) -> None:
    policies = role_policies(template, role)

    def decrypt(key: str, aliases: str) -> Decision:
        return evaluate(policies, Request("kms:Decrypt", key, {**VIA_SSM, "kms:ResourceAliases": aliases}))

    assert decrypt(AWS_SSM_KEY, "alias/aws/ssm") is Decision.EXPLICIT_DENY
    assert decrypt(OTHER_KEY, "") is Decision.EXPLICIT_DENY  # a key without any alias
    assert decrypt(OTHER_KEY, "alias/iam-onboarding-prod-slack") is Decision.EXPLICIT_DENY
    # The key policy grants the stack's key; nothing here takes it away.
    assert decrypt(STACK_KEY, "alias/iam-onboarding-dev-slack,alias/x") is not Decision.EXPLICIT_DENY


def test_every_function_is_told_the_stacks_key_by_arn(template: dict[str, Any]) -> None:
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]

    assert {
        json.dumps(f["Properties"]["Environment"]["Variables"]["SLACK_SECRETS_KEY_ARN"]) for f in functions
    } == {json.dumps({"Fn::GetAtt": ["SlackSecretsKey", "Arn"]})}
