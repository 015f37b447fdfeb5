"""The state table: one DynamoDB table keyed by (`pk`, `sk`), one module per kind of item it holds.

- `user` / lower-cased user name: the case-insensitive reservation and the onboarding state (`users.py`);
- `link` / sha256(token): a one-time link; its secret sealed under the token, `expires_at` as epoch
  seconds (also the table's TTL attribute; TTL deletion is lazy and the emulator never expires items,
  so every read checks expiry in code) (`links.py`);
- `trail` / `<time>#<id>`: who did what to whom, when, through which channel; never a secret (`trail.py`);
- `elevation` / id: a request to join an `elevate` group for a while, and its grant; and
  `elevation_pending` / user#group: the one pending request of a user for a group (`grants.py`);
- `report` / RFC 3339 time: a stored audit report (zlib-compressed JSON), kept 90 days (`reports.py`);
- `offboarding` / lower-cased user name: held while one request offboards that user, and
  `slack_request` / request id: a Slack request already handled (`once.py`).
"""

from __future__ import annotations

from chalicelib.state.grants import GrantItems
from chalicelib.state.links import LinkItems
from chalicelib.state.once import OnceItems
from chalicelib.state.reports import ReportItems
from chalicelib.state.table import Conflict, table_definition
from chalicelib.state.trail import TrailItems
from chalicelib.state.users import UserItems

__all__ = ["Conflict", "StateStore", "table_definition"]


class StateStore(UserItems, LinkItems, TrailItems, ReportItems, OnceItems, GrantItems):
    """Typed access to the state table through a low-level DynamoDB client."""
