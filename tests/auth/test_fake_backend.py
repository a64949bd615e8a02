"""The fake issuer itself: each grant answers as documented and can be scripted."""

from __future__ import annotations

import httpx2

from tests.kit.fake_backend import (
    AUTHORIZATION_CODE,
    REFRESH,
    TOKEN_EXCHANGE,
    FakeBackend,
    Reply,
)


async def test_grants(backend: FakeBackend) -> None:
    async with httpx2.AsyncClient() as client:
        code = await client.post(
            backend.token_url,
            data={"grant_type": "authorization_code", "code": "c", "code_verifier": "v"},
        )
        assert code.status_code == 200
        assert set(code.json()) == {"id_token", "access_token", "refresh_token"}
        exchange = await client.post(
            backend.token_url,
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "requested_token": "openai-api-key",
            },
        )
        assert exchange.json() == {"access_token": "sk-exchanged"}
        rt = code.json()["refresh_token"]
        body = {"grant_type": "refresh_token", "refresh_token": rt}
        assert (await client.post(backend.token_url, json=body)).status_code == 200
        reused = await client.post(backend.token_url, json=body)
        assert reused.status_code == 401
        assert reused.json()["error"]["code"] == "refresh_token_reused"
        backend.script(AUTHORIZATION_CODE, Reply(400, {"error": "invalid_grant"}))
        failed = await client.post(backend.token_url, data={"grant_type": "authorization_code"})
        assert failed.status_code == 400
    assert [r.route for r in backend.requests()] == [
        AUTHORIZATION_CODE,
        TOKEN_EXCHANGE,
        REFRESH,
        REFRESH,
        AUTHORIZATION_CODE,
    ]
    assert backend.requests(AUTHORIZATION_CODE)[0].form()["code_verifier"] == "v"
