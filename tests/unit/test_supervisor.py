"""The supervisor of `kanban up`: restarts a dead child with backoff, gives up on one that cannot start."""

from __future__ import annotations

import sys

from kanban.cli.supervisor import ChildSpec, SupervisionPolicy, Supervisor, describe_exit
from kanban.messaging.backoff import Backoff

FAST = SupervisionPolicy(backoff=Backoff(base_seconds=0.01, max_seconds=0.05, jitter=False), max_quick_deaths=3)


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_child_that_keeps_dying_is_restarted_then_given_up_on_and_the_other_stopped() -> None:
    said: list[str] = []
    supervisor = Supervisor(
        [ChildSpec("api", _python("import time; time.sleep(60)"), {}), ChildSpec("worker", _python("raise SystemExit(3)"), {})],
        policy=FAST,
        say=said.append,
    )  # fmt: skip
    failure = supervisor.run()
    assert failure is not None and "worker service exited with code 3, 3 times in a row" in failure
    assert sum(line.startswith("worker started") for line in said) == 3
    assert sum("restarting in" in line for line in said) == 2
    assert sum(line.startswith("api started") for line in said) == 1  # the healthy one was left alone


def test_exits_are_described_by_code_or_signal() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-9) == "was killed by SIGKILL"
