"""How events travel reliably: the outbox, the relay, the inbox and the transports.

Imports contracts and db only, never a service.
"""
