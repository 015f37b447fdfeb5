"""The Slack channel without the framework: who may talk to us (`gate`), what the admin typed
(`arguments`), what `/iam` can do (`commands`), what we answer (`replies`), each request's checks and
answer (`channel`) and the slow work after it (`jobs`)."""
