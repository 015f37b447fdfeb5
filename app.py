"""The Chalice app: blueprints and logging wired together; the logic lives in chalicelib/."""

from __future__ import annotations

import logging
import os
from typing import Any

from chalice.app import Chalice, CloudWatchEvent, Rate

from chalicelib import wiring, wiring_elevation
from chalicelib.api.admin import admin
from chalicelib.api.audit import audit
from chalicelib.api.docs import docs
from chalicelib.api.elevation import elevation
from chalicelib.api.http import reshape_chalice_errors
from chalicelib.api.onboarding import onboarding
from chalicelib.api.session import session
from chalicelib.api.slack import slack
from chalicelib.api.web import web

app = Chalice(app_name="iam-onboarding")
app.log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
logging.getLogger("chalicelib").setLevel(os.environ.get("LOG_LEVEL", "INFO"))

app.register_middleware(reshape_chalice_errors, "http")
app.register_blueprint(admin)
app.register_blueprint(onboarding)
app.register_blueprint(docs)
app.register_blueprint(session)
app.register_blueprint(web)
app.register_blueprint(audit)
app.register_blueprint(slack)
app.register_blueprint(elevation)


# In app.py, not in the blueprint: a schedule inside a blueprint becomes a Lambda that never imports app.py.
@app.schedule(Rate(1, unit=Rate.DAYS))
def daily_audit(event: CloudWatchEvent) -> None:
    """Audit the account every day; the summary goes to Slack when a webhook is configured."""
    wiring.daily_audit()


@app.lambda_function(name="slack_worker")
def slack_worker(event: dict[str, Any], context: Any) -> None:
    """Slow `/iam` work, invoked asynchronously by the API function; posts its outcome to Slack."""
    wiring.slack_worker().run_event(event)


@app.lambda_function(name="elevation_revoke")
def elevation_revoke(event: dict[str, Any], context: Any) -> dict[str, list[str]]:
    """Ends a grant when its EventBridge Scheduler schedule fires (`{"grant_id"}`), or every grant whose
    schedule was missed (`{"sweep": true}`, from the audit); acts only on what the table says is due."""
    return wiring_elevation.revoke_elevations(event)
