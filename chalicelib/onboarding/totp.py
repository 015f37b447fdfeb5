"""The TOTP side of a virtual MFA device: its seed as IAM returns it, matching two codes, the QR code."""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyotp

# How many 30-second steps a phone's clock may be off, either way, and still be accepted.
DRIFT_STEPS = 1
ISSUER = "Amazon Web Services"
CODE = re.compile(r"[0-9]{6}")
_BASE32 = re.compile(r"[A-Z2-7]+=*")


def seed_text(raw: bytes | str) -> str:
    """The Base32 seed of CreateVirtualMFADevice as text.

    IAM returns `Base32StringSeed` as a base64 blob whose content is the Base32 *text*; botocore undoes
    the base64, leaving the ASCII bytes of the Base32 string, not the key bytes.
    """
    text = raw.decode("ascii") if isinstance(raw, bytes) else raw
    if not _BASE32.fullmatch(text):
        raise ValueError("CreateVirtualMFADevice returned a seed that is not Base32")
    return text


def _totp(secret: str) -> pyotp.TOTP:
    import pyotp  # only enrollment needs it, like segno: other cold starts do not load it

    return pyotp.TOTP(secret)


def codes_match(secret: str, code1: str, code2: str, now: datetime) -> bool:
    """Whether `code1`, `code2` are the codes of two consecutive 30-second steps, in that order,
    the second within `DRIFT_STEPS` of `now`.
    """
    totp = _totp(secret)
    current = totp.timecode(now)
    return any(
        hmac.compare_digest(totp.generate_otp(step - 1), code1)
        and hmac.compare_digest(totp.generate_otp(step), code2)
        for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1)
    )


def provisioning_uri(secret: str, holder: str) -> str:
    """The `otpauth://` URI an authenticator app adds the device from."""
    return _totp(secret).provisioning_uri(name=holder, issuer_name=ISSUER)


def qr_codes(uri: str) -> tuple[str, str]:
    """`uri` as an SVG QR code: inline markup, and a `data:` URI for an `<img>` (where it runs no script)."""
    import segno  # only enrollment draws QR codes: keep it off every other cold start

    qr = segno.make(uri, error="m")
    return str(qr.svg_inline(scale=4)), str(qr.svg_data_uri(scale=4))
