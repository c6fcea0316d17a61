"""The ways events travel between the services: http (embedded default), nats (scale), memory (tests)."""
