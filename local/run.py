"""`make run`: an emulated AWS on 127.0.0.1, bootstrapped, and the API served beside it."""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Mapping
from typing import Any

LOCAL_SLACK_TEAM, LOCAL_SLACK_APP = "T0LOCAL", "A0LOCAL"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_emulator() -> Any:
    """Start moto in this process, bound to 127.0.0.1, and point every AWS client at it."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AdministratorAccess, ReadOnlyAccess exist
    from moto.server import ThreadedMotoServer

    from local.emulator import make_faithful

    make_faithful()

    port = int(os.environ.get("MOTO_PORT") or free_port())
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per emulated AWS call is noise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    return server


def slack_hint(base: str, environ: Mapping[str, str]) -> str:
    """The banner's line about Slack's /iam: how to try it, or which variables are still missing."""
    missing = [name for name in ("SLACK_SIGNING_SECRET", "SLACK_ADMINS") if not environ.get(name)]
    if missing:
        return f'Slack\'s /iam: set {" and ".join(missing)} before `make run` (README, "Slack").'
    return (
        "Slack's /iam is on. In another shell, with the same SLACK_* variables exported:\n"
        f"  .venv/bin/python -m local.slack help{'' if base.endswith(':8000') else ' --base ' + base}"
        "   (signs as Slack does; prints what would go to Slack)"
    )


def banner(base: str, emulator: str, environ: Mapping[str, str]) -> str:
    """What `make run` prints once it serves: where, and what to try."""
    from local.bootstrap import ADMIN_USER

    local = "--local" if base.endswith(":8000") else f"--local --endpoint {base}"
    return f"""
iam-onboarding is running on {base}  (emulated AWS at {emulator})
Try the admin command line (README, "Admin command line"):
  .venv/bin/iam-onboarding {local} users create alice --group developer
  .venv/bin/iam-onboarding {local} users list
or the raw requests:
  curl -s -X POST {base}/admin/users -H 'X-Dev-Caller: {ADMIN_USER}' -H 'X-Dev-Mfa: true' \\
       -H 'Content-Type: application/json' -d '{{"user_name": "alice", "groups": ["developer"]}}'
  curl -s {base}/admin/users -H 'X-Dev-Caller: {ADMIN_USER}' -H 'X-Dev-Mfa: true'
  curl -s -X POST {base}/onboarding/credentials -H 'Content-Type: application/json' \\
       -d '{{"token": "<the part of bundle.url after #>"}}'
  curl -s {base}/session -H 'X-Dev-Caller: {ADMIN_USER}'
  curl -s {base}/openapi.json
Open a bundle.url in a browser for the newcomer's page (credentials, MFA, done).
{slack_hint(base, environ)}
Ctrl-C stops it."""


def main() -> None:
    """Start (or reuse) the emulator, bootstrap it, and serve the API until interrupted."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # No real Slack workspace locally: `python -m local.slack` signs as this workspace and app.
        "SLACK_TEAM_ID": LOCAL_SLACK_TEAM,
        "SLACK_APP_ID": LOCAL_SLACK_APP,
    }.items():
        os.environ.setdefault(key, value)
    port = int(os.environ.get("PORT", "8000"))
    emulator = None if os.environ.get("AWS_ENDPOINT_URL") else start_emulator()

    from app import app, elevation_revoke
    from chalicelib import aws
    from chalicelib.config import settings
    from local.bootstrap import bootstrap
    from local.emulator import use_local_revoke_function
    from local.gateway import make_server
    from local.scheduler import start_firing

    account_id = aws.sts().get_caller_identity()["Account"]
    bootstrap(aws.iam(), aws.dynamodb(), settings(), account_id, aws.scheduler())
    server = make_server(app, "127.0.0.1", port)
    use_local_revoke_function()
    # Deployed, EventBridge Scheduler invokes the revoke function; here the emulator's due schedules are
    # fired through the same handler.
    firing = start_firing(
        aws.scheduler(),
        settings().elevation.schedule_group,
        lambda event: elevation_revoke(event, None),
    )
    base = f"http://127.0.0.1:{port}"
    print(banner(base, os.environ["AWS_ENDPOINT_URL"], os.environ), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        firing.set()
        server.server_close()
        if emulator is not None:
            emulator.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
