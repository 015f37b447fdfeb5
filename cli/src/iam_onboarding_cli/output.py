"""What each command prints by default: short tables and sentences over the API's JSON (`--json` skips it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell, a header row first."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def fields(pairs: Sequence[tuple[str, Any]]) -> str:
    """`name: value` lines, names aligned."""
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{name.ljust(width)}  {_cell(value)}" for name, value in pairs)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def created_user(body: dict[str, Any]) -> str:
    """`users create`."""
    return "\n".join(
        [
            f"Created {body['user_name']} in {_cell(body['groups'])} ({body['arn']}).",
            one_time_link("credential", body["bundle"], body["user_name"]),
        ]
    )


def one_time_link(kind: str, link: dict[str, Any], user_name: str) -> str:
    """A link to hand to the newcomer, with how long it lasts and how to pass it on."""
    return (
        f"One-time {kind} link (expires {link['expires_at']}):\n  {link['url']}\n"
        f"Give it to {user_name} privately: it works once, and nothing else shows it again."
    )


def user_list(body: dict[str, Any]) -> str:
    """`users list`."""
    users = body["users"]
    if not users:
        return "No managed users."
    return table(
        ("USER", "GROUPS", "STATE", "CREATED"),
        [(u["user_name"], u["groups"], u["state"], u["created_at"]) for u in users],
    )


def user_detail(body: dict[str, Any]) -> str:
    """`users show`."""
    return fields(
        [
            ("user", body["user_name"]),
            ("arn", body["arn"]),
            ("groups", body["groups"]),
            ("state", body["state"]),
            ("created", body.get("created_at")),
            ("mfa devices", body["mfa_devices"]),
            ("password last used", body["password_last_used"]),
        ]
    )


def offboarded(body: dict[str, Any]) -> str:
    """`users offboard`: what was (or, with --dry-run, would be) removed, by kind."""
    removed = dict(body["removed"])
    user = removed.pop("user")
    verb = "Would remove" if body["dry_run"] else "Removed"
    kept = [(kind.replace("_", " "), value) for kind, value in removed.items() if value]
    lines = [f"{verb} {user}" + (", and:" if kept else ".")]
    if kept:
        lines.append(fields(kept))
    return "\n".join(lines)


def mfa_reset(body: dict[str, Any], user_name: str) -> str:
    """`users reset-mfa`."""
    removed = body["removed"]
    first = f"Removed MFA device {_cell(removed)}." if removed else f"{user_name} had no MFA device."
    return "\n".join([first, one_time_link("MFA enrollment", body["enrollment"], user_name)])


def audit_report(body: dict[str, Any]) -> str:
    """`audit run` and `audit show`: the summary, then one line per finding, worst first."""
    summary = body["summary"]
    head = (
        f"Audit of {body['generated_at']}: {summary['findings']} findings over {summary['users']} users "
        f"and {summary['checks']} checks."
    )
    findings = body["findings"]
    if not findings:
        return head
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "informational": 4}
    rows = sorted(findings, key=lambda f: (order.get(f["severity"], 9), f["check_id"], f["resource"]))
    return "\n".join(
        [
            head,
            table(
                ("SEVERITY", "CHECK", "RESOURCE", "MESSAGE"),
                [(f["severity"], f["check_id"], f["resource"], f["message"]) for f in rows],
            ),
        ]
    )


def whoami(body: dict[str, Any]) -> str:
    """`whoami`: the session report, and whether `/session/mfa` let the caller in."""
    session = body["session"]
    proof = body["mfa"]
    if proof is not None:
        mfa = "yes (GET /session/mfa let this session in)"
    elif session["multi_factor_auth_present"] is False:
        mfa = "no"
    else:
        mfa = "no (GET /session/mfa refused this session)"
    return fields(
        [
            ("arn", session["arn"]),
            ("user", session["user_name"]),
            ("account", session["account_id"]),
            ("credentials", session["credential_type"]),
            ("mfa devices", session["mfa_devices"]),
            ("mfa on this session", mfa),
        ]
    )
