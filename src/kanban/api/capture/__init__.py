"""Capture: one quick-add parser for every channel, POST /capture, tokens, email in, the feed and the digest."""
