"""External tokens never reach disk under CODEX_HOME, stderr (DEBUG logging) or error texts.

The scenario runs in a child process with pycodex's own logging at DEBUG, so its real stderr
is what gets scanned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.kit.fake_backend import USAGE, FakeBackend, Reply, make_id_token

SECRET_ACCESS = "SECRET-ACCESS-0f9e8d"
SECRET_ACCESS_2 = "SECRET-ACCESS-REFRESHED-7a6b"
SECRET_ID_TOKEN = make_id_token(email="hidden@example.com", sub_marker="SECRET-ID-CLAIM-55aa")
SECRET_ID_TOKEN_2 = make_id_token(sub_marker="SECRET-ID-CLAIM-2-66bb")

CHILD = """
import asyncio, json, logging, sys
from pathlib import Path
from pycodex import log
from pycodex.auth.credentials import AuthError, AuthSettings, ExternalRefreshError
from pycodex.auth.manager import AuthManager
from pycodex.auth.recovery import UnauthorizedRecovery

home, base, id1, at1, id2, at2 = sys.argv[1:7]
log.setup()
texts = []

async def main() -> None:
    answers = [
        {"idToken": id2, "accessToken": at2},
        ExternalRefreshError(-32000, "refused"),
        {"idToken": id2.replace(".", "!"), "accessToken": at2},
        {"accessToken": at2},
        "hang",
        RuntimeError(at2),  # a transport failure quoting the payload
    ]

    async def refresher(reason, previous):
        answer = answers.pop(0)
        if answer == "hang":
            await asyncio.Event().wait()
        if isinstance(answer, BaseException):
            raise answer
        return answer

    settings = AuthSettings(
        codex_home=Path(home), chatgpt_base_url=base, external_refresh_timeout=0.1
    )
    manager = AuthManager(settings, request_external_refresh=refresher)
    manager.set_external_tokens(id1, at1)
    texts.extend([repr(manager.auth_cached()), repr(manager.account())])
    texts.append(repr(await manager.auth_status(include_token=False, refresh_token=True)))
    for _ in range(6):
        texts.append(repr(await UnauthorizedRecovery(manager).recover_unauthorized()))
    for attempt in (
        manager.read_rate_limits(),
    ):
        try:
            await attempt
        except AuthError as exc:
            texts.append(str(exc))
    forced = AuthManager(
        AuthSettings(codex_home=Path(home), forced_chatgpt_workspace_id="other")
    )
    for bad in (lambda: forced.set_external_tokens(id1, at1),
                lambda: manager.set_external_tokens(id1.split(".")[1] + ".sig", at1)):
        try:
            bad()
        except AuthError as exc:
            texts.append(str(exc))
    logging.getLogger("pycodex.auth").debug("checkpoint: logging works")
    manager.logout()
    print(json.dumps(texts))

asyncio.run(main())
"""


def secrets() -> list[str]:
    values = [SECRET_ACCESS, SECRET_ACCESS_2]
    for jwt in (SECRET_ID_TOKEN, SECRET_ID_TOKEN_2):
        values += [jwt, jwt.split(".")[1]]  # the whole token and its payload
    return values


def test_external_tokens_stay_in_memory(home: Path, backend: FakeBackend) -> None:
    backend.script(USAGE, Reply(500, "backend error"))
    env = {**os.environ, "PYCODEX_LOG": "debug"}
    args = [SECRET_ID_TOKEN, SECRET_ACCESS, SECRET_ID_TOKEN_2, SECRET_ACCESS_2]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(home), backend.chatgpt_base_url, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    texts = json.loads(child.stdout)
    assert len(texts) == 12, texts
    assert any("auth refresh request failed: code=-32000" in t for t in texts)
    # the capture works: DEBUG lines from pycodex and from the HTTP stack are there
    assert "checkpoint: logging works" in child.stderr and "httpcore" in child.stderr
    files = [p for p in home.rglob("*") if p.is_file()]
    on_disk = b"".join(p.read_bytes() for p in files)
    for secret in secrets():
        assert secret not in child.stderr
        assert secret.encode() not in on_disk
        for text in texts:
            assert secret not in text
    assert files == []  # nothing at all was written under CODEX_HOME
    # ...while the token did go where it belongs: the usage request's header
    assert backend.requests(USAGE)[0].headers["authorization"] == f"Bearer {SECRET_ACCESS_2}"
