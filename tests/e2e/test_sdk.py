"""OpenAI's Python SDK (`openai-codex`) drives `pycodex app-server` as it drives codex: the
handshake and the account methods, with the SDK's own response models validating our answers.
(Threads and turns join when they land.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openai_codex.client import CodexClient, CodexConfig

from tests.kit.fake_responses import FakeResponses, SseReply, message_events
from tests.kit.home import RunHome, make_home
from tests.kit.servers import pycodex_argv


@pytest.fixture
def client(run_home: RunHome) -> Iterator[CodexClient]:
    config = CodexConfig(
        launch_args_override=tuple(pycodex_argv()),
        env=run_home.env,
        cwd=str(run_home.cwd),
        client_name="sdk_e2e",
    )
    with CodexClient(config) as sdk:
        yield sdk


def test_sdk_handshake(client: CodexClient) -> None:
    result = client.initialize()
    assert result.userAgent is not None and result.userAgent.startswith("sdk_e2e/0.94.0 (")
    assert result.serverInfo is not None and result.serverInfo.name == "pycodex"


def test_sdk_api_key_account_flow(client: CodexClient) -> None:
    client.initialize()
    before = client.account_read({})
    assert before.account is None and before.requires_openai_auth is True
    login = client.account_login_start({"type": "apiKey", "apiKey": "sk-sdk"})
    assert login.root.type == "apiKey"
    after = client.account_read({})
    assert after.account is not None and after.account.root.type == "apiKey"
    client.account_logout()
    assert client.account_read({}).account is None


def test_sdk_thread_start_read_and_list(client: CodexClient, run_home: RunHome) -> None:
    client.initialize()
    started = client.thread_start({"cwd": str(run_home.cwd)})
    thread = started.thread
    assert thread.path is not None and thread.path.startswith(str(run_home.codex_home))
    assert client.thread_read(thread.id).thread.id == thread.id
    assert client.thread_list({}).data == []  # no user message yet: not listed, as 0.94
    ephemeral = client.thread_start({"ephemeral": True})
    assert ephemeral.thread.path is None and ephemeral.thread.ephemeral is True


def test_sdk_completes_a_turn(tmp_path: Path) -> None:
    """The issue's bar: OpenAI's SDK runs a whole turn against pycodex (fake model on loopback);
    its models validate every notification it routes (items, deltas, completion)."""
    with FakeResponses() as fake:
        fake.enqueue(SseReply(message_events("Hello from pycodex", chunks=4)))
        home = make_home(tmp_path / "sdk-turn", fake.port)
        config = CodexConfig(
            launch_args_override=tuple(pycodex_argv()),
            env=home.env,
            cwd=str(home.cwd),
            client_name="sdk_e2e",
        )
        with CodexClient(config) as sdk:
            sdk.initialize()
            thread = sdk.thread_start({"cwd": str(home.cwd)}).thread
            deltas = [d.delta for d in sdk.stream_text(thread.id, "Say hello.")]
            assert "".join(deltas) == "Hello from pycodex"
            assert len(deltas) == 4
            read = sdk.thread_read(thread.id, include_turns=True).thread
            assert len(read.turns) == 1
            assert read.turns[0].status.value == "completed"
