"""Tokens are long and random; only the token opens what was sealed under it."""

from __future__ import annotations

import hashlib
import re

from chalicelib.onboarding import sealing


def test_a_token_is_256_bits_of_unpadded_base64url() -> None:
    tokens = {sealing.new_token() for _ in range(100)}

    assert len(tokens) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)


def test_the_storage_key_is_the_tokens_sha256() -> None:
    token = sealing.new_token()

    assert sealing.token_id(token) == hashlib.sha256(token.encode()).hexdigest()


def test_the_token_opens_its_sealed_secret() -> None:
    token = sealing.new_token()

    assert sealing.unseal(token, sealing.seal(token, "Pa55word!")) == "Pa55word!"


def test_another_token_opens_nothing() -> None:
    sealed = sealing.seal(sealing.new_token(), "Pa55word!")

    assert sealing.unseal(sealing.new_token(), sealed) is None


def test_the_sealed_form_reveals_neither_secret_nor_token() -> None:
    token = sealing.new_token()

    sealed = sealing.seal(token, "Pa55word!")

    assert b"Pa55word!" not in sealed and token.encode() not in sealed
    assert sealing.seal(token, "Pa55word!") != sealed  # a fresh nonce each time
