"""Personal access tokens: named, scoped bearer tokens for scripts, the CLI, mail relays and MCP clients."""
