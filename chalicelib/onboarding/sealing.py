"""One-time tokens, and secrets sealed under a key that only the token can derive.

The store keeps `sha256(token)` as the key and the secret encrypted with a key derived from the token,
so a copy of the table alone yields neither tokens nor secrets. PyNaCl is imported where it is used: it
loads libsodium, which only the routes that seal or unseal need, so other cold starts do not pay for it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_KEY_CONTEXT = b"iam-onboarding/sealing-key/v1"


def new_token() -> str:
    """A fresh token: 256 random bits as unpadded base64url (43 characters)."""
    return secrets.token_urlsafe(32)


def token_id(token: str) -> str:
    """The token's storage key: its SHA-256, so the store never holds the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def _key(token: str) -> bytes:
    # The token carries 256 bits of entropy, so HMAC-SHA256 under a fixed context is a sound KDF here,
    # and a different derivation from the storage key `token_id`.
    return hmac.new(token.encode(), _KEY_CONTEXT, hashlib.sha256).digest()


def seal(token: str, secret: str) -> bytes:
    """Encrypt and authenticate `secret` (XSalsa20-Poly1305) under the token's key."""
    from nacl.secret import SecretBox

    return bytes(SecretBox(_key(token)).encrypt(secret.encode()))


def unseal(token: str, sealed: bytes) -> str | None:
    """The secret sealed under this token, or None when the token does not open it."""
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    try:
        return bytes(SecretBox(_key(token)).decrypt(sealed)).decode()
    except CryptoError:
        return None
