"""The model package: Responses API requests, streaming and failures (never imports rpc/api).

- `client`: `ModelClient` (the seam) and `HttpModelClient` (httpx2 SSE, retries, 401 recovery)
- `request`: `ModelRequest`, the JSON body, URL and headers per provider and auth mode
- `events`: the typed `ResponseEvent`s, `Retrying` notices and `ModelError`
- `errors`: failures → the reference's turn errors; `sse`: payload → event
- `scripted`: `ScriptedModel`, the strict double for engine tests, and `text_reply`
"""
