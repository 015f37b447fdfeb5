"""`/onboarding/*`: the newcomer's calls, authorized only by a one-time token in the JSON body."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import aws, wiring
from chalicelib.api.http import json_response, parse_body, translating_errors
from chalicelib.config import settings
from chalicelib.models import TokenRequest
from chalicelib.services.bundles import claim_bundle

onboarding = Blueprint(__name__)


@onboarding.route("/onboarding/credentials", methods=["POST"])
@translating_errors
def claim_credentials() -> Response:
    """Open the credential bundle, once."""
    body = parse_body(onboarding.current_request, TokenRequest)
    claimed = claim_bundle(body.token, iam=aws.iam(), store=wiring.store(), settings=settings())
    return json_response(claimed)
