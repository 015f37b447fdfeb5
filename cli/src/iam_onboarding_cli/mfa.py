"""The admin's signing credentials: an MFA session from `sts:GetSessionToken`, cached like the AWS CLI's.

`/admin/*` requires a session that is MFA-authenticated and fresh (SPEC §12: at most an hour old).
Long-term access keys never carry MFA, so for them the admin is asked for a code once; the session is
cached (mode 0600) until it expires, one hour by default. Credentials that are already a session (SSO,
an assumed role, `aws sts get-session-token` run by hand) are used as they are: the API answers
`mfa_required` if they lack MFA.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from iam_onboarding_cli.errors import CredentialsError, Unreachable
from iam_onboarding_cli.session_cache import cache_dir, read_private, write_private

if TYPE_CHECKING:
    import boto3

DEFAULT_DURATION = 3600  # SPEC §12, freshness: an admin's MFA session is at most an hour old
MIN_DURATION = 900  # GetSessionToken's lower bound for an IAM user
# GetSessionToken allows 12 h, but `/admin/*` refuses an MFA sign-in older than an hour: a longer cached
# session would be reused and refused from its second hour on.
MAX_DURATION = DEFAULT_DURATION
# A session this close to its end is not reused: the request it signs could arrive after it.
EXPIRY_MARGIN = timedelta(minutes=1)
MFA_CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class MfaSession:
    """Temporary credentials from GetSessionToken with an MFA code, and when they end."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    serial_number: str

    def credentials(self) -> ReadOnlyCredentials:
        """The credentials botocore's signer takes."""
        return ReadOnlyCredentials(self.access_key_id, self.secret_access_key, self.session_token)

    def to_json(self) -> str:
        """The cache file's content."""
        return json.dumps(
            {
                "AccessKeyId": self.access_key_id,
                "SecretAccessKey": self.secret_access_key,
                "SessionToken": self.session_token,
                "Expiration": self.expiration.isoformat(),
                "SerialNumber": self.serial_number,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> MfaSession:
        """Read a cache file's content; ValueError/KeyError/TypeError if it is not one."""
        data = json.loads(text)
        expiration = datetime.fromisoformat(data["Expiration"])
        if expiration.tzinfo is None:
            raise ValueError("Expiration without a time zone")
        return cls(
            access_key_id=str(data["AccessKeyId"]),
            secret_access_key=str(data["SecretAccessKey"]),
            session_token=str(data["SessionToken"]),
            expiration=expiration,
            serial_number=str(data["SerialNumber"]),
        )


@dataclass(frozen=True)
class MfaSessions:
    """Turns an admin's AWS credentials into credentials that can sign for `/admin/*`."""

    ask_code: Callable[[str], str]
    mfa_serial: str | None = None
    duration: int = DEFAULT_DURATION
    cache: Path | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def signing_credentials(self, session: boto3.Session) -> ReadOnlyCredentials:
        """The session's own credentials if they are a session already; else a cached or new MFA session."""
        found = session.get_credentials()
        if found is None:
            raise CredentialsError(
                "No AWS credentials found: pass --profile (or set AWS_PROFILE), or configure the default one."
            )
        frozen = found.get_frozen_credentials()
        if frozen.token:
            return frozen
        path = (
            self.cache or Path(cache_dir())
        ) / f"session-{self._cache_key(session, frozen.access_key)}.json"
        cached = _read_cache(path)
        if cached is not None and cached.expiration - EXPIRY_MARGIN > self.now():
            return cached.credentials()
        fresh = self._new_session(session)
        _write_cache(path, fresh)
        return fresh.credentials()

    def _cache_key(self, session: boto3.Session, access_key_id: str | None) -> str:
        # One cached session per profile and MFA device, as the AWS CLI keys its cache by what was asked;
        # the access key is part of it, so a rotated key never picks up the old key's session.
        asked = json.dumps([session.profile_name, access_key_id, self.mfa_serial])
        return hashlib.sha256(asked.encode()).hexdigest()[:32]

    def _new_session(self, session: boto3.Session) -> MfaSession:
        try:
            serial = self.mfa_serial or _own_mfa_device(session)
            code = self.ask_code(serial).strip()
            if not MFA_CODE.fullmatch(code):
                raise CredentialsError("An MFA code is the 6 digits your authenticator app shows.")
            answer = session.client("sts").get_session_token(
                DurationSeconds=self.duration, SerialNumber=serial, TokenCode=code
            )
        except ClientError as error:
            reason = error.response.get("Error", {}).get("Message", str(error))
            raise CredentialsError(f"AWS refused the MFA session: {reason}") from None
        except EndpointConnectionError as error:
            raise Unreachable(f"Cannot reach AWS: {error}") from None
        except BotoCoreError as error:
            raise CredentialsError(f"Cannot get an MFA session: {error}") from None
        issued = answer["Credentials"]
        return MfaSession(
            access_key_id=issued["AccessKeyId"],
            secret_access_key=issued["SecretAccessKey"],
            session_token=issued["SessionToken"],
            expiration=issued["Expiration"].astimezone(UTC),
            serial_number=serial,
        )


def _own_mfa_device(session: boto3.Session) -> str:
    """The caller's one MFA device, found with `iam:ListMFADevices` (Force-MFA allows it without MFA)."""
    arn = session.client("sts").get_caller_identity()["Arn"]
    if ":user/" not in arn:
        raise CredentialsError(f"{arn} is not an IAM user: pass --mfa-serial.")
    user_name = arn.rsplit("/", 1)[1]
    devices = session.client("iam").list_mfa_devices(UserName=user_name)["MFADevices"]
    serials = [d["SerialNumber"] for d in devices]
    if len(serials) == 1:
        return serials[0]
    if not serials:
        raise CredentialsError(f"{user_name} has no MFA device: enroll one, then try again.")
    raise CredentialsError(
        f"{user_name} has several MFA devices: pass --mfa-serial, one of {', '.join(serials)}."
    )


def _read_cache(path: Path) -> MfaSession | None:
    """The cached session, or None when there is none or it is not safe to use."""
    text = read_private(os.fspath(path))
    try:
        return MfaSession.from_json(text) if text is not None else None
    except (ValueError, KeyError, TypeError):  # not one of ours: ask for a code
        return None


def _write_cache(path: Path, session: MfaSession) -> None:
    """Write the session with mode 0600, atomically."""
    write_private(os.fspath(path), session.to_json())
