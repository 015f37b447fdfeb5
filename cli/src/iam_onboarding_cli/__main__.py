"""`python -m iam_onboarding_cli`: the same as the `iam-onboarding` console script."""

from iam_onboarding_cli.entry import run

run()
