"""The one error type handlers raise, with the codes and messages of the reference server.

0.94 answers nearly every client mistake with -32600 (serde's "Invalid request: ..."), has no
-32700 and no -32601; pycodex adds -32601 only for methods it has not built yet.
"""

from __future__ import annotations

from typing import Any

INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603


class RpcError(Exception):
    """An error answer to one request; raise it from a handler to answer with it."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_wire(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err

    def __repr__(self) -> str:
        return f"RpcError({self.code}, {self.message!r})"


def invalid_request(message: str, data: Any = None) -> RpcError:
    return RpcError(INVALID_REQUEST, message, data)


def invalid_params(detail: str) -> RpcError:
    """Bad params, worded as the reference's serde failure ("Invalid request: <detail>")."""
    return RpcError(INVALID_REQUEST, f"Invalid request: {detail}")


def internal_error(message: str) -> RpcError:
    return RpcError(INTERNAL_ERROR, message)


def not_implemented(method: str) -> RpcError:
    return RpcError(METHOD_NOT_FOUND, f"not implemented yet: {method}")


class ClientError(Exception):
    """The client answered one of our server→client requests with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"code={code} message={message}")
        self.code = code
        self.message = message
        self.data = data


class RequestCancelled(Exception):
    """A server→client request that will never be answered (cancelled, or client gone)."""
