"""ChatGPT OAuth token data and the id_token claims pycodex reads (no signature check).

Pure data and parsing: no I/O, no logging of token values.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

AUTH_CLAIMS = "https://api.openai.com/auth"
"""The namespaced claim object holding plan, user and account (workspace) ids."""


class InvalidJwt(ValueError):
    """A token that is not a decodable JWT; str() never contains the token itself."""


@dataclass(frozen=True, slots=True)
class IdTokenInfo:
    """Claims of the id_token we use; the signature, `alg` and `exp` are never checked."""

    raw_jwt: str
    email: str | None
    chatgpt_plan_type: str | None  # e.g. "pro", "plus"
    chatgpt_user_id: str | None  # falls back to the `user_id` claim
    chatgpt_account_id: str | None

    def __repr__(self) -> str:  # keep the raw token out of logs and tracebacks
        return (
            f"IdTokenInfo(email={self.email!r}, chatgpt_plan_type={self.chatgpt_plan_type!r}, "
            f"chatgpt_user_id={self.chatgpt_user_id!r}, "
            f"chatgpt_account_id={self.chatgpt_account_id!r})"
        )


@dataclass(frozen=True, slots=True)
class TokenData:
    """The token set of a ChatGPT login; `account_id` is the workspace the login was made for."""

    id_token: IdTokenInfo
    access_token: str
    refresh_token: str
    account_id: str | None

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return f"TokenData(id_token={self.id_token!r}, account_id={self.account_id!r})"


_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64URL_VALUES = {ord(c): i for i, c in enumerate(_B64URL)}


def b64url_decode_strict(text: str) -> bytes:
    """URL-safe base64 without padding, refused with the wording of the reference's decoder
    (the Rust base64 crate), which clients see inside `invalid id token: ...`."""
    data = text.encode()
    body = data.rstrip(b"=")
    for offset, byte in enumerate(body):
        if byte not in _B64URL_VALUES:
            raise InvalidJwt(f"Invalid symbol {byte}, offset {offset}.")
    if len(body) != len(data):
        raise InvalidJwt("Invalid padding")
    if len(body) % 4 == 1:
        raise InvalidJwt(f"Invalid input length: {len(body)}")
    # The last symbol may not carry bits beyond the final byte.
    spare_bits = {2: 0x0F, 3: 0x03}.get(len(body) % 4, 0)
    if spare_bits and _B64URL_VALUES[body[-1]] & spare_bits:
        raise InvalidJwt(f"Invalid last symbol {body[-1]}, offset {len(body) - 1}.")
    return base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))


def decode_jwt_claims(jwt: str) -> dict[str, Any]:
    """The JSON payload of `header.payload.signature`, unverified.

    As in the reference, everything after the second dot is the signature, and all three
    parts must be non-empty.
    """
    parts = jwt.split(".", 2)
    if len(parts) != 3 or not all(parts):
        raise InvalidJwt("invalid ID token format")
    raw = b64url_decode_strict(parts[1])
    try:
        claims = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidJwt(f"invalid ID token payload JSON: {exc}") from None
    if not isinstance(claims, dict):
        raise InvalidJwt("invalid ID token payload JSON: not an object")
    return claims


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_id_token(jwt: str) -> IdTokenInfo:
    """Read email, plan, user and account ids; raises InvalidJwt for malformed input."""
    claims = decode_jwt_claims(jwt)
    auth = claims.get(AUTH_CLAIMS)
    auth = auth if isinstance(auth, dict) else {}
    return IdTokenInfo(
        raw_jwt=jwt,
        email=_opt_str(claims.get("email")),
        chatgpt_plan_type=_opt_str(auth.get("chatgpt_plan_type")),
        chatgpt_user_id=_opt_str(auth.get("chatgpt_user_id")) or _opt_str(auth.get("user_id")),
        chatgpt_account_id=_opt_str(auth.get("chatgpt_account_id")),
    )
