"""Outgoing webhooks: a user's signed HTTP endpoints that rule notifications are delivered to, at least once."""
