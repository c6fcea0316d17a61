"""The MCP server (`kanban mcp`): a person's AI assistant works the board through the HTTP API with their token."""
