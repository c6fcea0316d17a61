"""`kanban mcp`: the MCP server for AI assistants, over stdio (token from --token / KANBAN_TOKEN) or
streamable HTTP (each request brings its own personal access token)."""

from __future__ import annotations

import argparse

from kanban.settings import load_client_settings


def mcp(args: argparse.Namespace) -> int:
    # Imported here: every other command starts without loading the MCP SDK.
    import anyio
    import uvicorn

    from kanban.assistants.api_client import KanbanApi
    from kanban.assistants.server import build_server

    if args.http:
        # Only the API URL is needed: tokens arrive with the requests.
        client = load_client_settings(api_url=args.api_url, token=args.token or "per-request")
        server = build_server(KanbanApi(client.api_url))
        app = server.streamable_http_app(stateless_http=True, json_response=True, host=args.host)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        return 0
    client = load_client_settings(api_url=args.api_url, token=args.token)
    server = build_server(KanbanApi(client.api_url), token=client.token)
    anyio.run(server.run_stdio_async)
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = subparsers.add_parser("mcp", help="the MCP server for AI assistants (stdio, or --http)")
    cmd.add_argument("--http", action="store_true", help="serve streamable HTTP at /mcp instead of stdio")
    cmd.add_argument("--host", default="127.0.0.1")
    cmd.add_argument("--port", type=int, default=8765)
    cmd.add_argument("--token", help="stdio: a personal access token (default: KANBAN_TOKEN)")
    cmd.add_argument("--api-url", dest="api_url", help="the API (default: KANBAN_API_URL or http://127.0.0.1:8000)")
    cmd.set_defaults(func=mcp)
