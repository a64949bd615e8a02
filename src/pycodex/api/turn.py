"""`turn/start` and `turn/interrupt`: start the agent loop on a loaded thread, and stop it.

Better than 0.94, deliberately (decisions.md): `turn/interrupt` is always answered; input sent
while a turn runs joins that turn, and the answer names the running turn, so no turn id is
handed out that never completes; empty input is refused.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..rpc.connection import after_response
from ..rpc.errors import invalid_params, invalid_request
from .app import App
from .ids import parse_thread_id

if TYPE_CHECKING:
    from ..core.threads import LoadedThread
    from ..model.client import ModelClient
    from ..rpc.router import Router
    from .thread import _Threads


# v2 SandboxPolicy `type` → the sandbox mode the thread runs with (externalSandbox: the host
# sandboxes, so nothing more is restricted here).
_SANDBOX_MODES = {
    "readOnly": "read-only",
    "workspaceWrite": "workspace-write",
    "dangerFullAccess": "danger-full-access",
    "externalSandbox": "danger-full-access",
}


class _Turns:
    def __init__(self, app: App, threads: _Threads) -> None:
        self.app = app
        self.threads = threads
        self._clients: dict[str, ModelClient] = {}

    def _client(self, provider_id: str) -> ModelClient:
        client = self._clients.get(provider_id)
        if client is None:
            from ..model.client import HttpModelClient
            from ..useragent import codex_user_agent

            config = self.app.config
            provider = config.providers().get(provider_id) or config.provider
            app = self.app

            def identity() -> tuple[str, str]:
                return app.originator, app.user_agent or codex_user_agent(app.originator)

            client = HttpModelClient(provider, self.app.auth, identity=identity)
            self._clients[provider_id] = client
        return client

    def _loaded(self, raw_id: str) -> LoadedThread:
        thread_id = parse_thread_id(raw_id)
        thread = self.threads.registry.get(thread_id)
        if thread is None:
            raise invalid_request(f"thread not found: {thread_id}")
        return thread

    async def start(self, params: Any) -> dict[str, Any]:
        from ..core.turn import TurnRun, turn_wire

        thread = self._loaded(params.thread_id)
        inputs = [item.model_dump(mode="json", by_alias=True) for item in params.input]
        if not inputs:
            raise invalid_params("input must not be empty")
        running = thread.running
        if running is not None:
            running.pending.append(inputs)
            return {"turn": turn_wire(running.turn_id, "inProgress")}
        self._apply_overrides(thread, params)
        turn_id = thread.take_id()
        run = TurnRun(
            thread,
            turn_id,
            inputs,
            self._client(thread.settings.model_provider),
            self.app.notify,
            output_schema=params.output_schema,
        )
        thread.running = run

        def begin() -> None:
            self.app.notify(
                "turn/started",
                {"threadId": thread.thread_id, "turn": turn_wire(turn_id, "inProgress")},
            )
            thread.task = asyncio.get_running_loop().create_task(run.run())

        after_response(begin)
        return {"turn": turn_wire(turn_id, "inProgress")}

    async def interrupt(self, params: Any) -> dict[str, Any]:
        thread = self._loaded(params.thread_id)
        running = thread.running
        # Only the named turn is interrupted; a finished or unknown turn is answered too.
        if running is not None and running.turn_id == params.turn_id and thread.task is not None:
            thread.task.cancel()
        return {}

    def _apply_overrides(self, thread: LoadedThread, params: Any) -> None:
        """Per-turn overrides stick to the thread for the turns after, as in the reference."""
        s = thread.settings
        if params.model:
            s.model = params.model
        if params.effort:
            s.reasoning_effort = params.effort
        if params.approval_policy:
            s.approval_policy = params.approval_policy
        if params.cwd:
            s.cwd = params.cwd
        if params.summary:
            s.reasoning_summary = params.summary
        if params.sandbox_policy is not None:
            kind = params.sandbox_policy.model_dump(by_alias=True).get("type")
            s.sandbox_mode = _SANDBOX_MODES.get(kind, s.sandbox_mode)


def register(router: Router, app: App, threads: _Threads) -> None:
    h = _Turns(app, threads)
    router.register("turn/start", h.start)
    router.register("turn/interrupt", h.interrupt)
