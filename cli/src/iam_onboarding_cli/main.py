"""`iam-onboarding`: the admin's command line for the iam-onboarding REST API.

Deployed, every request is signed with SigV4 (botocore's signer, service `execute-api`) using an MFA
session made from the admin's AWS profile; `--local` talks to `make run` with its dev headers instead.
Exit codes: 0 done, 1 refused or failed (the API's error code and message are printed), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from iam_onboarding_cli import output
from iam_onboarding_cli.api import Api, DevIdentity, SigV4Signing, checked_endpoint, region_of, user_path
from iam_onboarding_cli.elevation import add_elevation_commands
from iam_onboarding_cli.errors import ApiError, CliError, CredentialsError, UsageError
from iam_onboarding_cli.mfa import DEFAULT_DURATION, MAX_DURATION, MIN_DURATION, MfaSessions
from iam_onboarding_cli.terminal import add_terminal_commands, seconds_between

LOCAL_ENDPOINT = "http://127.0.0.1:8000"
LOCAL_ADMIN = "admin"  # the bootstrap's admin (local/bootstrap.py)
ENDPOINT_VARIABLE = "IAM_ONBOARDING_URL"


@dataclass
class Console:
    """The terminal: answers go to stdout, questions and errors to stderr, replies come from stdin."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    def interactive(self) -> bool:
        """Whether a person can answer a question (stdin is a terminal)."""
        return self.stdin.isatty()

    def ask(self, question: str) -> str:
        """Ask on stderr, so that stdout stays the command's answer; "" at end of input."""
        self.stderr.write(question)
        self.stderr.flush()
        return self.stdin.readline().strip()

    def say(self, text: str) -> None:
        """Print the command's answer."""
        self.stdout.write(text + "\n")

    def tell(self, text: str) -> None:
        """Print something for the person, not for a script reading stdout."""
        self.stderr.write(text + "\n")


Handler = Callable[[Api, argparse.Namespace, Console], tuple[Any, str]]


# --- the commands ----------------------------------------------------------------------------------


def whoami(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """GET /session; then GET /session/mfa, which the API's resource policy opens only to MFA sessions."""
    session = api.call("GET", "/session")
    proof = None
    if session.get("multi_factor_auth_present") is not False:
        try:
            proof = api.call("GET", "/session/mfa")
        except ApiError as error:
            if error.status != 403:
                raise
    body = {"session": session, "mfa": proof}
    return body, output.whoami(body)


def users_create(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """POST /admin/users."""
    body = api.call("POST", "/admin/users", {"user_name": args.name, "groups": args.groups})
    return body, output.created_user(body)


def users_list(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """GET /admin/users."""
    body = api.call("GET", "/admin/users")
    return body, output.user_list(body)


def users_show(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """GET /admin/users/{name}."""
    body = api.call("GET", user_path(args.name))
    return body, output.user_detail(body)


def users_reissue(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """POST /admin/users/{name}/credentials: a new first password and link; older links die."""
    body = api.call("POST", user_path(args.name, "credentials"))
    return body, output.one_time_link("credential", body["bundle"], args.name)


def users_enrollment(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """POST /admin/users/{name}/enrollment: an MFA link for a user without MFA."""
    body = api.call("POST", user_path(args.name, "enrollment"))
    return body, output.one_time_link("MFA enrollment", body["enrollment"], args.name)


def users_reset_mfa(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """DELETE /admin/users/{name}/mfa: remove a lost device and hand out a new enrollment link."""
    body = api.call("DELETE", user_path(args.name, "mfa"))
    return body, output.mfa_reset(body, args.name)


def users_offboard(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """DELETE /admin/users/{name}; asks first (showing the dry run) unless --yes or --dry-run."""
    path = user_path(args.name)
    if args.dry_run:
        body = api.call("DELETE", path + "?dry_run=true")
        return body, output.offboarded(body)
    if not args.yes:
        console.tell(output.offboarded(api.call("DELETE", path + "?dry_run=true")))
        answer = console.ask(f"Offboard {args.name}: delete the user and all of the above? [y/N] ")
        if answer.lower() not in ("y", "yes"):
            raise CliError(f"Not confirmed: {args.name} was left as it is.")
    body = api.call("DELETE", path)
    return body, output.offboarded(body)


def refuse_unconfirmed_offboarding(args: argparse.Namespace, console: Console) -> None:
    """Offboarding deletes for good: with nobody at a terminal to ask, only --yes may confirm it."""
    if args.handler is users_offboard and not (args.yes or args.dry_run) and not console.interactive():
        raise UsageError(
            f"offboard deletes {args.name} and everything attached: pass --yes to confirm "
            "(there is no terminal to ask on), or --dry-run to see what it would remove."
        )


def audit_run(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """POST /admin/audit: audit the account now."""
    body = api.call("POST", "/admin/audit")
    return body, output.audit_report(body)


def audit_show(api: Api, args: argparse.Namespace, console: Console) -> tuple[Any, str]:
    """GET /admin/audit: the latest stored report."""
    body = api.call("GET", "/admin/audit")
    return body, output.audit_report(body)


# --- the command line ------------------------------------------------------------------------------


def _add_common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options every command takes, before or after the command's name.

    A subcommand's copy has no defaults (SUPPRESS), so that it does not overwrite what was given
    before the command's name.
    """

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    group = parser.add_argument_group("where and as whom")
    group.add_argument(
        "--endpoint",
        metavar="URL",
        default=default(None),
        help=f"the API's base URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/api "
        f"(default: ${ENDPOINT_VARIABLE}; with --local, {LOCAL_ENDPOINT})",
    )
    group.add_argument(
        "--profile", default=default(None), help="the AWS profile to sign with (default: $AWS_PROFILE)"
    )
    group.add_argument(
        "--mfa-serial",
        metavar="ARN",
        default=default(None),
        help="the MFA device to ask a code for (default: your one device, from iam:ListMFADevices)",
    )
    group.add_argument(
        "--duration",
        type=seconds_between(MIN_DURATION, MAX_DURATION, "15 min to 1 h: /admin/* takes no older MFA"),
        metavar="SECONDS",
        default=default(DEFAULT_DURATION),
        help="lifetime of the cached MFA session, 900-3600 (default 3600: /admin/* takes no older MFA)",
    )
    group.add_argument(
        "--local",
        action="store_true",
        default=default(False),
        help="talk to `make run`: no signing, the local dev identity headers instead",
    )
    group.add_argument(
        "--as",
        dest="caller",
        metavar="NAME",
        default=default(None),
        help=f"with --local: the IAM user to act as (default {LOCAL_ADMIN})",
    )
    group.add_argument(
        "--json", action="store_true", default=default(False), help="print the API's JSON answer"
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = argparse.ArgumentParser(
        prog="iam-onboarding",
        description="Onboard IAM users through the iam-onboarding API, signed with your AWS profile and MFA.",
    )
    _add_common_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        parent: argparse._SubParsersAction[argparse.ArgumentParser], name: str, handler: Handler, text: str
    ) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=text, description=text)
        _add_common_options(sub, defaults=False)
        sub.set_defaults(handler=handler)
        return sub

    command(commands, "whoami", whoami, "who you are to the API, and whether your session has MFA")

    users = commands.add_parser("users", help="create, inspect, re-link and offboard users")
    user_commands = users.add_subparsers(dest="user_command", required=True, metavar="COMMAND")
    create = command(user_commands, "create", users_create, "create a user in groups, with a one-time link")
    create.add_argument("name", help="the IAM user name (A-Za-z0-9_+=,.@-, at most 64)")
    create.add_argument(
        "--group",
        dest="groups",
        metavar="GROUP",
        action="append",
        required=True,
        help="a managed group (repeat for more)",
    )
    command(user_commands, "list", users_list, "every managed user, with groups and onboarding state")
    for name, handler, text in (
        ("show", users_show, "one user in detail"),
        ("reissue", users_reissue, "a new first password and one-time link; older links stop working"),
        ("enrollment", users_enrollment, "a new MFA enrollment link, for a user without MFA"),
        ("reset-mfa", users_reset_mfa, "remove a lost MFA device and hand out an enrollment link"),
    ):
        command(user_commands, name, handler, text).add_argument("name", help="the IAM user name")
    offboard = command(user_commands, "offboard", users_offboard, "delete a user and everything attached")
    offboard.add_argument("name", help="the IAM user name")
    offboard.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    offboard.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    audit = commands.add_parser("audit", help="the account audit")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    command(audit_commands, "run", audit_run, "audit the account now and print the report")
    command(audit_commands, "show", audit_show, "print the latest stored report")
    add_elevation_commands(commands, command)
    add_terminal_commands(commands)
    return parser


def connect(
    args: argparse.Namespace, console: Console, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Api:
    """The API the options name, with the caller's proof of identity: dev headers or SigV4."""
    if args.local:
        return Api(args.endpoint or LOCAL_ENDPOINT, DevIdentity(args.caller or LOCAL_ADMIN))
    if args.caller is not None:
        raise UsageError("--as names a caller of `make run`: use it with --local.")
    endpoint = args.endpoint or os.environ.get(ENDPOINT_VARIABLE)
    if not endpoint:
        raise UsageError(
            f"Name the API with --endpoint or ${ENDPOINT_VARIABLE} (or use --local for make run)."
        )
    endpoint = checked_endpoint(endpoint)

    import boto3  # only a deployed API needs it; --local stays quick to start
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.Session(profile_name=args.profile)
    except ProfileNotFound as error:
        raise CredentialsError(f"{error}.") from None
    region = region_of(endpoint) or session.region_name
    if not region:
        raise UsageError(
            "The endpoint's host does not name its region: set `region` in the profile, or AWS_REGION."
        )

    def ask_code(serial: str) -> str:
        answer = console.ask(f"MFA code for {serial}: ")
        if not answer and not console.interactive():
            raise CredentialsError(
                "An MFA code is needed and there is no terminal to ask on: run once in a terminal "
                "(the session is then cached), or use credentials that are a session already."
            )
        return answer

    sessions = MfaSessions(ask_code=ask_code, mfa_serial=args.mfa_serial, duration=args.duration, now=now)
    return Api(endpoint, SigV4Signing(sessions.signing_credentials(session), region))


def main(
    argv: Sequence[str] | None = None,
    *,
    console: Console | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Run one command; the exit code (0 done, 1 refused or failed, 2 usage)."""
    console = console or Console()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: --help is 0, a usage error 2
        return int(exit_.code or 0)
    # botocore logs canonical requests (with the session token) and STS answers (with the secret key) at
    # DEBUG: whatever logging an embedding program set up, none of that may reach a log from here.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        if getattr(args, "terminal", None) is not None:  # credential-process, configure, doctor: no admin
            return int(args.terminal(args, console))
        refuse_unconfirmed_offboarding(args, console)
        api = connect(args, console, now=now)
        body, text = args.handler(api, args, console)
    except CliError as error:
        console.tell(f"iam-onboarding: {error}")
        return error.exit_code
    except KeyboardInterrupt:
        console.tell("")
        return 130
    console.say(json.dumps(body, indent=2) if args.json else text)
    return 0


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
