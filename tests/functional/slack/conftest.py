"""Slack fixtures: a signing Slack client and a stand-in for Slack's side of response_url."""

from tests.support.slack import slack, stand_in

__all__ = ["slack", "stand_in"]
