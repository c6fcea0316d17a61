import collections
from pathlib import Path
from hypothesis import settings, HealthCheck
from hypothesis.stateful import run_state_machine_as_test
from tests.integration.messaging.test_property import EventFlow, sqlite_templates  # noqa

calls = collections.Counter()

class Counting(EventFlow):
    pass

for name in ["write", "relay", "deliver", "deliver_one", "process", "peer_down", "peer_up", "first_task"]:
    orig = getattr(EventFlow, name)
    def make(orig, name):
        def f(self, *a, **k):
            calls[name] += 1
            return orig(self, *a, **k)
        return f
    # can't easily rewrap rules; count inside run instead

def test_manual(sqlite_templates, tmp_path):
    EventFlow.templates = sqlite_templates
    EventFlow.workdir = tmp_path
    orig_run = EventFlow.run
    def run(self, coro):
        calls[coro.__qualname__] += 1
        return orig_run(self, coro)
    EventFlow.run = run
    try:
        run_state_machine_as_test(EventFlow, settings=settings(max_examples=20, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]))
    finally:
        EventFlow.run = orig_run
    print(calls)
