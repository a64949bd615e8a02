"""Two processes refreshing the same login at once spend the refresh token exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.auth.conftest import write_chatgpt_login
from tests.kit.fake_backend import REFRESH, FakeBackend

CHILD = """
import asyncio, os, sys, time
from pathlib import Path
from pycodex.auth.credentials import AuthSettings
from pycodex.auth.manager import AuthManager

home, issuer, go = sys.argv[1:4]

async def main() -> None:
    manager = AuthManager(AuthSettings(codex_home=Path(home), issuer=issuer))
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.005)
    await manager.refresh_token()
    print(manager.auth_cached().bearer_token, flush=True)

asyncio.run(main())
"""


async def test_two_processes_refreshing_at_once_spend_the_token_once(
    home: Path, backend: FakeBackend, tmp_path: Path
) -> None:
    original = backend.issue_tokens()
    write_chatgpt_login(home, original)
    # A slow issuer makes the two refreshes overlap; a second use of the refresh token would
    # be answered 401 refresh_token_reused and fail that child.
    backend.delays[REFRESH] = 0.5
    go = tmp_path / "go"
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            str(home),
            backend.url,
            str(go),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(os.environ),
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout is not None
        assert await asyncio.wait_for(child.stdout.readline(), 30) == b"ready\n"
    go.touch()
    results = [await asyncio.wait_for(child.communicate(), 30) for child in children]
    for child, (_, err) in zip(children, results, strict=True):
        assert child.returncode == 0, err.decode()
    tokens = {out.decode().strip() for out, _ in results}
    stored = json.loads((home / "auth.json").read_text())["tokens"]
    assert tokens == {stored["access_token"]}
    assert stored["access_token"] != original["access_token"]
    refreshes = backend.requests(REFRESH)
    assert [r.json()["refresh_token"] for r in refreshes] == [original["refresh_token"]]
