"""What each agent reads of a task, as a fingerprint: an agent whose inputs did not change is not run again.

The task's `basis` fingerprints the words a person wrote (title and description, spacing and case
folded): the API remembers dismissed and applied values per basis, so a value is proposed again
only after the task's words change. The `analysis key` covers every task field any agent reads; a
change that leaves it as it was (a move, a priority set, a hint's context applied) queues no job.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from kanban.contracts.events import TaskState


def fingerprint(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(encoded.encode(), digest_size=16).hexdigest()


def _folded(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip().casefold()


def content_basis(task: TaskState) -> str:
    return fingerprint([_folded(task.title), _folded(task.description)])


def analysis_key(task: TaskState) -> str:
    """Every field of the task some agent reads; column, position, context and priority are not among them."""
    return fingerprint(
        [_folded(task.title), _folded(task.description), task.due_at, sorted(task.tags), list(task.checklist)]
    )
