"""Core auth: stored credentials, external tokens, refresh and request headers.

A core package: it never imports `pycodex.rpc` or `pycodex.api`; it reaches the client only
through injected callables. Only `tokens` is imported eagerly (start-up stays lean); import
`pycodex.auth.manager`, `.recovery`, `.headers`, `.ratelimits` where they are needed.
"""

from __future__ import annotations

from pycodex.auth.tokens import IdTokenInfo, InvalidJwt, TokenData, parse_id_token

__all__ = ["IdTokenInfo", "InvalidJwt", "TokenData", "parse_id_token"]
