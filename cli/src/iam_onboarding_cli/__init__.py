"""The admin's command line for the iam-onboarding REST API (`iam-onboarding --help`)."""
