"""GroupCommit: the first finished job commits at once, those finishing meanwhile go together next."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from kanban.worker.jobs.commits import GroupCommit


class Recorder:
    """A commit that records what it got and holds each commit until `release` is set."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.commits: list[tuple[list[str], list[str]]] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.fail_on = fail_on

    async def __call__(self, parts: Sequence[str], gone: Sequence[str]) -> None:
        self.commits.append((list(parts), list(gone)))
        self.started.set()
        await self.release.wait()
        if self.fail_on == len(self.commits):
            raise RuntimeError("database went away")


async def test_the_first_part_commits_at_once_and_later_ones_go_together() -> None:
    commit = Recorder()
    commits: GroupCommit[str, str] = GroupCommit(commit)
    commits.add(["a"])
    await commit.started.wait()
    assert commit.commits == [(["a"], [])]  # not held back for the others

    commits.add(["b"])
    commits.add(["c"], gone=["x"])
    commit.release.set()
    await commits.drain()
    assert commit.commits == [(["a"], []), (["b", "c"], ["x"])]


async def test_after_a_drain_the_next_part_starts_a_new_commit() -> None:
    commit = Recorder()
    commit.release.set()
    commits: GroupCommit[str, str] = GroupCommit(commit)
    commits.add(["a"])
    await commits.drain()
    commits.add(["b"])
    await commits.drain()
    assert commit.commits == [(["a"], []), (["b"], [])]


async def test_a_failed_commit_raises_in_drain_and_commits_nothing_after_it() -> None:
    commit = Recorder(fail_on=1)
    commits: GroupCommit[str, str] = GroupCommit(commit)
    commits.add(["a"])
    await commit.started.wait()
    commit.release.set()
    with pytest.raises(RuntimeError):
        await commits.drain()
    commits.add(["b"])  # its job keeps its lease: another attempt or worker runs it
    with pytest.raises(RuntimeError):
        await commits.drain()
    assert commit.commits == [(["a"], [])]


async def test_abandon_stops_a_running_commit() -> None:
    commit = Recorder()
    commits: GroupCommit[str, str] = GroupCommit(commit)
    commits.add(["a"])
    await commit.started.wait()
    await commits.abandon()
    commits.add(["b"])
    assert commit.commits == [(["a"], [])]


async def test_a_lazy_group_commits_only_when_drained() -> None:
    commit = Recorder()
    commit.release.set()
    commits: GroupCommit[str, str] = GroupCommit(commit, eager=False)
    commits.add(["a"])
    commits.add(["b"])
    await asyncio.sleep(0)
    assert commit.commits == []  # the caller is computing: nothing holds the write lock beside it
    await commits.drain()
    assert commit.commits == [(["a", "b"], [])]
