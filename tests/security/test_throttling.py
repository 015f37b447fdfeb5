"""The anonymous routes cannot eat the account: stage throttling and the API function's reserved concurrency.

`/onboarding/*` and `/slack/*` take requests from anyone. Lambda concurrency is one pool for the whole
account, so a flood there could starve every other function of the account; API Gateway throttles each of
those methods at the stage (template parameters, defaults a small team never hits) and the API function
has a concurrency of its own. Checked on `make package`'s merged template.
"""

from __future__ import annotations

from typing import Any

ANONYMOUS = ("/onboarding/", "/slack/")


def api(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"]["RestAPI"]["Properties"])


def anonymous_methods(template: dict[str, Any]) -> set[tuple[str, str]]:
    paths = api(template)["DefinitionBody"]["paths"]
    return {
        ("/" + path.replace("/", "~1"), method.upper())
        for path, operations in paths.items()
        if path.startswith(ANONYMOUS)
        for method in operations
    }


def test_every_anonymous_method_is_throttled_at_the_stage_by_the_templates_parameters(
    template: dict[str, Any],
) -> None:
    settings = api(template)["MethodSettings"]
    throttled = {
        (s["ResourcePath"], s["HttpMethod"])
        for s in settings
        if s["ThrottlingRateLimit"] == {"Ref": "AnonymousRateLimit"}
        and s["ThrottlingBurstLimit"] == {"Ref": "AnonymousBurstLimit"}
    }

    assert len(anonymous_methods(template)) == 5  # 3 onboarding, 2 Slack: the test sees them all
    assert throttled == anonymous_methods(template)


def test_the_throttle_defaults_are_twenty_a_second_with_bursts_of_forty(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]

    assert (parameters["AnonymousRateLimit"]["Default"], parameters["AnonymousBurstLimit"]["Default"]) == (
        20,
        40,
    )
    assert parameters["AnonymousRateLimit"]["Type"] == parameters["AnonymousBurstLimit"]["Type"] == "Number"


def test_the_api_function_has_reserved_concurrency_that_leaves_the_account_room(
    template: dict[str, Any],
) -> None:
    reserved = template["Resources"]["APIHandler"]["Properties"]["ReservedConcurrentExecutions"]
    parameter = template["Parameters"]["ApiReservedConcurrency"]

    assert reserved == {
        "Fn::If": ["ReserveApiConcurrency", {"Ref": "ApiReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    # Of the default quota of 1,000, the account keeps all but 20 (Lambda insists on 100 unreserved).
    assert parameter["Default"] == 20 and parameter["MaxValue"] <= 900
    assert template["Conditions"]["ReserveApiConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ApiReservedConcurrency"}, 0]}]
    }
