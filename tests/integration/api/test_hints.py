"""Hints in the API on both backends: storing proposals, apply/dismiss/undo per type, auto-apply, analysis."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, select, update

from kanban.api import tables as t
from kanban.contracts import events as ev
from kanban.contracts.registry import envelope_for
from kanban.db.types import new_id, utcnow
from tests.integration.api.conftest import ApiHarness
from tests.support.pipelines import draft


def services(api: ApiHarness) -> Any:
    return api.app.state.services  # type: ignore[attr-defined]


async def seed_task(
    api: ApiHarness, user: dict[str, str], config: dict[str, Any] | None = None, **fields: Any
) -> dict[str, str]:
    """A board (with `config`), an Inbox column and a task, written directly; returns their ids."""
    now = utcnow()
    ids = {"board": new_id(), "column": new_id(), "task": new_id()}
    async with services(api).engine.begin() as conn:
        await conn.execute(
            t.boards.insert().values(
                id=ids["board"], owner_id=user["X-User-Id"], name="Board", config=config or {}, version=1,
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
        await conn.execute(
            t.columns.insert().values(
                id=ids["column"],
                board_id=ids["board"],
                name="Inbox",
                type="INPUT",
                position=0,
                created_at=now,
                updated_at=now,
            )
        )
        values: dict[str, Any] = {
            "id": ids["task"], "board_id": ids["board"], "column_id": ids["column"], "owner_id": user["X-User-Id"],
            "title": "call bob", "description": None, "position": 0, "version": 1, "created_at": now,
            "updated_at": now, "last_moved_at": now,
            # explicit: SQLite would read the server default 'false' back as true
            "is_done": False, "needs_breakdown": False, "wip_override": False,
        }  # fmt: skip
        await conn.execute(t.tasks.insert().values(**(values | fields)))
    return ids


async def propose(api: ApiHarness, ids: dict[str, str], *drafts: ev.HintDraft, job_id: str | None = None) -> None:
    """Deliver a HintsProposedV1 to the API's inbox, as the Worker's relay would, and process it."""
    event = ev.HintsProposedV1(
        task_id=ids["task"], board_id=ids["board"], job_id=job_id or new_id(), task_version=1, drafts=tuple(drafts)
    )
    envelope = envelope_for(
        event, source="worker", aggregate_id=ids["task"], aggregate_version=None, correlation_id=uuid4()
    )
    inbox = services(api).messaging.inbox
    await inbox.receive([envelope])
    await inbox.process_available()


async def hints_of(api: ApiHarness, user: dict[str, str], task_id: str, **params: str) -> list[dict[str, Any]]:
    response = await api.client.get(f"/tasks/{task_id}/hints", headers=user, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def task_row(api: ApiHarness, task_id: str) -> Any:
    async with services(api).engine.connect() as conn:
        return (await conn.execute(select(t.tasks).where(t.tasks.c.id == task_id))).one()


async def outbox(api: ApiHarness, event_type: str) -> list[dict[str, Any]]:
    async with services(api).engine.connect() as conn:
        rows = (
            await conn.execute(
                select(t.messaging.outbox.c.envelope)
                .where(t.messaging.outbox.c.event_type == event_type)
                .order_by(t.messaging.outbox.c.seq)
            )
        ).scalars()
        return [json.loads(r)["payload"] for r in rows]


async def history(api: ApiHarness, task_id: str) -> list[Any]:
    async with services(api).engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    select(t.task_events).where(t.task_events.c.task_id == task_id).order_by(t.task_events.c.created_at)
                )
            ).all()
        )


async def one_hint(api: ApiHarness, user: dict[str, str], ids: dict[str, str], d: ev.HintDraft) -> dict[str, Any]:
    await propose(api, ids, d)
    [hint] = [h for h in await hints_of(api, user, ids["task"]) if h["draftId"] == d.draft_id]
    return hint


# --- storing proposals ------------------------------------------------------------------


async def test_proposed_hints_are_stored_once_listed_and_acknowledged(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    drafts = (draft("priority", data={"priority": "HIGH"}), draft("context", confidence=0.5, data={"context": "PHONE"}))
    await propose(api, ids, *drafts)
    await propose(api, ids, *drafts)  # the same drafts again (a replayed event)

    hints = await hints_of(api, user, ids["task"])
    assert sorted(h["hintType"] for h in hints) == ["context", "priority"]
    assert {h["status"] for h in hints} == {"proposed"}
    assert hints[0]["taskId"] == ids["task"] and hints[0]["agentId"]
    synced = await outbox(api, "hints.synced")
    assert {tuple(s["draft_ids"]) for s in synced} == {tuple(d.draft_id for d in drafts)}


async def test_a_proposal_for_a_task_that_is_gone_is_dropped(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    await propose(api, ids | {"task": new_id()}, draft("priority", data={"priority": "LOW"}))
    async with services(api).engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(t.hints)) == 0
    assert await outbox(api, "hints.synced") == []


# --- apply and undo, per type -----------------------------------------------------------

FIELD_CASES = [
    ("title", {"content": "Call Bob about the invoice"}, "title", "call bob", "Call Bob about the invoice"),
    ("description", {"content": "Ask about **March**"}, "description", "old notes", "Ask about **March**"),
    ("context", {"data": {"context": "PHONE"}}, "context", None, "PHONE"),
    ("priority", {"data": {"priority": "HIGH"}}, "priority", "LOW", "HIGH"),
    ("duration", {"data": {"minutes": 15}}, "duration_minutes", None, 15),
    ("needs-breakdown", {"data": {"needsBreakdown": True}}, "needs_breakdown", False, True),
]


@pytest.mark.parametrize(("hint_type", "fields", "column", "before", "after"), FIELD_CASES)
async def test_applying_a_field_hint_changes_the_task_and_undo_restores_it(
    api: ApiHarness, hint_type: str, fields: dict[str, Any], column: str, before: Any, after: Any
) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user, **{column: before})
    hint = await one_hint(api, user, ids, draft(hint_type, **fields))

    applied = await api.client.post(f"/hints/{hint['id']}/apply", headers=user)
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "applied" and applied.json()["appliedAt"]
    task = await task_row(api, ids["task"])
    assert (task._mapping[column], task.version) == (after, 2)
    [logged] = [e for e in await history(api, ids["task"]) if e.type == "hint_applied"]
    assert logged.payload["hintId"] == hint["id"] and logged.payload["auto"] is False
    [updated] = await outbox(api, "task.updated")
    assert updated["changed_fields"] == [column]

    undone = await api.client.post(f"/hints/{hint['id']}/undo", headers=user)
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    task = await task_row(api, ids["task"])
    assert (task._mapping[column], task.version) == (before, 3)


async def test_a_summary_is_appended_as_a_quoted_section_with_its_source(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user, description="Read this")
    hint = await one_hint(
        api, user, ids,
        draft("summary", title="Example Domain", content="A page for examples.", data={"url": "https://example.com"}, untrusted=True),
    )  # fmt: skip
    assert hint["untrusted"] is True
    assert (await api.client.post(f"/hints/{hint['id']}/apply", headers=user)).status_code == 200
    description = (await task_row(api, ids["task"])).description
    assert description.startswith("Read this\n\n> **Summary: Example Domain**")
    assert "> A page for examples." in description and "> Source: https://example.com" in description
    await api.client.post(f"/hints/{hint['id']}/undo", headers=user)
    assert (await task_row(api, ids["task"])).description == "Read this"


async def test_tags_are_found_or_created_and_undo_removes_only_what_it_added(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    now = utcnow()
    async with services(api).engine.begin() as conn:
        for name in ("Home", "urgent"):
            await conn.execute(
                t.tags.insert().values(
                    id=new_id(), board_id=ids["board"], name=name, name_key=name.lower(), created_at=now, updated_at=now
                )
            )
        urgent = await conn.scalar(select(t.tags.c.id).where(t.tags.c.name == "urgent"))
        await conn.execute(t.task_tags.insert().values(task_id=ids["task"], tag_id=urgent))
    hint = await one_hint(api, user, ids, draft("tags", data={"tags": ["home", "urgent"], "new": ["errands"]}))

    assert (await api.client.post(f"/hints/{hint['id']}/apply", headers=user)).status_code == 200
    async with services(api).engine.connect() as conn:
        names = await conn.execute(
            select(t.tags.c.name).join(t.task_tags).where(t.task_tags.c.task_id == ids["task"]).order_by(t.tags.c.name)
        )
        assert list(names.scalars()) == ["Home", "errands", "urgent"]
    [created] = await outbox(api, "tag.created")
    assert created["tag"]["name"] == "errands"

    assert (await api.client.post(f"/hints/{hint['id']}/undo", headers=user)).status_code == 200
    async with services(api).engine.connect() as conn:
        attached = await conn.execute(
            select(t.tags.c.name).join(t.task_tags).where(t.task_tags.c.task_id == ids["task"])
        )
        assert list(attached.scalars()) == ["urgent"]
        board_tags = await conn.execute(select(t.tags.c.name).where(t.tags.c.board_id == ids["board"]))
        assert sorted(board_tags.scalars()) == ["Home", "urgent"]
    assert len(await outbox(api, "tag.deleted")) == 1


async def test_actions_are_appended_to_the_checklist_and_undo_removes_them(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    now = utcnow()
    async with services(api).engine.begin() as conn:
        await conn.execute(
            t.checklist_items.insert().values(
                id=new_id(), task_id=ids["task"], title="mine", position=0, created_at=now, updated_at=now
            )
        )
    hint = await one_hint(api, user, ids, draft("actions", data={"items": ["Find the number", "Call"]}))

    assert (await api.client.post(f"/hints/{hint['id']}/apply", headers=user)).status_code == 200

    async def checklist() -> list[str]:
        async with services(api).engine.connect() as conn:
            rows = await conn.execute(
                select(t.checklist_items.c.title)
                .where(t.checklist_items.c.task_id == ids["task"])
                .order_by(t.checklist_items.c.position)
            )
            return list(rows.scalars())

    assert await checklist() == ["mine", "Find the number", "Call"]
    [updated] = await outbox(api, "task.updated")
    assert updated["task"]["checklist"] == ["mine", "Find the number", "Call"]
    await api.client.post(f"/hints/{hint['id']}/undo", headers=user)
    assert await checklist() == ["mine"]


async def test_a_duplicate_hint_is_acknowledged_without_touching_the_task(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    hint = await one_hint(api, user, ids, draft("duplicate", data={"taskIds": [new_id()], "titles": ["Call Bob"]}))
    applied = await api.client.post(f"/hints/{hint['id']}/apply", headers=user)
    assert applied.json()["status"] == "applied"
    assert (await task_row(api, ids["task"])).version == 1


async def test_a_hint_with_an_invalid_value_is_refused(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    hint = await one_hint(api, user, ids, draft("priority", data={"priority": "URGENT"}))
    refused = await api.client.post(f"/hints/{hint['id']}/apply", headers=user)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await hints_of(api, user, ids["task"]))[0]["status"] == "proposed"


async def test_a_task_s_hints_that_only_add_are_applied_at_once(api: ApiHarness) -> None:
    user, stranger = await api.make_user(), await api.make_user()
    ids = await seed_task(api, user)
    drafts = {
        "context": draft("context", data={"context": "PHONE"}),
        "tags": draft("tags", data={"new": ["family"]}),
        "priority": draft("priority", data={"priority": "URGENT"}),  # not a priority: stays proposed
        "title": draft("title", content="Call Bob about the garden"),  # replaces text: asked one by one
    }
    await propose(api, ids, *drafts.values())
    assert (await api.client.post(f"/tasks/{ids['task']}/hints/apply", headers=stranger)).status_code == 404

    applied = await api.client.post(f"/tasks/{ids['task']}/hints/apply", headers=user)
    assert applied.status_code == 200, applied.text
    assert sorted(h["hintType"] for h in applied.json()) == ["context", "tags"]
    assert all(h["status"] == "applied" and not h["autoApplied"] for h in applied.json())
    task = await task_row(api, ids["task"])
    assert (task.context, task.title, task.priority, task.version) == ("PHONE", "call bob", None, 3)
    left = {h["hintType"]: h["status"] for h in await hints_of(api, user, ids["task"])}
    assert left == {"context": "applied", "tags": "applied", "priority": "proposed", "title": "proposed"}
    assert [e.type for e in await history(api, ids["task"])].count("hint_applied") == 2
    # Each applied hint is one change of the task, as when applied one by one.
    assert len(await outbox(api, "task.updated")) == 2

    again = await api.client.post(f"/tasks/{ids['task']}/hints/apply", headers=user)
    assert again.status_code == 200 and again.json() == []  # nothing left that only adds
    assert (await task_row(api, ids["task"])).version == 3


async def test_applying_at_once_beside_one_by_one_applies_each_hint_once(api: ApiHarness) -> None:
    user = await api.make_user()
    for _ in range(5):
        ids = await seed_task(api, user)
        await propose(
            api, ids, draft("context", data={"context": "PHONE"}), draft("priority", data={"priority": "LOW"})
        )
        one = next(h for h in await hints_of(api, user, ids["task"]) if h["hintType"] == "priority")
        both, single = await asyncio.gather(
            api.client.post(f"/tasks/{ids['task']}/hints/apply", headers=user),
            api.client.post(f"/hints/{one['id']}/apply", headers=user),
        )
        assert both.status_code == 200 and single.status_code in (200, 409), (both.text, single.text)
        by_batch = {h["hintType"] for h in both.json()}
        assert ("priority" in by_batch) == (single.status_code == 409)  # the one of them that came second refused
        assert {h["hintType"]: h["status"] for h in await hints_of(api, user, ids["task"])} == {
            "context": "applied", "priority": "applied"
        }  # fmt: skip
        assert [e.type for e in await history(api, ids["task"])].count("hint_applied") == 2
        assert (await task_row(api, ids["task"])).version == 3


# --- status rules and ownership ---------------------------------------------------------


async def test_each_decision_is_taken_once(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    first = await one_hint(api, user, ids, draft("priority", data={"priority": "HIGH"}))
    second = await one_hint(api, user, ids, draft("context", data={"context": "DESK"}))

    assert (await api.client.post(f"/hints/{first['id']}/undo", headers=user)).status_code == 409
    assert (await api.client.post(f"/hints/{first['id']}/apply", headers=user)).status_code == 200
    again = await api.client.post(f"/hints/{first['id']}/apply", headers=user)
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    assert (await api.client.post(f"/hints/{first['id']}/dismiss", headers=user)).status_code == 409

    dismissed = await api.client.post(f"/hints/{second['id']}/dismiss", headers=user)
    assert dismissed.json()["status"] == "dismissed" and dismissed.json()["dismissedAt"]
    assert (await api.client.post(f"/hints/{second['id']}/apply", headers=user)).status_code == 409
    assert [h["hintType"] for h in await hints_of(api, user, ids["task"], status="dismissed")] == ["context"]
    assert [h["hintType"] for h in await hints_of(api, user, ids["task"], status="applied")] == ["priority"]


async def test_hints_are_visible_only_to_the_board_owner(api: ApiHarness) -> None:
    owner, stranger = await api.make_user(), await api.make_user()
    ids = await seed_task(api, owner)
    hint = await one_hint(api, owner, ids, draft("priority", data={"priority": "HIGH"}))
    for method, path in [
        ("GET", f"/tasks/{ids['task']}/hints"),
        ("POST", f"/hints/{hint['id']}/apply"),
        ("POST", f"/hints/{hint['id']}/dismiss"),
        ("POST", f"/hints/{hint['id']}/undo"),
        ("POST", f"/tasks/{ids['task']}/analysis"),
        ("DELETE", f"/tasks/{ids['task']}/analysis"),
    ]:
        assert (await api.client.request(method, path, headers=stranger)).status_code == 404, path
        assert (await api.client.request(method, path)).status_code == 401, path
    assert (await hints_of(api, owner, ids["task"]))[0]["status"] == "proposed"


async def test_rerun_and_cancel_send_their_commands_to_the_worker(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    rerun = await api.client.post(f"/tasks/{ids['task']}/analysis", headers=user)
    assert rerun.status_code == 202 and rerun.json() == {"taskId": ids["task"], "status": "requested"}
    cancel = await api.client.delete(f"/tasks/{ids['task']}/analysis", headers=user)
    assert cancel.status_code == 202
    assert [e["task_id"] for e in await outbox(api, "analysis.requested")] == [ids["task"]]
    assert [e["task_id"] for e in await outbox(api, "analysis.cancelled")] == [ids["task"]]


# --- auto-apply -------------------------------------------------------------------------

AUTO = {"auto_apply_hints": True, "auto_apply_threshold": 0.8}


async def test_auto_apply_takes_only_safe_confident_trusted_hints(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user, config=AUTO)
    await propose(
        api,
        ids,
        draft("priority", confidence=0.9, data={"priority": "HIGH"}),
        draft("context", confidence=0.5, data={"context": "PHONE"}),  # not confident enough
        draft("description", confidence=0.95, content="Invoice #42"),  # fills the empty description
        draft("title", confidence=0.99, content="Call Bob"),  # would replace the owner's title
        draft("summary", confidence=0.99, content="Page text", untrusted=True),
        draft("tags", confidence=0.9, data={"tags": [], "new": ["calls"]}),
        draft("duplicate", confidence=0.99, data={"taskIds": [new_id()], "titles": ["x"]}),
    )
    status = {h["hintType"]: (h["status"], h["autoApplied"]) for h in await hints_of(api, user, ids["task"])}
    assert status == {
        "priority": ("applied", True),
        "context": ("proposed", False),
        "description": ("applied", True),
        "title": ("proposed", False),
        "summary": ("proposed", False),
        "tags": ("applied", True),
        "duplicate": ("proposed", False),
    }
    task = await task_row(api, ids["task"])
    assert (task.priority, task.description, task.title) == ("HIGH", "Invoice #42", "call bob")
    auto = [e for e in await history(api, ids["task"]) if e.type == "hint_applied"]
    assert len(auto) == 3 and all(e.payload["auto"] is True and e.triggered_by == "agent" for e in auto)

    # Undoable like any applied hint; and a later proposal of the same type is left to the owner.
    priority = next(h for h in await hints_of(api, user, ids["task"]) if h["hintType"] == "priority")
    assert (await api.client.post(f"/hints/{priority['id']}/undo", headers=user)).status_code == 200
    assert (await task_row(api, ids["task"])).priority is None
    await propose(api, ids, draft("priority", confidence=0.99, data={"priority": "HIGH"}))
    assert len(await hints_of(api, user, ids["task"], status="proposed")) == 5


async def test_nothing_is_applied_automatically_unless_the_board_allows_it(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user, config={"auto_apply_hints": False})
    await propose(api, ids, draft("priority", confidence=1.0, data={"priority": "HIGH"}))
    assert [h["status"] for h in await hints_of(api, user, ids["task"])] == ["proposed"]
    async with services(api).engine.begin() as conn:
        await conn.execute(update(t.boards).values(config=AUTO))
    await propose(api, ids, draft("priority", confidence=0.7, data={"priority": "HIGH"}))
    assert (await task_row(api, ids["task"])).priority is None


# --- one current proposal per type (HintsProposedV2) -----------------------------------------


async def deliver(api: ApiHarness, event: ev.Event, task_id: str) -> None:
    envelope = envelope_for(
        event, source="worker", aggregate_id=task_id, aggregate_version=None, correlation_id=uuid4()
    )
    inbox = services(api).messaging.inbox
    await inbox.receive([envelope])
    await inbox.process_available()


async def analyse(
    api: ApiHarness, ids: dict[str, str], *drafts: ev.HintDraft, basis: str = "v1", types: tuple[str, ...] = ()
) -> None:
    """Deliver one analysis of the task, judging `types` (by default those of its drafts)."""
    event = ev.HintsProposedV2(
        task_id=ids["task"], board_id=ids["board"], job_id=new_id(), task_version=1, basis=basis,
        analysed_types=types or tuple(d.hint_type for d in drafts), drafts=tuple(drafts),
    )  # fmt: skip
    await deliver(api, event, ids["task"])


async def test_a_dismissed_tag_is_not_proposed_again_beside_a_new_one_until_the_content_changes(
    api: ApiHarness,
) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    await analyse(api, ids, draft("tags", data={"tags": ["home", "work"], "new": []}))
    [first] = await hints_of(api, user, ids["task"])
    assert (await api.client.post(f"/hints/{first['id']}/dismiss", headers=user)).status_code == 200

    await analyse(api, ids, draft("tags", data={"tags": ["home", "garden"], "new": []}))
    proposed = await hints_of(api, user, ids["task"], status="proposed")
    assert [h["data"]["tags"] for h in proposed] == [["garden"]]

    await analyse(api, ids, draft("tags", data={"tags": ["home", "garden"], "new": []}), basis="edited")
    proposed = await hints_of(api, user, ids["task"], status="proposed")
    assert [h["data"]["tags"] for h in proposed] == [["home", "garden"]]
    assert proposed[0]["supersedes"] is not None


async def test_the_analysis_is_visible_with_its_count_and_a_failure_with_its_error(api: ApiHarness) -> None:
    user = await api.make_user()
    ids = await seed_task(api, user)
    pending = await api.client.get(f"/tasks/{ids['task']}/analysis", headers=user)
    assert pending.json()["status"] == "pending"

    await analyse(api, ids, types=("context", "tags"))
    analysed = (await api.client.get(f"/tasks/{ids['task']}/analysis", headers=user)).json()
    assert (analysed["status"], analysed["proposed"]) == ("analysed", 0)

    failure = ev.AnalysisFailedV1(task_id=ids["task"], board_id=ids["board"], job_id=new_id(), error="boom")
    await deliver(api, failure, ids["task"])
    failed = (await api.client.get(f"/tasks/{ids['task']}/analysis", headers=user)).json()
    assert (failed["status"], failed["error"]) == ("failed", "boom")
