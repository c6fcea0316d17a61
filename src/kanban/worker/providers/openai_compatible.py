"""A provider backed by any OpenAI-compatible chat completions server (OpenAI, Ollama, vLLM, llama.cpp).

Answers are JSON validated against the task's schema. Transient failures are retried with
backoff; when the server stays unavailable or answers something invalid, the call falls back
to the local provider, so an agent always gets an answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from typing import Any

import httpx
from pydantic import ValidationError

from kanban.settings import ProviderSettings
from kanban.worker.providers import metrics
from kanban.worker.providers.base import Completion, Out, Provider, ProviderError, ProviderTask, Req

log = logging.getLogger(__name__)

_FENCED = re.compile(r"^\s*```(?:json)?\s*(?P<body>.*?)\s*```\s*$", re.DOTALL)
MAX_BACKOFF_SECONDS = 10.0


class RemoteUnavailable(ProviderError):
    """The server did not answer usefully after every attempt."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class InvalidAnswer(ProviderError):
    """The server answered, but not with JSON matching the schema."""


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        settings: ProviderSettings,
        fallback: Provider,
        *,
        backoff_seconds: float = 0.5,
        max_concurrency: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not settings.openai_base_url or not settings.openai_model:
            raise ValueError("an OpenAI-compatible provider needs a base URL and a model")
        self._url = settings.openai_base_url.rstrip("/") + "/chat/completions"
        self._model = settings.openai_model
        self._api_key = settings.openai_api_key
        self._timeout = settings.timeout_seconds
        self._max_retries = settings.max_retries
        self._fallback = fallback
        self._backoff = backoff_seconds
        self._transport = transport
        # Local model servers serve a few requests at a time; more only queue up behind them.
        self._slots = asyncio.Semaphore(max_concurrency)
        self._json_schema_supported = True

    async def complete(self, task: ProviderTask[Req, Out], request: Req) -> Completion[Out]:
        started = time.perf_counter()
        try:
            async with self._slots:
                output = await self._complete_remotely(task, request)
        except (RemoteUnavailable, InvalidAnswer) as exc:
            reason = exc.reason if isinstance(exc, RemoteUnavailable) else "invalid_output"
            metrics.LATENCY.labels(provider=self.name, outcome=reason).observe(time.perf_counter() - started)
            metrics.FALLBACKS.labels(provider=self.name, reason=reason).inc()
            log.warning(
                "provider %s failed on %s (%s); falling back to %s", self.name, task.name, exc, self._fallback.name
            )
            answer = await self._fallback.complete(task, request)
            return Completion(output=answer.output, provider=f"{answer.provider} (fallback)")
        metrics.LATENCY.labels(provider=self.name, outcome="ok").observe(time.perf_counter() - started)
        return Completion(output=output, provider=self.name)

    async def _complete_remotely(self, task: ProviderTask[Req, Out], request: Req) -> Out:
        async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as client:
            body = await self._post_with_retries(client, task, request)
        content, usage = _content_and_usage(body)
        for kind in ("prompt", "completion"):
            tokens = usage.get(f"{kind}_tokens")
            if isinstance(tokens, int) and tokens > 0:
                metrics.TOKENS.labels(provider=self.name, kind=kind).inc(tokens)
        try:
            return task.output.model_validate(json.loads(_unfenced(content)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InvalidAnswer(f"the answer to {task.name} does not match its schema: {exc}") from None

    async def _post_with_retries(
        self, client: httpx.AsyncClient, task: ProviderTask[Req, Out], request: Req
    ) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                response = await client.post(self._url, json=self._payload(task, request), headers=self._headers())
                if response.status_code == 400 and self._json_schema_supported and _rejects_json_schema(response):
                    # Older servers only know json_object; remember that and ask again at once.
                    self._json_schema_supported = False
                    continue
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Transient("http_status", f"HTTP {response.status_code}", _retry_after(response))
                if response.status_code >= 400:
                    raise RemoteUnavailable("http_status", f"HTTP {response.status_code}: {response.text[:200]}")
                try:
                    body = response.json()
                except ValueError:
                    raise InvalidAnswer("the server's reply is not JSON") from None
                if not isinstance(body, dict):
                    raise InvalidAnswer("the server's reply is not a JSON object")
                return body
            except httpx.TimeoutException as exc:
                error = _Transient("timeout", f"no answer within {self._timeout}s ({type(exc).__name__})")
            except httpx.TransportError as exc:
                error = _Transient("connection", f"{type(exc).__name__}: {exc}")
            except _Transient as exc:
                error = exc
            if attempt >= self._max_retries:
                raise RemoteUnavailable(error.reason, f"{error.detail} after {attempt + 1} attempts")
            attempt += 1
            metrics.RETRIES.labels(provider=self.name).inc()
            await asyncio.sleep(error.retry_after or self._delay(attempt))

    def _delay(self, attempt: int) -> float:
        # Exponential with full jitter, so many workers do not retry in step.
        return random.uniform(0, min(MAX_BACKOFF_SECONDS, self._backoff * 2 ** (attempt - 1)))

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _payload(self, task: ProviderTask[Req, Out], request: Req) -> dict[str, Any]:
        schema = task.output.model_json_schema()
        response_format: dict[str, Any] = (
            {"type": "json_schema", "json_schema": {"name": task.name, "schema": schema, "strict": False}}
            if self._json_schema_supported
            else {"type": "json_object"}
        )
        system = (
            f"{task.instructions}\nAnswer with one JSON object only, matching this JSON schema:\n"
            f"{json.dumps(schema, separators=(',', ':'))}"
        )
        return {
            "model": self._model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": request.model_dump_json()},
            ],
            "response_format": response_format,
        }


class _Transient(Exception):
    def __init__(self, reason: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


def _rejects_json_schema(response: httpx.Response) -> bool:
    text = response.text.lower()
    return "response_format" in text or "json_schema" in text


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after", "")
    try:
        return min(MAX_BACKOFF_SECONDS, max(0.0, float(raw)))
    except ValueError:
        return None


def _content_and_usage(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise InvalidAnswer("the reply has no choices[0].message.content") from None
    if not isinstance(content, str):
        raise InvalidAnswer("the reply's message content is not text")
    usage = body.get("usage")
    return content, usage if isinstance(usage, dict) else {}


def _unfenced(content: str) -> str:
    """Some models wrap JSON in a Markdown code fence even when asked not to."""
    match = _FENCED.match(content)
    return match.group("body") if match else content
