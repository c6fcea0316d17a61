"""Accounts: registration, sign-in with rotating refresh tokens, the profile and the password."""
