"""`make load`: concurrent newcomers against the local stack (`python -m local.run`), over real sockets.

The admin creates N users first; then all N newcomers start at once, each claiming its credential link
(together with a duplicate claim of the same link, fired at the same moment), starting MFA enrollment and
verifying two consecutive TOTP codes computed from the returned secret. What must hold: every link is
claimed exactly once (one 200 and one 410 per pair), no 5xx, and nothing is lost (every user ends
`mfa_enrolled`; IAM holds exactly N assigned virtual devices and no unassigned one).

Loopback only, bounded in count (`--newcomers`) and time (every request times out; the stack is stopped).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from local.stack import Stack, local_stack

ADMIN = {"X-Dev-Caller": "admin", "X-Dev-Mfa": "true"}
REQUEST_TIMEOUT = 30.0
STEPS = ("create", "claim", "enroll", "verify")


def call(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    """One JSON request; the reply's status, body and seconds taken."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)  # noqa: S310 - 127.0.0.1 only
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    elapsed = time.perf_counter() - start
    try:
        parsed = json.loads(raw or b"null")
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Reply(status, parsed, elapsed)


@dataclass(frozen=True)
class Reply:
    """An HTTP reply as the load test saw it."""

    status: int
    body: Any
    seconds: float


@dataclass
class LoadReport:
    """What happened: every reply by step, the duplicate claims' statuses, the final state."""

    newcomers: int
    replies: dict[str, list[Reply]] = field(default_factory=lambda: {s: [] for s in STEPS})
    claim_pairs: list[list[int]] = field(default_factory=list)
    concurrent_seconds: float = 0.0
    final_states: dict[str, str] = field(default_factory=dict)
    assigned_devices: int = -1
    unassigned_devices: int = -1
    failures: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every broken promise; empty when the run upheld them all."""
        found = list(self.failures)
        for step, replies in self.replies.items():
            errors = [r for r in replies if r.status >= 500]
            if errors:
                found.append(f"{len(errors)} server errors on {step}: {errors[0].body}")
        for i, pair in enumerate(self.claim_pairs):
            if sorted(pair) != [200, 410]:
                found.append(
                    f"newcomer {i}: the two concurrent claims answered {sorted(pair)}, not [200, 410]"
                )
        if len(self.claim_pairs) != self.newcomers:
            found.append(f"{len(self.claim_pairs)} claim pairs for {self.newcomers} newcomers")
        not_enrolled = {u: s for u, s in self.final_states.items() if s != "mfa_enrolled"}
        if len(self.final_states) != self.newcomers or not_enrolled:
            found.append(
                f"{len(self.final_states)} users listed, not mfa_enrolled: {sorted(not_enrolled.items())[:5]}"
            )
        if self.assigned_devices != self.newcomers:
            found.append(f"IAM holds {self.assigned_devices} assigned virtual devices, not {self.newcomers}")
        if self.unassigned_devices != 0:
            found.append(f"IAM holds {self.unassigned_devices} unassigned virtual devices, not 0")
        return found

    def summary(self) -> str:
        """Throughput and latency percentiles per step."""
        requests = sum(len(r) for s, r in self.replies.items() if s != "create")
        lines = [
            f"{self.newcomers} concurrent newcomers (claim + duplicate claim, enroll, verify): "
            f"{requests} requests in {self.concurrent_seconds:.2f} s = "
            f"{requests / self.concurrent_seconds:.1f} requests/s, "
            f"{self.newcomers / self.concurrent_seconds:.1f} newcomers/s",
            f"{'step':<8} | {'n':>4} | {'p50 ms':>7} | {'p90 ms':>7} | {'p99 ms':>7} | {'max ms':>7}",
        ]
        for step, replies in self.replies.items():
            if not replies:
                continue
            ms = sorted(r.seconds * 1000 for r in replies)
            p50, p90, p99 = (percentile(ms, q) for q in (50, 90, 99))
            lines.append(
                f"{step:<8} | {len(ms):>4} | {p50:>7.0f} | {p90:>7.0f} | {p99:>7.0f} | {ms[-1]:>7.0f}"
            )
        return "\n".join(lines)


def percentile(ordered: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of an ordered list."""
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _newcomer(
    base: str, token: str, start: threading.Barrier, report: LoadReport, lock: threading.Lock
) -> None:
    """Claim (twice at once), enroll, verify with two consecutive codes."""
    import pyotp

    start.wait(timeout=REQUEST_TIMEOUT)
    with ThreadPoolExecutor(max_workers=2) as pair:
        claims = list(
            pair.map(lambda _: call(base, "POST", "/onboarding/credentials", {"token": token}), range(2))
        )
    won = [c for c in claims if c.status == 200]
    with lock:
        report.replies["claim"].extend(claims)
        report.claim_pairs.append([c.status for c in claims])
    if len(won) != 1 or not won[0].body.get("enrollment"):
        return
    enrollment_token = won[0].body["enrollment"]["token"]
    started = call(base, "POST", "/onboarding/mfa", {"token": enrollment_token})
    with lock:
        report.replies["enroll"].append(started)
    if started.status != 200:
        with lock:
            report.failures.append(f"enroll answered {started.status}: {started.body}")
        return
    totp = pyotp.TOTP(started.body["secret"])
    step = totp.timecode(time.time())
    codes = {"code1": totp.generate_otp(step - 1), "code2": totp.generate_otp(step)}
    verified = call(base, "POST", "/onboarding/mfa/verify", {"token": enrollment_token, **codes})
    with lock:
        report.replies["verify"].append(verified)
        if verified.status != 200:
            report.failures.append(f"verify answered {verified.status}: {verified.body}")


def run_load(stack: Stack, newcomers: int, *, prefix: str = "load") -> LoadReport:
    """Create `newcomers` users, then run every newcomer at once; collect what a reviewer must check."""
    import boto3

    report = LoadReport(newcomers)
    names = [f"{prefix}{i:03d}" for i in range(newcomers)]
    tokens = []
    for name in names:
        created = call(
            stack.base, "POST", "/admin/users", {"user_name": name, "groups": ["developer"]}, ADMIN
        )
        report.replies["create"].append(created)
        if created.status != 201:
            report.failures.append(f"creating {name} answered {created.status}: {created.body}")
            return report
        tokens.append(created.body["bundle"]["url"].split("#", 1)[1])

    start = threading.Barrier(newcomers)
    lock = threading.Lock()
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=newcomers) as pool:
        futures = [pool.submit(_newcomer, stack.base, t, start, report, lock) for t in tokens]
    report.concurrent_seconds = time.perf_counter() - began
    report.failures += [f"newcomer crashed: {f.exception()!r}" for f in futures if f.exception()]

    listed = call(stack.base, "GET", "/admin/users", headers=ADMIN)
    report.final_states = {
        u["user_name"]: u["state"] for u in listed.body.get("users", []) if u["user_name"] in names
    }
    iam = boto3.client(
        "iam",
        endpoint_url=stack.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the local emulator's dummy credentials
    )

    def devices(status: str) -> int:
        pages = iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus=status)  # type: ignore[arg-type]
        return sum(len(p["VirtualMFADevices"]) for p in pages)

    report.assigned_devices, report.unassigned_devices = devices("Assigned"), devices("Unassigned")
    return report


def main(argv: list[str] | None = None) -> None:
    """Command line: start the stack, run the load, print the figures; exit 1 if a promise broke."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--newcomers", type=int, default=50, choices=range(1, 201), metavar="1..200")
    args = parser.parse_args(argv)
    with local_stack() as stack:
        report = run_load(stack, args.newcomers)
    print(report.summary())
    problems = report.problems()
    for problem in problems:
        print(f"BROKEN: {problem}")
    if problems:
        sys.exit(1)
    print(
        f"OK: every link claimed exactly once, no 5xx, all {args.newcomers} users mfa_enrolled, "
        f"{report.assigned_devices} assigned and {report.unassigned_devices} unassigned virtual devices"
    )


if __name__ == "__main__":
    main()
