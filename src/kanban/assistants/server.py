"""The MCP tools: capture, list next actions, walk the clarify queue, move tasks, review hints.

Over stdio the token comes from the command line or KANBAN_TOKEN; over streamable HTTP each
request brings its own `Authorization: Bearer <personal access token>`, so one server serves
several people and holds no credential of its own.
"""

from __future__ import annotations

from typing import Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from kanban.assistants.api_client import ApiRefused, KanbanApi

Decision = Literal["trash", "someday", "archive", "done", "waiting", "context", "next"]
ColumnType = Literal["INPUT", "CLARIFY", "CONTEXT", "WAITING", "SOMEDAY", "DONE", "ARCHIVE"]
INSTRUCTIONS = (
    "A GTD Kanban board. Capture anything into the Inbox with quick-add text (dates, @context, #tag, "
    "+project, !priority, ~duration). Clarify Inbox items one at a time; list next actions; move tasks; "
    "review the Worker's hints. What you may do is limited by the personal access token's scopes."
)


def _brief(task: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "title", "columnType", "context", "dueAt", "priority", "durationMinutes", "projectId")
    return {k: task.get(k) for k in keys} | {"tags": [t["name"] for t in task.get("tags", [])]}


def build_server(api: KanbanApi, token: str | None = None) -> MCPServer:
    server: MCPServer = MCPServer(name="personal-kanban", instructions=INSTRUCTIONS)

    def bearer(ctx: Context) -> str:
        if token:
            return token
        request = ctx.request_context.request
        header = request.headers.get("authorization", "") if request is not None else ""  # type: ignore[attr-defined]
        if not header.lower().startswith("bearer "):
            raise ToolError("send Authorization: Bearer <personal access token>")
        return str(header[7:].strip())

    async def call(ctx: Context, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return await api.call(bearer(ctx), method, path, **kwargs)
        except ApiRefused as exc:
            raise ToolError(str(exc)) from None

    async def default_board(ctx: Context, board_id: str | None) -> str:
        return board_id or str((await call(ctx, "GET", "/boards/default"))["id"])

    @server.tool()
    async def capture(text: str, ctx: Context) -> dict[str, Any]:
        """Capture quick-add text into the Inbox, e.g. "Call Anna fri 3pm @phone #family !high ~15m"."""
        out = await call(ctx, "POST", "/capture", json={"text": text, "source": "mcp"})
        if out["kind"] == "template":
            return {"recurring": True, "templateId": out["template"]["id"], "rrule": out["template"]["rrule"]}
        return _brief(out["task"])

    @server.tool()
    async def list_next_actions(ctx: Context, board_id: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Open tasks in the context lanes (the next actions), soonest due first."""
        board = await default_board(ctx, board_id)
        params = {"columnType": "CONTEXT", "done": "false", "sort": "dueAt", "limit": min(max(limit, 1), 100)}
        page = await call(ctx, "GET", f"/boards/{board}/tasks", params=params)
        return [_brief(t) for t in page["items"]]

    @server.tool()
    async def next_to_clarify(ctx: Context, board_id: str | None = None) -> dict[str, Any]:
        """The next Inbox item to clarify, and how many remain."""
        board = await default_board(ctx, board_id)
        out = await call(ctx, "GET", f"/boards/{board}/clarify/next")
        return {"task": _brief(out["task"]) if out.get("task") else None, "remaining": out["remaining"]}

    @server.tool()
    async def clarify(task_id: str, decision: Decision, ctx: Context, waiting_for: str | None = None) -> dict[str, Any]:
        """Decide what an Inbox item is: next, context, waiting (with waiting_for), someday, done, archive, trash."""
        body: dict[str, Any] = {"decision": decision} | ({"waitingFor": waiting_for} if waiting_for else {})
        out = await call(ctx, "POST", f"/tasks/{task_id}/clarify", json=body)
        return {"decision": out["decision"], "task": _brief(out["task"]) if out.get("task") else None}

    @server.tool()
    async def move_task(task_id: str, column_type: ColumnType, ctx: Context) -> dict[str, Any]:
        """Move a task to the first column of a type (e.g. DONE), honouring WIP limits."""
        task = await call(ctx, "GET", f"/tasks/{task_id}")
        board = await call(ctx, "GET", f"/boards/{task['boardId']}")
        target = next((c for c in board["columns"] if c["type"] == column_type), None)
        if target is None:
            raise ToolError(f"the board has no {column_type} column")
        return _brief(await call(ctx, "POST", f"/tasks/{task_id}/move", json={"columnId": target["id"]}))

    @server.tool()
    async def list_hints(task_id: str, ctx: Context) -> list[dict[str, Any]]:
        """The Worker's hints on a task (proposed, applied, dismissed)."""
        hints = await call(ctx, "GET", f"/tasks/{task_id}/hints")
        keys = ("id", "hintType", "title", "content", "confidence", "status")
        return [{k: h.get(k) for k in keys} for h in hints]

    @server.tool()
    async def review_hint(hint_id: str, action: Literal["apply", "dismiss", "undo"], ctx: Context) -> dict[str, Any]:
        """Apply, dismiss or undo one hint."""
        hint = await call(ctx, "POST", f"/hints/{hint_id}/{action}")
        return {"id": hint["id"], "status": hint["status"]}

    return server
