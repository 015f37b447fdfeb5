"""The daily audit: `collect` reads the account once, `snapshot` holds what was read, `checks` judge it,
`auditor` runs them and keeps the reports, `summary` is the report's Slack text.

Imports nothing, so that importing `summary` (the Slack channel does) does not load the checks.
"""
