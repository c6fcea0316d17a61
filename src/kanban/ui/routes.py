"""The pages of the board in a browser. Reads call the JSON API's own route functions (the board, whose
route sends bytes, comes as the same view validated into its model); writes go from the page to
/api/v1 with fetch, so a page can do nothing the API cannot."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse

from kanban.api.analytics.recent import card_ages
from kanban.api.boards import handlers as board_handlers
from kanban.api.boards import routes as boards_api
from kanban.api.boards import view as board_view
from kanban.api.checklists import routes as checklists_api
from kanban.api.clarify import routes as clarify_api
from kanban.api.deps import CurrentUserId, Uow
from kanban.api.errors import Unauthorized
from kanban.api.hints import handlers as hints_handlers
from kanban.api.hints import repository as hints_repo
from kanban.api.hints import routes as hints_api
from kanban.api.projects import routes as projects_api
from kanban.api.tags import routes as tags_api
from kanban.api.tasks import repository as tasks_repo
from kanban.api.tasks import routes as tasks_api
from kanban.api.tasks.schemas import TaskOut
from kanban.contracts.events import ColumnType, TaskContext
from kanban.ui.render import page

# Done and Archive show this many of their most recent cards until "Show more".
COLLAPSED_LIMIT = 10
COLLAPSED_TYPES = frozenset({"DONE", "ARCHIVE"})
CONTEXTS: tuple[str, ...] = ("EMAIL", "MEETING", "PHONE", "READ", "WATCH", "DESK", "OTHER")


class PageRoute(APIRoute):
    """A page whose visitor is not signed in goes to the sign-in page (and back afterwards)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except Unauthorized:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

        return handler


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _visible(column: Any, expanded: bool) -> tuple[list[TaskOut], int]:
    """The cards a column shows and how many it holds back: Done/Archive show their latest arrivals."""
    cards: list[TaskOut] = list(column.tasks)
    if expanded or column.type not in COLLAPSED_TYPES or len(cards) <= COLLAPSED_LIMIT:
        return cards, 0
    recent = sorted(cards, key=lambda t: t.last_moved_at, reverse=True)[:COLLAPSED_LIMIT]
    keep = {t.id for t in recent}
    return [t for t in cards if t.id in keep], len(cards) - COLLAPSED_LIMIT


async def _shell(user_id: str, uow: Uow, board_id: str | None = None) -> dict[str, Any]:
    """What every signed-in page needs: the boards (for the switcher) and the current one."""
    boards = await boards_api.list_boards(user_id, uow)
    current = board_id or next((b.id for b in boards if b.is_default), boards[0].id if boards else None)
    return {"boards": boards, "board_id": current, "contexts": CONTEXTS, "user_id": user_id}


@router.get("/")
async def home(user_id: CurrentUserId, uow: Uow) -> Response:
    board_id = await board_handlers.default_board(user_id, uow)
    return RedirectResponse(f"/boards/{board_id}", status_code=303)


@router.get("/login")
async def login_page(next: str = "/") -> Response:
    return page("login.html", next=next if next.startswith("/") and not next.startswith("//") else "/")


@router.get("/signup")
async def signup_page() -> Response:
    return page("signup.html", next="/")


@router.get("/boards/{boardId}")
async def board_page(boardId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    board = await board_view.load_board(uow.conn, boardId, user_id)
    columns = []
    task_ids: list[str] = []
    for column in board.columns:
        cards, hidden = _visible(column, expanded=False)
        columns.append({"column": column, "cards": cards, "hidden": hidden})
        task_ids += [t.id for t in cards]
    hint_counts = await hints_repo.proposed_counts(uow.conn, task_ids)
    shell = await _shell(user_id, uow, boardId)
    ages = {a.task_id: a for a in board.aging.items}
    return page("board.html", board=board, columns=columns, hint_counts=hint_counts, ages=ages, **shell)


@router.get("/ui/boards/{boardId}/columns/{columnId}")
async def column_fragment(boardId: str, columnId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    """Every card of one column: what "Show more" loads into Done or Archive."""
    board = await board_view.load_board(uow.conn, boardId, user_id)
    column = next((c for c in board.columns if c.id == columnId), None)
    cards = list(column.tasks) if column is not None else []
    hint_counts = await hints_repo.proposed_counts(uow.conn, [t.id for t in cards])
    ages = {a.task_id: a for a in board.aging.items}
    return page("_cards.html", cards=cards, hint_counts=hint_counts, ages=ages)


@router.get("/ui/tasks/{taskId}/card")
async def card_fragment(taskId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    """One card as the board shows it: what the live stream fetches when a task changes."""
    task = await tasks_api.get_task(taskId, user_id, uow, Response())
    hint_counts = await hints_repo.proposed_counts(uow.conn, [task.id])
    aging = await card_ages(uow.conn, task.board_id, [task])
    return page("_cards.html", cards=[task], hint_counts=hint_counts, ages={a.task_id: a for a in aging.items})


@router.get("/tasks/{taskId}")
async def task_page(taskId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    task = await tasks_api.get_task(taskId, user_id, uow, Response())
    board = await board_view.load_board(uow.conn, task.board_id, user_id)
    checklist = await checklists_api.get_checklist(taskId, user_id, uow)
    hints = await hints_api.list_hints(taskId, user_id, uow, None)
    history = await tasks_api.task_events_page(taskId, user_id, uow, 50, 0)
    projects = await projects_api.list_projects(task.board_id, user_id, uow, None, 500, 0)
    shell = await _shell(user_id, uow, task.board_id)
    names = {c.id: c.name for c in board.columns}
    return page(
        "task.html", task=task, board=board, checklist=checklist, hints=hints, history=history,
        projects=projects.items, column_names=names, **shell,
    )  # fmt: skip


@router.get("/ui/tasks/{taskId}/hints")
async def hints_fragment(taskId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    hints = await hints_api.list_hints(taskId, user_id, uow, None)
    return page("_hints.html", hints=hints, task_id=taskId)


@router.get("/boards/{boardId}/clarify")
async def clarify_page(boardId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    upcoming = await clarify_api.next_to_clarify(boardId, user_id, uow)
    board = await board_view.load_board(uow.conn, boardId, user_id)
    lanes = [c for c in board.columns if c.type == "CONTEXT" and c.lane_context]
    # What the Worker proposes for this task, applied or dismissed here before deciding (a page reload each).
    suggestions = await hints_api.list_hints(upcoming.task.id, user_id, uow, "proposed") if upcoming.task else []
    at_once = sum(1 for hint in suggestions if hint.hint_type in hints_handlers.AUTO_TYPES)  # what `h` applies
    shell = await _shell(user_id, uow, boardId)
    return page("clarify.html", board=board, upcoming=upcoming, lanes=lanes, suggestions=suggestions,
                at_once=at_once, **shell)  # fmt: skip


@router.get("/boards/{boardId}/search")
async def search_page(
    request: Request,
    boardId: str,
    user_id: CurrentUserId,
    uow: Uow,
    q: Annotated[str | None, Query(max_length=200)] = None,
    tag: str | None = None,
    context: TaskContext | None = None,
    projectId: str | None = None,
    columnType: ColumnType | None = None,
    done: bool | None = None,
    due: str | None = None,
    view: str | None = None,
) -> Response:
    """Search and filters over GET /boards/{id}/tasks, or the stale view over GET /boards/{id}/stale."""
    now = datetime.now(UTC)
    due_before = {"overdue": now, "week": now + timedelta(days=7)}.get(due or "")
    if view == "stale":
        stale = await boards_api.stale_tasks(boardId, user_id, uow)
        items, total = stale.items, stale.count
    else:
        found = await tasks_api.search_tasks(
            boardId, user_id, uow, q=q or None, tag=tag or None, context=context, projectId=projectId or None,
            columnType=columnType, dueBefore=due_before, dueAfter=None, done=done, sort="updatedAt", order="desc",
            limit=200, offset=0,
        )  # fmt: skip
        items, total = found.items, found.total
    hint_counts = await hints_repo.proposed_counts(uow.conn, [t.id for t in items])
    # A found card says where it is: the board is not in view here.
    found_in = {c.id: c.name for c in await tasks_repo.board_columns(uow.conn, boardId)}
    filters = {"q": q or "", "tag": tag or "", "context": context or "", "projectId": projectId or "",
               "columnType": columnType or "", "done": "" if done is None else str(done).lower(), "due": due or "",
               "view": view or ""}  # fmt: skip
    context_vars: dict[str, Any] = {
        "items": items, "total": total, "hint_counts": hint_counts, "filters": filters, "found_in": found_in
    }  # fmt: skip
    if request.headers.get("HX-Request"):
        return page("_results.html", **context_vars)
    tags = await tags_api.list_tags(boardId, user_id, uow)
    projects = await projects_api.list_projects(boardId, user_id, uow, None, 500, 0)
    shell = await _shell(user_id, uow, boardId)
    return page("search.html", tags=tags, projects=projects.items, **context_vars, **shell)


@router.get("/boards/{boardId}/settings")
async def settings_page(boardId: str, user_id: CurrentUserId, uow: Uow) -> Response:
    board = await board_view.load_board(uow.conn, boardId, user_id)
    tags = await tags_api.list_tags(boardId, user_id, uow)
    projects = await projects_api.list_projects(boardId, user_id, uow, None, 500, 0)
    shell = await _shell(user_id, uow, boardId)
    types = ("INPUT", "CLARIFY", "CONTEXT", "WAITING", "SOMEDAY", "DONE", "ARCHIVE")
    return page("settings.html", board=board, tags=tags, projects=projects.items, types=types, **shell)


@router.get("/keys")
async def keys_page(user_id: CurrentUserId, uow: Uow) -> Response:
    return page("keys.html", **(await _shell(user_id, uow)))


@router.get("/api/v1/docs")
async def api_docs() -> Response:
    """Swagger UI from the vendored files, its start-up script a static file: works offline and under the CSP."""
    return page("docs.html")
