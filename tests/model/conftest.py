"""Fixtures of the model tests: the loopback Responses fake, providers and clients on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from pycodex.auth import storage
from pycodex.auth.manager import AuthManager
from pycodex.config.model import ProviderInfo
from pycodex.model.client import HttpModelClient
from pycodex.model.events import ModelError, ResponseEvent
from pycodex.model.request import ModelRequest, Reasoning
from tests.kit.fake_responses import FakeResponses

ORIGINATOR = "model_tests"
USER_AGENT = "model_tests/0.94.0 (Debian 12.0.0; x86_64) xterm (model_tests; 1.0.0)"
THREAD_ID = "01a210e9-996e-7e40-b818-b8dfe2dc2fbc"


@pytest.fixture(autouse=True)
def fresh_memory_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """External tokens live in a process-global store: start every test without any."""
    monkeypatch.setattr(storage, "_EPHEMERAL", {})


@pytest.fixture
def fake() -> Iterator[FakeResponses]:
    with FakeResponses() as server:
        yield server


def provider(
    base_url: str,
    provider_id: str = "mock",
    retries: int = 0,
    stream_retries: int = 0,
    **extra: Any,
) -> ProviderInfo:
    table: dict[str, Any] = {
        "name": provider_id,
        "base_url": base_url,
        "wire_api": "responses",
        "requires_openai_auth": True,
        "request_max_retries": retries,
        "stream_max_retries": stream_retries,
    }
    table.update(extra)
    return ProviderInfo(provider_id, table)


def request(text: str = "Say hello.", model: str = "gpt-5.2-codex") -> ModelRequest:
    return ModelRequest(
        model=model,
        instructions="You are a test.",
        input=[
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        ],
        thread_id=THREAD_ID,
        tools=[],
        reasoning=Reasoning("medium", "auto"),
    )


class Sleeps:
    """Records back-off delays instead of sleeping (fast, exact); `real=True` also sleeps."""

    def __init__(self, real: bool = False) -> None:
        self.delays: list[float] = []
        self.real = real

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.real:
            import asyncio

            await asyncio.sleep(delay)


ClientFactory = Callable[..., HttpModelClient]


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    made: list[HttpModelClient] = []

    def factory(
        prov: ProviderInfo,
        manager: AuthManager | None = None,
        *,
        sleep: Sleeps | None = None,
        environ: dict[str, str] | None = None,
        identity: tuple[str, str] = (ORIGINATOR, USER_AGENT),
    ) -> HttpModelClient:
        client = HttpModelClient(
            prov,
            manager,
            identity=lambda: identity,
            environ=environ if environ is not None else {},
            sleep=sleep or Sleeps(),
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()


async def collect(
    client: HttpModelClient, req: ModelRequest | None = None
) -> tuple[list[ResponseEvent], ModelError | None]:
    """Every event of one `stream`, and the final error if it failed."""
    events: list[ResponseEvent] = []
    try:
        async for event in client.stream(req or request()):
            events.append(event)
    except ModelError as exc:
        return events, exc
    return events, None
