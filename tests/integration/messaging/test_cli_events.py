"""`kanban events` as an operator runs it, on both backends: what it prints and how it exits."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from kanban.cli.main import main
from kanban.contracts.envelope import Envelope
from kanban.contracts.registry import catalogue
from kanban.db.urls import DatabaseUrl
from tests.integration.messaging.links import CONSUMER, MemoryLink
from tests.integration.messaging.pair import FAST_INBOX, Pair
from tests.support import settings as test_settings


def poison(task_id: str) -> Envelope:
    return Envelope(
        type="task.exploded",
        version=1,
        source="api",
        correlation_id=uuid.uuid4(),
        aggregate_type="task",
        aggregate_id=task_id,
        aggregate_version=1,
        payload={},
    )


async def _seed(api_db: DatabaseUrl, worker_db: DatabaseUrl, poisons: list[Envelope]) -> None:
    """Five events published and applied, one more pending in the API outbox, the poisons dead-lettered."""
    pair = Pair(api_db, worker_db, MemoryLink(), FAST_INBOX)
    await pair.start()
    try:
        await pair.write_history(tasks=2, updates=1, delete_last=True)
        await pair.relay_all()
        await pair.link.producer.publish(CONSUMER, poisons)
        await pair.settle()
        await pair.write("task-0")
    finally:
        await pair.close()


@pytest.fixture
def seeded(
    api_db: DatabaseUrl, worker_db: DatabaseUrl, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[Envelope], DatabaseUrl, DatabaseUrl]:
    poisons = [poison("task-x"), poison("task-y")]
    asyncio.run(_seed(api_db, worker_db, poisons))
    for name, value in test_settings.test_env(api_db, worker_db).items():
        monkeypatch.setenv(name, value)
    return poisons, api_db, worker_db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["events", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_reports_each_service(seeded: object, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status")
    assert code == 0
    assert "api: outbox 1 pending" in out
    assert "worker: inbox worker: 0 pending (0 retrying)" in out
    assert "5 processed, 2 dead letters" in out

    code, out, _ = run(capsys, "status", "--service", "worker", "--json")
    [report] = json.loads(out)
    assert (report["service"], report["consumers"][0]["dead_letters"]) == ("worker", 2)


def test_dead_letters_list_retry_and_drop(
    seeded: tuple[list[Envelope], DatabaseUrl, DatabaseUrl], capsys: pytest.CaptureFixture[str]
) -> None:
    poisons = seeded[0]
    code, out, _ = run(capsys, "dead-letters", "list")
    assert code == 0
    assert all(p.key in out for p in poisons) and "task.exploded" in out

    code, out, _ = run(capsys, "dead-letters", "retry", "--id", poisons[0].key)
    assert (code, out.strip()) == (0, "worker: 1 dead letter(s) put back in the inbox with 0 attempts")
    code, out, _ = run(capsys, "dead-letters", "drop", "--all")
    assert (code, out.strip()) == (0, "worker: 1 dead letter(s) dropped")
    code, out, _ = run(capsys, "dead-letters", "list")
    assert out.strip() == "no dead letters"
    code, out, _ = run(capsys, "status", "--service", "worker")
    assert "1 pending (0 retrying)" in out and "0 dead letters" in out


def test_dead_letter_commands_refuse_without_a_selection_or_an_unknown_id(
    seeded: object, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "dead-letters", "retry")
    assert code != 0 and err.strip() == "kanban: error: say which dead letters: --id EVENT_ID (repeatable) or --all"
    code, _, err = run(capsys, "dead-letters", "drop", "--id", str(uuid.uuid4()))
    assert code != 0 and len(err.strip().splitlines()) == 1 and "not dead letters" in err


def test_replay_marks_a_range_and_refuses_one_that_was_pruned(
    seeded: object, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "replay", "--service", "api", "--from-seq", "2", "--to-seq", "4")
    assert code == 0 and "api: 3 event(s) in seq 2..4 marked for re-publishing" in out
    code, out, _ = run(capsys, "status", "--service", "api")
    assert "api: outbox 4 pending" in out

    code, _, err = run(capsys, "replay", "--service", "api", "--from-seq", "50")
    assert code != 0 and err.startswith("kanban: error: api: no published event in seq 50..end")


def test_catalogue_prints_the_generated_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalogue")
    assert (code, out) == (0, catalogue())


def test_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WORKER_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/kanban_worker")
    monkeypatch.setenv("KANBAN_EVENTS_SECRET", "s" * 20)
    code, _, err = run(capsys, "status", "--service", "worker")
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("kanban: error: worker database")
