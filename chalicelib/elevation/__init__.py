"""Temporary elevation (SPEC §15): a user asks to join an `elevate` group for a while, another admin
approves, and an EventBridge Scheduler one-time schedule ends it.

`requests.py` asks, lists and withdraws; `decisions.py` approves and denies; `ending.py` ends grants (by
their user, an admin, their schedule, the audit's sweep, offboarding); `schedules.py` is the one place
the schedules are made and removed; `views.py` turns records into the API's bodies.
"""
