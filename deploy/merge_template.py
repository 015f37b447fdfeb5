"""Merge what `chalice package` cannot express into its SAM template.

`chalice package --pkg-format cloudformation` writes the functions, their roles (from the hand-written
`policies/role-*.json`, `autogen_policy: false`), the schedule and the REST API with its resource policy
(`api_gateway_policy_file` → `policies/api-gateway.json`). This adds:

- the state table (pk/sk, on-demand, TTL on `expires_at`, point-in-time recovery, encryption at rest),
  named after the `STATE_TABLE` the functions already carry, which then becomes a `Ref` to it;
- gateway responses in the API's error shape `{"error": {"code", "message"}}`, with CORS headers, so a
  request API Gateway refuses (no signature, MFA gate, throttling) reads like any other error;
- a template parameter for each SSM parameter *name* (`*_PARAM` environment variables) and for the
  public base URL and the Slack allow-list: names and settings only, never a secret value;
- function names `<app>-<stage>-<function>` (what `chalice deploy` would use), which the role policies'
  log-group and `lambda:InvokeFunction` resources rely on.

Usage: python -m deploy.merge_template --stage dev build/sam.json build/template.json
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from chalicelib.state import table_definition
from deploy.elevation import REVOKE_FUNCTION, elevation_parameters, elevation_resources, elevation_variables

ROOT = Path(__file__).resolve().parent.parent
RESOURCE_POLICY_FILE = ROOT / "policies" / "api-gateway.json"
APP_NAME = "iam-onboarding"
TABLE_RESOURCE = "StateTable"
KEY_RESOURCE = "SlackSecretsKey"
# What the account's administrators may do with the Slack key through IAM: everything but read with it
# (no kms:Decrypt, ReEncrypt or CreateGrant), so that no IAM policy (ReadOnlyAccess included) can.
KEY_ADMINISTRATION = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
# The role policies allow ssm:GetParameter on this prefix only, followed by the stage.
SSM_PREFIX = f"/{APP_NAME}/"
STAGE_VARIABLE = "${Stage}"

_CORS_HEADERS = {
    "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
    "gatewayresponse.header.Access-Control-Allow-Headers": (
        "'Content-Type,Authorization,X-Amz-Date,X-Amz-Security-Token,X-Amz-Content-Sha256'"
    ),
    "gatewayresponse.header.Access-Control-Allow-Methods": "'GET,POST,DELETE,OPTIONS'",
    "gatewayresponse.header.Cache-Control": "'no-store'",
}

# Response type → (status, code, message); a message of None passes API Gateway's own, JSON-escaped.
GATEWAY_RESPONSES: dict[str, tuple[int | None, str, str | None]] = {
    "DEFAULT_4XX": (None, "bad_request", None),
    "DEFAULT_5XX": (None, "internal_error", None),
    "MISSING_AUTHENTICATION_TOKEN": (
        401,
        "missing_authentication",
        "Sign the request with your AWS credentials (SigV4), and check the path exists.",
    ),
    "INVALID_SIGNATURE": (
        403,
        "invalid_signature",
        "The SigV4 signature does not match; re-sign the request.",
    ),
    "EXPIRED_TOKEN": (403, "expired_token", "Your AWS session has expired; get fresh credentials and retry."),
    "UNAUTHORIZED": (401, "missing_authentication", "Sign the request with your AWS credentials (SigV4)."),
    "ACCESS_DENIED": (
        403,
        "mfa_required",
        "This endpoint takes an IAM user of this account signed in with MFA within the last hour: use "
        "credentials from 'aws sts get-session-token' with your MFA code.",
    ),
    "REQUEST_TOO_LARGE": (413, "body_too_large", "The request is too large."),
    "THROTTLED": (429, "throttled", "Too many requests; wait a moment and retry."),
    "INTEGRATION_TIMEOUT": (504, "timeout", "The request took too long; try again."),
}


def _error_template(code: str, message: str | None) -> str:
    text = "$context.error.messageString" if message is None else json.dumps(message)
    return '{"error": {"code": "%s", "message": %s}}' % (code, text)  # noqa: UP031 - braces in JSON


def gateway_responses() -> dict[str, Any]:
    """The `x-amazon-apigateway-gateway-responses` of the API's OpenAPI body."""
    responses: dict[str, Any] = {}
    for kind, (status, code, message) in GATEWAY_RESPONSES.items():
        response: dict[str, Any] = {
            "responseParameters": dict(_CORS_HEADERS),
            "responseTemplates": {"application/json": _error_template(code, message)},
        }
        if status is not None:
            response["statusCode"] = str(status)
        responses[kind] = response
    return responses


def with_stack_variables(value: Any) -> Any:
    """`value` with every string naming a stack variable (`${AWS::AccountId}`) wrapped in `Fn::Sub`.

    The policy file says "this account" as `${AWS::AccountId}`; CloudFormation fills it in at deploy.
    """
    if isinstance(value, dict):
        return {k: with_stack_variables(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_stack_variables(v) for v in value]
    if isinstance(value, str) and "${AWS::" in value:
        return {"Fn::Sub": value}
    return value


def for_stage(value: Any, stage: str) -> Any:
    """A role policy with its `${Stage}` placeholders filled in: each stage's roles reach that stage only.

    The policy files say `iam-onboarding-state-${Stage}` where a wildcard would let the dev stage read
    and write prod's table, read prod's signing secret and invoke prod's worker.
    """
    return json.loads(json.dumps(value).replace(STAGE_VARIABLE, stage))


# SSM encrypts a SecureString under the context PARAMETER_ARN; the names start with "/".
PARAMETER_ARN = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${%s}"


def _role_of(function: dict[str, Any]) -> Any:
    return function["Properties"]["Role"]  # Fn::GetAtt <Role>.Arn, as chalice package writes it


def slack_secrets_key(*, decrypters: dict[str, list[Any]], parameters: dict[str, Any]) -> dict[str, Any]:
    """A customer-managed key for the Slack SecureString parameters, decryptable by the given roles only.

    AWS's default `aws/ssm` key lets every principal with `ssm:GetParameter` decrypt, and ReadOnlyAccess
    (the developer group) has it: a developer would hold the signing secret, and so Slack's admin power.
    Each parameter (`decrypters` maps its template parameter to roles) may be decrypted through SSM only,
    and only by the roles named for it.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AdministerTheKeyButNeverReadWithIt",
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
            "Action": KEY_ADMINISTRATION,
            "Resource": "*",
        }
    ]
    for parameter, roles in decrypters.items():
        if parameter not in parameters or not roles:
            continue
        statements.append(
            {
                "Sid": f"Decrypt{parameter}",
                "Effect": "Allow",
                "Principal": {"AWS": roles},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": {"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"},
                        "kms:EncryptionContext:PARAMETER_ARN": {"Fn::Sub": PARAMETER_ARN % parameter},
                    }
                },
            }
        )
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Description": "iam-onboarding: the Slack signing secret and webhook URL (SSM SecureString)",
            "EnableKeyRotation": True,
            "KeyPolicy": {"Version": "2012-10-17", "Statement": statements},
        },
    }


def decrypt_only_with(alias: str) -> dict[str, Any]:
    """A role policy that denies decryption through SSM with any key but the one `alias` names (the stack's).

    A Slack secret put without `--key-id` lands under `aws/ssm`, which every `ssm:GetParameter` may
    decrypt, and would work silently: with this Deny it fails loudly instead (`secrets.read_secret` says
    to put it again under the stack key). The key is named by its alias (`kms:ResourceAliases`), not its
    ARN: the key policy names these roles, so a role naming the key would be a circular dependency. An
    alias names one key of the account and region. Scoped to decrypts SSM makes, so that nothing else the
    function decrypts (Lambda's own environment key) is touched.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoSecretUnderAnyOtherKey",
                "Effect": "Deny",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": {"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}},
                    "ForAllValues:StringNotEquals": {"kms:ResourceAliases": alias},
                },
            }
        ],
    }


def state_table(table_name: str) -> dict[str, Any]:
    """The state table; kept when the stack is deleted (it holds the admin audit trail)."""
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **table_definition(table_name),  # the same keys the bootstrap and the tests create
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    }


def _function_name(resource_id: str) -> str:
    """Chalice's function name back from its resource id: `SlackWorker` → `slack_worker`."""
    if resource_id == "APIHandler":
        return "api_handler"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", resource_id).lower()


def _parameter_id(variable: str) -> str:
    """`SLACK_SIGNING_SECRET_PARAM` → `SlackSigningSecretParam`."""
    return "".join(word.capitalize() for word in variable.lower().split("_"))


# Routes anyone may call (bearer tokens in the body, Slack's signature): throttled at the stage.
ANONYMOUS_PREFIXES = ("/onboarding/", "/slack/")


def _throttle_anonymous_routes(api: dict[str, Any], parameters: dict[str, Any]) -> None:
    """Stage throttling of every method under `ANONYMOUS_PREFIXES`, by two template parameters.

    Lambda concurrency and on-demand DynamoDB reads are the account's: a flood of random tokens or unsigned
    Slack posts must be refused by API Gateway (429 `throttled`) before it costs either. Stage method
    settings take no partial wildcard, so each method is named (`/~1onboarding~1mfa`, `POST`).
    """
    parameters["AnonymousRateLimit"] = {
        "Type": "Number",
        "Default": 20,
        "MinValue": 1,
        "Description": "Requests per second each /onboarding/* and /slack/* method accepts (steady rate).",
    }
    parameters["AnonymousBurstLimit"] = {
        "Type": "Number",
        "Default": 40,
        "MinValue": 1,
        "Description": "Requests each /onboarding/* and /slack/* method accepts in a burst.",
    }
    api["MethodSettings"] = [
        {
            "ResourcePath": "/" + path.replace("/", "~1"),
            "HttpMethod": method.upper(),
            "ThrottlingRateLimit": {"Ref": "AnonymousRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "AnonymousBurstLimit"},
        }
        for path, operations in api["DefinitionBody"]["paths"].items()
        if path.startswith(ANONYMOUS_PREFIXES)
        for method in operations
    ]


def _reserve_api_concurrency(
    function: dict[str, Any], parameters: dict[str, Any], merged: dict[str, Any]
) -> None:
    """Reserved concurrency for the API function: a ceiling on what a flood can take of the account's pool.

    20 of the default quota of 1,000 is far above what a small team's admins and newcomers use; an account
    whose quota is too small to reserve any (Lambda keeps 100 unreserved) sets 0, which reserves nothing.
    """
    parameters["ApiReservedConcurrency"] = {
        "Type": "Number",
        "Default": 20,
        "MinValue": 0,
        "MaxValue": 900,
        "Description": "Concurrent executions reserved for (and the most taken by) the API function; 0 "
        "reserves none.",
    }
    merged.setdefault("Conditions", {})["ReserveApiConcurrency"] = {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ApiReservedConcurrency"}, 0]}]
    }
    function["ReservedConcurrentExecutions"] = {
        "Fn::If": ["ReserveApiConcurrency", {"Ref": "ApiReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }


def merge(template: dict[str, Any], stage: str, resource_policy: dict[str, Any]) -> dict[str, Any]:
    """`template` (from `chalice package`) with the extra resources; the input is not modified."""
    merged: dict[str, Any] = json.loads(json.dumps(template))
    resources: dict[str, Any] = merged["Resources"]
    parameters: dict[str, Any] = merged.setdefault("Parameters", {})
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}
    for role in (v for v in resources.values() if v["Type"] == "AWS::IAM::Role"):
        role["Properties"]["Policies"] = for_stage(role["Properties"].get("Policies", []), stage)

    api = resources["RestAPI"]["Properties"]["DefinitionBody"]
    if api.get("x-amazon-apigateway-policy") != resource_policy:
        raise ValueError(
            "chalice package did not carry policies/api-gateway.json: check api_gateway_policy_file"
        )
    api["x-amazon-apigateway-policy"] = with_stack_variables(resource_policy)
    api["x-amazon-apigateway-gateway-responses"] = gateway_responses()

    table_names = {f["Properties"]["Environment"]["Variables"]["STATE_TABLE"] for f in functions.values()}
    if len(table_names) != 1:
        raise ValueError(f"functions disagree on STATE_TABLE: {sorted(table_names)}")
    resources[TABLE_RESOURCE] = state_table(table_names.pop())

    parameters["PublicBaseUrl"] = {
        "Type": "String",
        "Description": "Where one-time links point: the API's URL without the trailing slash "
        "(the EndpointURL output of a first deploy) or your own domain.",
        "AllowedPattern": r"^https://[^\s]+[^/\s]$",
    }
    parameters["SlackAdmins"] = {
        "Type": "String",
        "Default": "",
        "Description": "Who may use /iam, as Slack member id:IAM user name pairs, e.g. "
        "U012AB3CD:alice,U045EF6GH:bob (not a secret; each IAM user must be in an admin group at the time "
        "of each command).",
    }
    for parameter, what in (("SlackTeamId", "workspace (team) id, T..."), ("SlackAppId", "app id, A...")):
        parameters[parameter] = {
            "Type": "String",
            "Default": "",
            "Description": f"The Slack {what} whose signed requests are trusted; Slack is off without it.",
        }

    parameters.update(elevation_parameters())

    for resource_id, function in functions.items():
        props = function["Properties"]
        props["FunctionName"] = f"{APP_NAME}-{stage}-{_function_name(resource_id)}"
        variables: dict[str, Any] = props["Environment"]["Variables"]
        variables["STATE_TABLE"] = {"Ref": TABLE_RESOURCE}
        variables["PUBLIC_BASE_URL"] = {"Ref": "PublicBaseUrl"}
        variables["SLACK_ADMINS"] = {"Ref": "SlackAdmins"}
        variables["SLACK_TEAM_ID"] = {"Ref": "SlackTeamId"}
        variables["SLACK_APP_ID"] = {"Ref": "SlackAppId"}
        if REVOKE_FUNCTION in functions:
            variables.update(elevation_variables(resource_id))
        if (
            "SlackWorker" in functions
            and "SLACK_WORKER_FUNCTION" in variables
            and resource_id != "SlackWorker"
        ):
            variables["SLACK_WORKER_FUNCTION"] = {"Ref": "SlackWorker"}
        for name, value in list(variables.items()):
            if not name.endswith("_PARAM"):
                continue
            match = re.fullmatch(f"{SSM_PREFIX}{re.escape(stage)}/([A-Za-z0-9_.-]+)", str(value))
            if match is None:
                raise ValueError(f"{name} must name an SSM parameter {SSM_PREFIX}{stage}/<name>")
            parameters[_parameter_id(name)] = {
                "Type": "String",
                "Default": value,
                # The role policies grant these names only, of this stage (the audit's: the webhook URL).
                "AllowedPattern": f"^{SSM_PREFIX}{re.escape(stage)}/{re.escape(match.group(1))}$",
                "Description": f"Name (not value) of the SSM parameter read as {name}.",
            }
            variables[name] = {"Ref": _parameter_id(name)}

    _throttle_anonymous_routes(resources["RestAPI"]["Properties"], parameters)
    if "APIHandler" in functions:
        _reserve_api_concurrency(functions["APIHandler"]["Properties"], parameters, merged)

    if "SlackWorker" in functions:
        # The worker reports its own failures to Slack and never raises: Lambda's automatic retries of
        # an asynchronous invoke could only repeat the work.
        functions["SlackWorker"]["Properties"]["EventInvokeConfig"] = {"MaximumRetryAttempts": 0}

    resources[KEY_RESOURCE] = slack_secrets_key(
        decrypters={
            "SlackSigningSecretParam": [
                _role_of(functions[f]) for f in ("APIHandler", "SlackWorker") if f in functions
            ],
            # The API posts each elevation request to the channel through the same webhook.
            "SlackAuditWebhookParam": [
                _role_of(functions[f]) for f in ("DailyAudit", "APIHandler") if f in functions
            ],
        },
        parameters=parameters,
    )
    alias = f"alias/{APP_NAME}-{stage}-slack"
    for resource_id, function in functions.items():
        function["Properties"]["Environment"]["Variables"]["SLACK_SECRETS_KEY_ARN"] = {
            "Fn::GetAtt": [KEY_RESOURCE, "Arn"]
        }
        role = resources.get(_role_of(function)["Fn::GetAtt"][0])
        if resource_id in ("APIHandler", "SlackWorker") and role is not None:
            role["Properties"].setdefault("Policies", []).append(
                {
                    "PolicyName": "DecryptSecretsWithTheStackKeyOnly",
                    "PolicyDocument": decrypt_only_with(alias),
                }
            )
    resources[f"{KEY_RESOURCE}Alias"] = {
        "Type": "AWS::KMS::Alias",
        "Properties": {"AliasName": alias, "TargetKeyId": {"Ref": KEY_RESOURCE}},
    }
    if REVOKE_FUNCTION in functions:
        resources.update(elevation_resources(APP_NAME, stage))
    outputs = merged.setdefault("Outputs", {})
    outputs["StateTableName"] = {"Value": {"Ref": TABLE_RESOURCE}}
    outputs["SlackSecretsKeyAlias"] = {
        "Description": "Encrypt the Slack SSM parameters with it: aws ssm put-parameter --key-id <alias> ...",
        "Value": {"Ref": f"{KEY_RESOURCE}Alias"},
    }
    return merged


def main(argv: list[str] | None = None) -> None:
    """Read Chalice's template, write the merged one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", required=True)
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    template = json.loads(args.source.read_text())
    policy = json.loads(RESOURCE_POLICY_FILE.read_text())
    args.target.write_text(json.dumps(merge(template, args.stage, policy), indent=2) + "\n")


if __name__ == "__main__":
    main()
