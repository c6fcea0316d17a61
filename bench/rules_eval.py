"""What automation rules cost a task mutation, with 50 enabled rules on the board.

    .venv/bin/python -m bench.rules_eval --backend postgres
    .venv/bin/python -m bench.rules_eval --backend sqlite

Two figures. "Added per mutation" is what a request pays: the same task update committed with the
rule engine's local delivery (its inbox row in the same transaction) and without, alternating, so
the difference is the engine's share of the request. "Evaluation per event" is the engine's work
off the request path, in the rule inbox: reading the board's rules and the task, matching 50 rules
and logging each run that did not match, committed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from sqlalchemy import select

from bench.support import JWT, SECRET, drop_database, machine, scratch_database, summary_ms, workdir
from kanban.api import tables
from kanban.api.bootstrap import build_api_services
from kanban.api.rules.consumers import RULES_CONSUMER
from kanban.api.rules.engine import on_task_event
from kanban.api.rules.handlers import CreateRule, create_rule
from kanban.api.tasks.handlers import CreateTask, UpdateTask, add_task, change_task
from kanban.api.tasks.rules import SEED_COLUMNS
from kanban.api.tasks.schemas import CreateTaskRequest, UpdateTaskRequest
from kanban.contracts.envelope import Envelope
from kanban.contracts.registry import decode
from kanban.db.types import new_id, utcnow
from kanban.messaging.transports.memory import MemoryHub
from kanban.messaging.unit_of_work import UnitOfWork
from kanban.settings import load_settings

RULES = 50


def _rule(n: int, columns: dict[str, str]) -> dict[str, object]:
    """Rules that a title edit fires but whose conditions do not hold: the engine evaluates all 50."""
    triggers = [{"type": "task.updated"}, {"type": "task.updated", "config": {"fields": ["title"]}}]
    return {
        "trigger": triggers[n % 2],
        "conditions": [{"field": "tags", "operator": "eq", "value": f"never-{n}"}],
        "actions": [
            {"type": "move", "config": {"columnId": columns["DONE"]}},
            {"type": "add_tag", "config": {"name": "x"}},
        ],
    }


async def main(backend: str, mutations: int) -> None:
    api_db = await scratch_database("api", backend, workdir())
    env = {
        "API_DATABASE_URL": api_db.url.render_as_string(hide_password=False),
        "KANBAN_TRANSPORT": "memory", "KANBAN_EVENTS_SECRET": SECRET, "KANBAN_JWT_SECRET": JWT,
    }  # fmt: skip
    services = build_api_services(load_settings("api", env), hub=MemoryHub())  # not started: no background loops
    engine = services.engine
    try:
        user_id, board_id, now = new_id(), new_id(), utcnow()
        columns = {kind: new_id() for _, kind in SEED_COLUMNS}
        async with engine.begin() as conn:
            await conn.execute(
                tables.users.insert().values(id=user_id, email="b@x.test", created_at=now, updated_at=now)
            )
            await conn.execute(
                tables.boards.insert().values(id=board_id, owner_id=user_id, name="B", config={}, created_at=now, updated_at=now)
            )  # fmt: skip
            for i, (name, kind) in enumerate(SEED_COLUMNS):
                await conn.execute(
                    tables.columns.insert().values(id=columns[kind], board_id=board_id, name=name, type=kind, position=i,
                                                   created_at=now, updated_at=now)
                )  # fmt: skip
        async with services.messaging.new_unit_of_work() as uow:
            for n in range(RULES):
                await create_rule(
                    CreateRule(user_id=user_id, board_id=board_id, name=f"rule {n}", **_rule(n, columns)), uow
                )  # type: ignore[arg-type]
        async with services.messaging.new_unit_of_work() as uow:
            task_id = await add_task(CreateTask(user_id, board_id, CreateTaskRequest(title="t")), uow)
            await uow.commit()

        cpu = {"with": 0.0, "without": 0.0, "evaluation": 0.0}

        async def mutate(uow: UnitOfWork, n: int, key: str) -> float:
            started, cpu_started = time.perf_counter(), time.process_time()
            async with uow:
                body = UpdateTaskRequest(title=f"title {n}")
                await change_task(UpdateTask(user_id=user_id, task_id=task_id, body=body), uow)
                await uow.commit()
            cpu[key] += time.process_time() - cpu_started
            return time.perf_counter() - started

        with_rules: list[float] = []
        without: list[float] = []
        for n in range(mutations):
            with_rules.append(await mutate(services.messaging.new_unit_of_work(), 2 * n, "with"))
            without.append(await mutate(UnitOfWork(engine, tables.messaging, "api"), 2 * n + 1, "without"))

        inbox = tables.messaging.inbox
        async with engine.connect() as conn:
            rows = (
                (await conn.execute(select(inbox.c.envelope).where(inbox.c.consumer == RULES_CONSUMER))).scalars().all()
            )
        evaluation: list[float] = []
        for raw in rows[1:]:  # the first is the task's creation
            envelope = Envelope.model_validate_json(raw)
            started, cpu_started = time.perf_counter(), time.process_time()
            async with services.messaging.new_unit_of_work() as uow:
                await on_task_event(decode(envelope), envelope, uow)
                await uow.commit()
            cpu["evaluation"] += time.process_time() - cpu_started
            evaluation.append(time.perf_counter() - started)
        async with engine.connect() as conn:
            logged = len((await conn.execute(select(tables.rule_runs.c.id))).all())
        added = statistics.mean(with_rules) - statistics.mean(without)
        print(f"machine: {machine()}, backend {backend}, {RULES} enabled rules, {mutations} mutations each way")
        print(
            "| backend | mutation with rules | without | added per mutation (mean) | evaluation per event, off the request |"
        )
        print("|---|---|---|---|---|")
        print(
            f"| {backend} | {summary_ms(with_rules)} | {summary_ms(without)} | {added * 1000:.2f} ms | {summary_ms(evaluation)} |"
        )
        print(f"runs logged: {logged} ({logged / max(1, len(evaluation)):.0f} per event)")
        per = {k: v / (mutations if k != "evaluation" else max(1, len(evaluation))) * 1000 for k, v in cpu.items()}
        print(
            f"API process CPU: mutation {per['with']:.2f} ms with rules, {per['without']:.2f} ms without "
            f"(added {per['with'] - per['without']:.2f} ms); evaluation {per['evaluation']:.2f} ms per event"
        )
    finally:
        await engine.dispose()
        await drop_database(api_db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--mutations", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.backend, args.mutations))
