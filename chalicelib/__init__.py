"""iam-onboarding: IAM users, one-time credential links and MFA enrollment for a small team's AWS account."""
