"""The packaged template's part of temporary elevation: the schedule group, the dead-letter queue, and a
scheduler role that may invoke the revoke function and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deploy.elevation import GROUP_RESOURCE, QUEUE_RESOURCE, REVOKE_FUNCTION, ROLE_RESOURCE

ROOT = Path(__file__).resolve().parents[2]


def test_the_scheduler_role_may_invoke_only_the_revoke_function(template: dict[str, Any]) -> None:
    role = template["Resources"][ROLE_RESOURCE]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]

    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("lambda:InvokeFunction", {"Fn::GetAtt": [REVOKE_FUNCTION, "Arn"]}),
        ("sqs:SendMessage", {"Fn::GetAtt": [QUEUE_RESOURCE, "Arn"]}),
    ]
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "scheduler.amazonaws.com"}]
    assert trust[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_the_role_the_api_may_pass_is_the_scheduler_role(template: dict[str, Any]) -> None:
    name = template["Resources"][ROLE_RESOURCE]["Properties"]["RoleName"]
    api_policy = json.loads((ROOT / "policies" / "role-api.json").read_text())
    passed = [s["Resource"] for s in api_policy["Statement"] if "iam:PassRole" in s["Action"]]

    assert passed == [f"arn:aws:iam::*:role/{name.replace('-dev-', '-${Stage}-')}"]


def test_the_schedules_group_is_the_one_the_roles_grant(template: dict[str, Any]) -> None:
    group = template["Resources"][GROUP_RESOURCE]["Properties"]["Name"]
    api_policy = json.loads((ROOT / "policies" / "role-api.json").read_text())
    scheduled = [s["Resource"] for s in api_policy["Statement"] if "scheduler:CreateSchedule" in s["Action"]]

    assert scheduled == [f"arn:aws:scheduler:*:*:schedule/{group.replace('-dev-', '-${Stage}-')}/elevation-*"]


def test_the_functions_that_make_or_sweep_schedules_know_where_they_are(template: dict[str, Any]) -> None:
    functions = {
        k: v["Properties"]["Environment"]["Variables"]
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::Serverless::Function"
    }

    for name in ("APIHandler", "DailyAudit", "SlackWorker"):
        assert functions[name]["ELEVATION_SCHEDULE_GROUP"] == {"Ref": GROUP_RESOURCE}, name
        assert functions[name]["ELEVATION_REVOKE_FUNCTION"] == {"Ref": REVOKE_FUNCTION}, name
    assert "ELEVATION_REVOKE_FUNCTION" not in functions[REVOKE_FUNCTION]


def test_the_longest_elevation_is_a_parameter_no_higher_than_the_spec_allows(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["ElevationMaxMinutes"]
    api = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]

    assert (parameter["Default"], parameter["MaxValue"], parameter["MinValue"]) == (480, 480, 1)
    assert api["ELEVATION_MAX_MINUTES"] == {"Ref": "ElevationMaxMinutes"}
