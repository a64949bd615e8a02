"""Identifiers on the wire: UUID parsing worded as the reference's uuid crate."""

from __future__ import annotations

import uuid

from ..rpc.errors import RpcError, invalid_request


def uuid_error(text: str, exc: ValueError) -> str:
    """The uuid crate's wording for an unparsable UUID, which the reference quotes."""
    allowed = set("0123456789abcdefABCDEF-")
    body = text[9:] if text.lower().startswith("urn:uuid:") else text
    for index, char in enumerate(body, start=1):
        if char not in allowed:
            return (
                "invalid character: expected an optional prefix of `urn:uuid:` followed by "
                f"[0-9a-fA-F-], found `{char}` at {index}"
            )
    groups = body.split("-")
    if len(groups) == 1:
        return f"invalid length: expected length 32 for simple format, found {len(body)}"
    if len(groups) != 5:
        return f"invalid group count: expected 5, found {len(groups)}"
    for number, (group, want) in enumerate(zip(groups, (8, 4, 4, 4, 12), strict=True), 1):
        if len(group) != want:
            return f"invalid group length in group {number}: expected {want}, found {len(group)}"
    return str(exc)


def parse_thread_id(text: str) -> str:
    """A thread id as the reference accepts it; -32600 `invalid thread id: …` otherwise."""
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise invalid_thread_id(text, exc) from None


def invalid_thread_id(text: str, exc: ValueError) -> RpcError:
    return invalid_request(f"invalid thread id: {uuid_error(text, exc)}")
