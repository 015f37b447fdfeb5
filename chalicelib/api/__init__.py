"""Blueprints, one per channel, and the HTTP plumbing they share."""
