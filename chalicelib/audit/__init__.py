"""The daily audit: collect the account once (`collect`), hold it (`snapshot`), judge it (`checks`), keep the
reports (`auditor`). Empty on purpose: a route that never audits imports nothing of it but `summary`."""
