"""Runs agent jobs (placeholder until the job runner lands)."""

from __future__ import annotations

import asyncio
from typing import Any


class JobRunner:
    def __init__(self, services: Any) -> None:
        self._services = services

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()
