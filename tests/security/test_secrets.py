"""Secrets at rest: a developer who may read SSM cannot decrypt the Slack signing secret.

AWS's default `aws/ssm` key lets every principal with `ssm:GetParameter` decrypt (ReadOnlyAccess has
it). The stack's own key may be used to decrypt each Slack parameter by the roles that read it, and by
nobody else; the audit reports a secret left under `aws/ssm`. The emulator enforces no key policy, so
the policy is checked as data, on `make package`'s template.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib import aws, wiring
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
        "{SlackAuditWebhookParam}": ["DailyAuditRole"],
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
def deployed_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SLACK_SIGNING_SECRET_PARAM", SIGNING_SECRET)
    wiring.reset()
    yield
    wiring.reset()


def audit_resources(api: Api) -> list[str]:
    reply = api.as_admin("POST", "/admin/audit")
    assert reply.status == 200, reply.body
    return [
        f["resource"]
        for f in reply.body["findings"]
        if f["check_id"] == "slack_secret_readable_with_ssm_read"
    ]


def test_the_audit_reports_a_signing_secret_left_under_aws_ssm(api: Api, deployed_secret: None) -> None:
    aws.ssm().put_parameter(Name=SIGNING_SECRET, Value="the-secret", Type="SecureString")

    assert audit_resources(api) == [SIGNING_SECRET]


def test_the_audit_is_content_with_a_signing_secret_under_the_stacks_key(
    api: Api, deployed_secret: None
) -> None:
    kms = boto3.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/iam-onboarding-dev-slack", TargetKeyId=key)
    aws.ssm().put_parameter(
        Name=SIGNING_SECRET, Value="the-secret", Type="SecureString", KeyId="alias/iam-onboarding-dev-slack"
    )

    assert audit_resources(api) == []
