"""Fetching the pages tasks link to, guarded against server-side request forgery and bounded in size and time."""
