"""Providers: where the Worker's agents get their thinking done (local rules or an OpenAI-compatible model)."""
