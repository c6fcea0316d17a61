"""The local provider: deterministic rules, no network, always available, the default."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from kanban.worker.providers import metrics, tasks
from kanban.worker.providers.base import Completion, Out, ProviderTask, Req, UnknownTask
from kanban.worker.providers.local.actions import next_actions
from kanban.worker.providers.local.analysis import analyse
from kanban.worker.providers.local.markdown import format_description
from kanban.worker.providers.local.similarity import find_duplicates
from kanban.worker.providers.local.summary import summarise
from kanban.worker.providers.local.tagging import suggest_tags

Rule = Callable[[Any], BaseModel]

RULES: Mapping[str, Rule] = {
    tasks.ANALYSE.name: analyse,
    tasks.NEXT_ACTIONS.name: next_actions,
    tasks.SUGGEST_TAGS.name: suggest_tags,
    tasks.SUMMARISE.name: summarise,
    tasks.FIND_DUPLICATES.name: find_duplicates,
    tasks.FORMAT_DESCRIPTION.name: format_description,
}


class LocalProvider:
    """Answers every built-in task with rules; the answer goes through the same schema a model's would."""

    name = "local"

    def __init__(self, rules: Mapping[str, Rule] | None = None) -> None:
        self._rules = dict(RULES if rules is None else rules)

    async def complete(self, task: ProviderTask[Req, Out], request: Req) -> Completion[Out]:
        rule = self._rules.get(task.name)
        if rule is None:
            raise UnknownTask(f"the local provider has no rule for {task.name!r}")
        started = time.perf_counter()
        answer = rule(request)
        metrics.LATENCY.labels(provider=self.name, outcome="ok").observe(time.perf_counter() - started)
        return Completion(output=task.output.model_validate(answer.model_dump()), provider=self.name)
