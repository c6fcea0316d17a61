"""Keeps `kanban up`'s child processes running: a child that dies is restarted with backoff, the others keep serving.

A child that keeps dying soon after it starts (a port taken, a broken configuration) is given up
on after a few attempts, and then everything stops with one line naming it. A stop request (Ctrl-C
or SIGTERM) sends SIGTERM to every child and waits a bounded time; a second Ctrl-C, or a child
that outlives the wait, is killed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kanban.messaging.backoff import Backoff


@dataclass(frozen=True)
class ChildSpec:
    name: str
    command: Sequence[str]
    env: dict[str, str]


@dataclass(frozen=True)
class SupervisionPolicy:
    backoff: Backoff = Backoff(base_seconds=0.5, max_seconds=15.0, jitter=False)
    # A child that lived this long was healthy: its next death starts the backoff from the beginning.
    healthy_after_seconds: float = 30.0
    # This many deaths in a row, each before healthy_after_seconds, and the child is given up on.
    max_quick_deaths: int = 5
    stop_timeout_seconds: float = 8.0
    poll_seconds: float = 0.1


@dataclass
class _Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _say(message: str) -> None:
    print(f"kanban: {message}", file=sys.stderr, flush=True)


@dataclass
class Supervisor:
    specs: Sequence[ChildSpec]
    policy: SupervisionPolicy = field(default_factory=SupervisionPolicy)
    say: Callable[[str], None] = _say
    clock: Callable[[], float] = time.monotonic
    stopping: bool = False
    _children: list[_Child] = field(default_factory=list)
    _interrupts: int = 0

    def run(self) -> str | None:
        """Run until asked to stop (None) or until a child is given up on (the reason)."""
        self._children = [_Child(spec) for spec in self.specs]
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self._children:
                self._start(child)
            failure = self._watch()
            self._stop_all()
            return failure
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, _signum: int, _frame: object) -> None:
        self._interrupts += 1
        if self._interrupts > 1:
            self.say("stopping now")
            self._kill_all()
        self.stopping = True

    def _start(self, child: _Child) -> None:
        child.proc = subprocess.Popen(list(child.spec.command), env=child.spec.env)
        child.started_at = self.clock()
        child.restart_at = None
        self.say(f"{child.spec.name} started (pid {child.proc.pid})")

    def _watch(self) -> str | None:
        while not self.stopping:
            now = self.clock()
            for child in self._children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        self._start(child)
                    continue
                assert child.proc is not None
                returncode = child.proc.poll()
                if returncode is None or self.stopping:
                    continue
                failure = self._schedule_restart(child, returncode, now)
                if failure:
                    return failure
            time.sleep(self.policy.poll_seconds)
        return None

    def _schedule_restart(self, child: _Child, returncode: int, now: float) -> str | None:
        lived = now - child.started_at
        child.quick_deaths = child.quick_deaths + 1 if lived < self.policy.healthy_after_seconds else 1
        if child.quick_deaths >= self.policy.max_quick_deaths:
            return (
                f"the {child.spec.name} service {describe_exit(returncode)}, {child.quick_deaths} times in a row "
                f"within {self.policy.healthy_after_seconds:.0f}s of starting; giving up (its log is above)"
            )
        delay = self.policy.backoff.delay(child.quick_deaths)
        child.restart_at = now + delay
        self.say(f"{child.spec.name} {describe_exit(returncode)} after {lived:.0f}s; restarting in {delay:.1f}s")
        return None

    def _running(self) -> list[subprocess.Popen[bytes]]:
        return [c.proc for c in self._children if c.proc is not None and c.proc.poll() is None]

    def _stop_all(self) -> None:
        for proc in self._running():
            proc.send_signal(signal.SIGTERM)
        deadline = self.clock() + self.policy.stop_timeout_seconds
        while self._running() and self.clock() < deadline:
            time.sleep(self.policy.poll_seconds)
        if self._running():
            self.say(f"still running after {self.policy.stop_timeout_seconds:.0f}s: killing")
            self._kill_all()
        for child in self._children:
            if child.proc is not None:
                child.proc.wait()

    def _kill_all(self) -> None:
        for proc in self._running():
            proc.kill()
