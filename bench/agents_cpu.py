"""CPU per analysed task of the agents alone (local provider), on a board of many open tasks.

    .venv/bin/python -m bench.agents_cpu --open-tasks 500
    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python -m bench.agents_cpu   # the same on other code

`bench/hints.py` measures a Worker's whole cost per task (events, jobs, commits, relay); this one
isolates what the agents compute, in this process, over tasks drawn from the labelled hint sets
(`tests/fixtures/hints/` and the shared dev set when present). The duplicates agent compares a task
with every open task of its board (up to the 500 the Worker hands it), so its cost grows with the
board: the figure is given per agent and for the whole default pipeline.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bench.support import machine
from kanban.contracts.events import TaskState
from kanban.worker.agents.context import AgentContext
from kanban.worker.agents.pipeline import Pipeline
from kanban.worker.fetching.fetcher import GuardedFetcher
from kanban.worker.providers.local import LocalProvider

ROOT = Path(__file__).resolve().parent.parent
SETS = [*sorted((ROOT / "tests/fixtures/hints").glob("*.jsonl")), ROOT.parent / "shared/data/hints-dev.jsonl"]


def _labelled_texts() -> Iterator[tuple[str, str | None]]:
    for path in SETS:
        if path.exists():
            for line in path.read_text().splitlines()[1:]:  # the first line is the set's header
                row = json.loads(line)
                yield row["title"], row.get("description")


def _board(open_tasks: int) -> list[TaskState]:
    now = datetime.now(UTC)
    texts = itertools.cycle(list(_labelled_texts()))
    return [
        TaskState(
            task_id=f"task-{n}", board_id="board", owner_id="owner", column_id="column", column_type="CONTEXT",
            title=title if n < open_tasks // 2 else f"{title} ({n})", description=description, version=1,
            updated_at=now,
        )
        for n, (title, description) in zip(range(open_tasks), texts, strict=False)
    ]  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    board = _board(args.open_tasks)
    contexts = [AgentContext(task=task, board_tags=("home", "work"), open_tasks=tuple(board)) for task in board]
    contexts = contexts[: args.tasks]
    pipeline = Pipeline(LocalProvider(), GuardedFetcher())

    async def no_progress(stage: str, percent: int) -> None:
        return None

    # Tasks with a link would wait on the network (no network here): they are left out.
    contexts = [ctx for ctx in contexts if not pipeline.slow_agents(ctx)]
    for agent in pipeline.agents:
        started = time.process_time()
        for ctx in contexts:
            await agent.run(ctx, pipeline.provider)
        ms = (time.process_time() - started) * 1000 / len(contexts)
        print(f"| {agent.agent_id} | {ms:.2f} ms per task | {args.open_tasks} open tasks | {machine()} |")
    started = time.process_time()
    for ctx in contexts:
        await pipeline.run(ctx, no_progress)
    ms = (time.process_time() - started) * 1000 / len(contexts)
    print(f"| whole pipeline (second pass: readings cached) | {ms:.2f} ms per task | {len(contexts)} tasks |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--open-tasks", type=int, default=500, help="open tasks on the board (the Worker hands 500 at most)"
    )
    parser.add_argument("--tasks", type=int, default=300, help="tasks analysed")
    asyncio.run(main(parser.parse_args()))
