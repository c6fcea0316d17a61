"""The OpenAI-compatible provider against a chat completions server run by the test on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import REGISTRY

from kanban.settings import ProviderSettings
from kanban.worker.agents.context import AgentContext
from kanban.worker.agents.tagger import TaggerAgent
from kanban.worker.providers.local import LocalProvider
from kanban.worker.providers.openai_compatible import OpenAIProvider
from kanban.worker.providers.tasks import ANALYSE, SUGGEST_TAGS, AnalysisRequest, TagsRequest
from tests.unit.worker.conftest import NOW, make_task

pytestmark = pytest.mark.timeout(20)

Reply = Callable[[dict[str, Any]], "Response"]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def completion(content: str, prompt_tokens: int = 120, completion_tokens: int = 30) -> Response:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
    }
    return Response(body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


def status(code: int, text: str = "", **headers: str) -> Response:
    return Response(status=code, body=text.encode(), headers=headers)


@dataclass
class ChatServer:
    """Serves scripted replies in order to POST /v1/chat/completions and keeps every request."""

    replies: list[Response] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            assert lines[0].startswith("POST /v1/chat/completions ")
            self.requests.append(json.loads(body))
            self.headers.append(headers)
            reply = self.replies.pop(0) if self.replies else status(500, "script exhausted")
            if reply.delay:
                await asyncio.sleep(reply.delay)
            extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
            writer.write(
                f"HTTP/1.1 {reply.status} X\r\nContent-Length: {len(reply.body)}\r\nConnection: close\r\n{extra}\r\n".encode()
                + reply.body
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[ChatServer]:
    chat = ChatServer()
    listener = await asyncio.start_server(chat.handle, "127.0.0.1", 0)
    chat.port = listener.sockets[0].getsockname()[1]
    yield chat
    listener.close()


def provider_for(base_url: str, timeout: float = 2.0, retries: int = 2) -> OpenAIProvider:
    settings = ProviderSettings(
        name="openai",
        openai_base_url=base_url,
        openai_model="test-model",
        openai_api_key="sk-test",
        timeout_seconds=timeout,
        max_retries=retries,
    )
    return OpenAIProvider(settings, fallback=LocalProvider(), backoff_seconds=0.01)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"provider": "openai", **labels}) or 0.0


REQUEST = AnalysisRequest(title="Call the bank about the mortgage", description="", now=NOW)
ANSWER = {"context": "PHONE", "context_confidence": 0.9, "priority": "HIGH", "duration_minutes": 20}


async def test_a_valid_answer_is_validated_and_its_tokens_counted(server: ChatServer) -> None:
    server.replies = [completion(json.dumps(ANSWER), prompt_tokens=321, completion_tokens=45)]
    prompt_before = metric("kanban_worker_provider_tokens_total", kind="prompt")

    answer = await provider_for(server.base_url).complete(ANALYSE, REQUEST)

    assert answer.provider == "openai"
    assert answer.output.context == "PHONE" and answer.output.duration_minutes == 20
    (sent,) = server.requests
    assert sent["model"] == "test-model"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["context"]
    assert json.loads(sent["messages"][1]["content"])["title"] == "Call the bank about the mortgage"
    assert server.headers[0]["authorization"] == "Bearer sk-test"
    assert metric("kanban_worker_provider_tokens_total", kind="prompt") - prompt_before == 321


async def test_json_in_a_markdown_fence_is_accepted(server: ChatServer) -> None:
    server.replies = [completion("```json\n" + json.dumps(ANSWER) + "\n```")]

    answer = await provider_for(server.base_url).complete(ANALYSE, REQUEST)

    assert answer.provider == "openai" and answer.output.priority == "HIGH"


async def test_an_invalid_answer_falls_back_to_the_local_rules_without_retrying(server: ChatServer) -> None:
    server.replies = [completion('{"context": "SPACESHIP", "duration_minutes": -4}'), completion("not json at all")]
    before = metric("kanban_worker_provider_fallbacks_total", reason="invalid_output")
    provider = provider_for(server.base_url)

    schema_miss = await provider.complete(ANALYSE, REQUEST)
    not_json = await provider.complete(ANALYSE, REQUEST)

    assert schema_miss.provider == not_json.provider == "local (fallback)"
    assert schema_miss.output.context == "PHONE"  # the local rules read "Call the bank"
    assert len(server.requests) == 2
    assert metric("kanban_worker_provider_fallbacks_total", reason="invalid_output") - before == 2


async def test_server_errors_are_retried_and_a_later_success_is_used(server: ChatServer) -> None:
    server.replies = [status(500), status(429, "slow down", **{"Retry-After": "0"}), completion(json.dumps(ANSWER))]
    retries_before = metric("kanban_worker_provider_retries_total")

    answer = await provider_for(server.base_url, retries=2).complete(ANALYSE, REQUEST)

    assert answer.provider == "openai" and answer.output.context == "PHONE"
    assert len(server.requests) == 3
    assert metric("kanban_worker_provider_retries_total") - retries_before == 2


async def test_persistent_server_errors_fall_back_after_the_last_retry(server: ChatServer) -> None:
    server.replies = [status(500), status(502), status(503), completion(json.dumps(ANSWER))]
    before = metric("kanban_worker_provider_fallbacks_total", reason="http_status")

    answer = await provider_for(server.base_url, retries=2).complete(ANALYSE, REQUEST)

    assert answer.provider == "local (fallback)"
    assert len(server.requests) == 3  # the fourth, valid reply is never asked for
    assert metric("kanban_worker_provider_fallbacks_total", reason="http_status") - before == 1


async def test_a_server_slower_than_the_timeout_is_abandoned_and_the_local_answer_used(server: ChatServer) -> None:
    server.replies = [Response(delay=5, body=b"{}"), Response(delay=5, body=b"{}")]
    before = metric("kanban_worker_provider_fallbacks_total", reason="timeout")

    answer = await provider_for(server.base_url, timeout=0.2, retries=1).complete(ANALYSE, REQUEST)

    assert answer.provider == "local (fallback)" and answer.output.context == "PHONE"
    assert len(server.requests) == 2
    assert metric("kanban_worker_provider_fallbacks_total", reason="timeout") - before == 1


async def test_a_server_without_json_schema_support_is_asked_for_json_object(server: ChatServer) -> None:
    server.replies = [
        status(400, '{"error": {"message": "response_format json_schema is not supported"}}'),
        completion(json.dumps(ANSWER)),
        completion(json.dumps(ANSWER)),
    ]
    provider = provider_for(server.base_url)

    first = await provider.complete(ANALYSE, REQUEST)
    await provider.complete(ANALYSE, REQUEST)

    assert first.provider == "openai"
    assert [r["response_format"]["type"] for r in server.requests] == ["json_schema", "json_object", "json_object"]


async def test_an_unreachable_server_falls_back() -> None:
    answer = await provider_for("http://127.0.0.1:9/v1", retries=1).complete(
        SUGGEST_TAGS, TagsRequest(title="Pay the gas bill", vocabulary=["money"])
    )

    assert answer.provider == "local (fallback)" and answer.output.tags == ["money"]


async def test_an_agent_keeps_its_rules_whatever_the_model_says(server: ChatServer) -> None:
    # The model suggests a tag the task has, one in another spelling, and a new one despite a fit.
    server.replies = [completion(json.dumps({"tags": ["health", "FINANCE"], "new": ["bananas"], "confidence": 0.8}))]
    task = make_task("Pay the dentist invoice", tags=("Health",))
    ctx = AgentContext(task=task, board_tags=("Health", "Finance"), open_tasks=())

    report = await TaggerAgent().run(ctx, provider_for(server.base_url))

    assert report.provider == "openai"
    assert report.drafts[0].data == {"tags": ["Finance"], "new": []}
