"""Fixtures of the attack tests: Slack's side (the api and aws fixtures come from tests/conftest.py)."""

from tests.support.slack import slack, stand_in

__all__ = ["slack", "stand_in"]
