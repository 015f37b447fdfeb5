"""`make package`'s output: the SAM template after the merge, and the deployment zip.

Builds once per run (the `build` fixture) with the same commands the Makefile runs (`chalice package`, then
`deploy.merge_template`), then lints and inspects the result.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from deploy import merge_template

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STAGE = "dev"
MAX_ZIP_BYTES = 5 * 1024 * 1024
# Shapes of secrets that must never be in a template or the zip: AWS access key ids, Slack tokens and
# webhook URLs, private keys.
SECRET_SHAPES = re.compile(
    r"(AKIA|ASIA)[0-9A-Z]{16}|xox[abposr]-[0-9A-Za-z-]{10,}|hooks\.slack\.com/services/"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY"
)
SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD", "WEBHOOK", "KEY")


@pytest.fixture(scope="module")
def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The template's Lambda functions by resource id, their properties only."""
    return {
        k: v["Properties"]
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::Serverless::Function"
    }


@pytest.fixture(scope="module")
def app() -> Any:
    """The Chalice app being packaged."""
    from app import app

    return app


def test_cfn_lint_passes_without_findings(build: Path) -> None:
    result = subprocess.run(  # noqa: S603 - the venv's own cfn-lint on our file
        [str(BIN / "cfn-lint"), str(build / "template.json")], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_every_function_runs_on_a_supported_python(functions: dict[str, dict[str, Any]]) -> None:
    runtimes = {props["Runtime"] for props in functions.values()}
    assert runtimes == {f"python3.{sys.version_info.minor}"}
    assert all(int(r.removeprefix("python3.")) >= 12 for r in runtimes)


def test_the_api_handler_is_the_chalice_app(functions: dict[str, dict[str, Any]]) -> None:
    assert functions["APIHandler"]["Handler"] == "app.app"


def test_every_other_function_of_the_app_has_its_handler_and_its_own_role(
    functions: dict[str, dict[str, Any]], app: Any
) -> None:
    expected = {handler.handler_string for handler in (*app.pure_lambda_functions, *app.event_sources)} | {
        "app.app"
    }
    assert {props["Handler"] for props in functions.values()} == expected
    roles = [json.dumps(props["Role"]) for props in functions.values()]
    assert len(set(roles)) == len(roles)


def test_every_schedule_of_the_app_is_in_the_template(functions: dict[str, dict[str, Any]], app: Any) -> None:
    scheduled = {
        (props["Handler"], event["Properties"]["Schedule"])
        for props in functions.values()
        for event in props.get("Events", {}).values()
        if event["Type"] == "Schedule"
    }
    expected = {
        (source.handler_string, _expression(source.schedule_expression))
        for source in app.event_sources
        if hasattr(source, "schedule_expression")
    }
    assert scheduled == expected


def _expression(expression: Any) -> str:
    return expression if isinstance(expression, str) else str(expression.to_string())


def _role_allows(template: dict[str, Any], function: dict[str, Any], action: str, resource: str) -> bool:
    role = template["Resources"][function["Role"]["Fn::GetAtt"][0]]["Properties"]
    return any(
        statement["Effect"] == "Allow"
        and action in statement["Action"]
        and any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"]))
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    )


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_every_function_may_write_its_own_logs(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    for props in functions.values():
        group = f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{props['FunctionName']}"
        assert _role_allows(template, props, "logs:CreateLogGroup", group), props["FunctionName"]
        assert _role_allows(template, props, "logs:PutLogEvents", f"{group}:log-stream:x"), props[
            "FunctionName"
        ]


def test_the_api_may_invoke_the_slack_worker_by_the_name_it_is_given(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    api = functions["APIHandler"]
    assert api["Environment"]["Variables"]["SLACK_WORKER_FUNCTION"] == {"Ref": "SlackWorker"}
    worker = functions["SlackWorker"]["FunctionName"]
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{worker}"
    assert _role_allows(template, api, "lambda:InvokeFunction", arn)


def test_lambda_never_retries_the_slack_worker_on_its_own(functions: dict[str, dict[str, Any]]) -> None:
    assert functions["SlackWorker"]["EventInvokeConfig"] == {"MaximumRetryAttempts": 0}


def test_the_daily_audit_is_scheduled(functions: dict[str, dict[str, Any]]) -> None:
    audit = next(props for props in functions.values() if props["Handler"] == "app.daily_audit")
    assert [e["Type"] for e in audit["Events"].values()] == ["Schedule"]


def test_functions_are_named_after_app_stage_and_function(functions: dict[str, dict[str, Any]]) -> None:
    # The role policies' log-group and InvokeFunction resources rely on these names.
    assert functions["APIHandler"]["FunctionName"] == f"iam-onboarding-{STAGE}-api_handler"
    assert all(p["FunctionName"].startswith(f"iam-onboarding-{STAGE}-") for p in functions.values())


def test_the_api_carries_the_resource_policy_file_with_its_mfa_gate(template: dict[str, Any]) -> None:
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    policy = body["x-amazon-apigateway-policy"]
    assert policy == merge_template.with_stack_variables(
        json.loads((ROOT / "policies" / "api-gateway.json").read_text())
    )
    gate = next(s for s in policy["Statement"] if s["Sid"] == "DenyAdminAndMfaReportWithoutMfa")
    assert gate["Effect"] == "Deny"
    assert gate["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}


def test_the_api_uses_iam_auth_on_admin_routes(template: dict[str, Any]) -> None:
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    admin_operations = [
        op for path, ops in body["paths"].items() if path.startswith("/admin/") for op in ops.values()
    ]
    assert admin_operations
    assert all(op.get("security") == [{"sigv4": []}] for op in admin_operations)


def test_gateway_responses_use_the_error_shape_and_carry_cors_headers(template: dict[str, Any]) -> None:
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN"} <= set(responses)
    for kind, response in responses.items():
        assert (
            response["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"
        ), kind
        text = response["responseTemplates"]["application/json"]
        error = json.loads(text.replace("$context.error.messageString", '"a message"'))["error"]
        assert re.fullmatch(r"[a-z_]+", error["code"]) and error["message"], kind


def test_the_mfa_gate_answers_403_mfa_required(template: dict[str, Any]) -> None:
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    denied = body["x-amazon-apigateway-gateway-responses"]["ACCESS_DENIED"]
    error = json.loads(denied["responseTemplates"]["application/json"])["error"]
    assert (denied["statusCode"], error["code"]) == ("403", "mfa_required")


def test_the_state_table_has_ttl_point_in_time_recovery_and_encryption(template: dict[str, Any]) -> None:
    table = template["Resources"]["StateTable"]
    props = table["Properties"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == "Retain"


def test_every_function_finds_the_state_table_by_reference(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    assert template["Resources"]["StateTable"]["Properties"]["TableName"] == f"iam-onboarding-state-{STAGE}"
    for props in functions.values():
        assert props["Environment"]["Variables"]["STATE_TABLE"] == {"Ref": "StateTable"}


def test_secrets_are_named_by_ssm_parameter_never_given(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    parameters = template["Parameters"]
    for props in functions.values():
        for name, value in props["Environment"]["Variables"].items():
            if any(word in name for word in SECRET_WORDS) and name != "SLACK_SECRETS_KEY_ARN":
                assert name.endswith("_PARAM") and value == {"Ref": merge_template._parameter_id(name)}, name
                assert parameters[value["Ref"]]["Default"].startswith("/iam-onboarding/"), name
    assert "SlackSigningSecretParam" in parameters


def test_no_secret_appears_in_the_template(build: Path) -> None:
    text = (build / "template.json").read_text()
    assert SECRET_SHAPES.findall(text) == []
    assert "replace-me" not in text  # config.json's placeholder URL gives way to the PublicBaseUrl parameter


def test_the_zip_is_under_5_mb_and_has_no_boto3(build: Path) -> None:
    path = build / "deployment.zip"
    names = zipfile.ZipFile(path).namelist()
    assert path.stat().st_size < MAX_ZIP_BYTES
    assert {n.split("/")[0] for n in names} & {"boto3", "botocore", "s3transfer", "moto"} == set()


def test_the_zip_ships_the_app_and_the_policy_files_it_reads(build: Path) -> None:
    names = set(zipfile.ZipFile(build / "deployment.zip").namelist())
    assert {"app.py", "chalicelib/policies/groups.json", "chalicelib/policies/force-mfa.json"} <= names
    assert not any(n.startswith(("tests/", "local/", "deploy/", ".chalice/")) for n in names)


def test_the_zip_ships_no_part_of_the_admin_command_line(build: Path) -> None:
    names = zipfile.ZipFile(build / "deployment.zip").namelist()
    assert [n for n in names if n.startswith("cli/") or "iam_onboarding_cli" in n] == []


def test_no_secret_appears_in_the_zip(build: Path) -> None:
    with zipfile.ZipFile(build / "deployment.zip") as archive:
        ours = [n for n in archive.namelist() if n == "app.py" or n.startswith("chalicelib/")]
        found = {n: SECRET_SHAPES.findall(archive.read(n).decode(errors="replace")) for n in ours}
    assert {n: hits for n, hits in found.items() if hits} == {}


def test_the_api_may_read_every_ssm_parameter_the_template_names(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    names = [p["Default"] for k, p in template["Parameters"].items() if k.endswith("Param")]
    assert names
    for name in names:
        arn = f"arn:aws:ssm:us-east-1:123456789012:parameter{name}"
        assert _role_allows(template, functions["APIHandler"], "ssm:GetParameter", arn), name
