"""Validate what the server writes against the reference's 0.94 schema (the checked-in copy).

The schema, not our models, is the judge here: a frame that round-trips through our own models
can still be wrong on the wire (aliases, nulls, enum spellings, unknown methods).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from pycodex.protocol import methods

SCHEMA_PATH = (
    Path(__file__).resolve().parents[2]
    / "src/pycodex/protocol/schema/codex_app_server_protocol.schemas.json"
)
_URI = "urn:pycodex:codex-app-server-protocol-0.94"

RequestId = str | int


@cache
def bundle() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(bundle(), default_specification=DRAFT7)
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    return registry


@cache
def validator(pointer: str) -> Draft7Validator:
    """A validator for the subschema at a JSON pointer into the bundle (`/definitions/X`)."""
    return Draft7Validator({"$ref": f"{_URI}#{pointer}"}, registry=_registry())


def definition_pointer(ref: str) -> str:
    """`v2.X` -> `/definitions/v2/X`, `X` -> `/definitions/X` (the methods.py ref form)."""
    namespace, _, name = ref.rpartition(".")
    return f"/definitions/{namespace}/{name}" if namespace else f"/definitions/{name}"


@cache
def _variant_pointers(union: str) -> dict[str, str]:
    variants = bundle()["definitions"][union]["oneOf"]
    return {
        variant["properties"]["method"]["enum"][0]: f"/definitions/{union}/oneOf/{index}"
        for index, variant in enumerate(variants)
    }


def _check(pointer: str, instance: Any, what: str) -> None:
    error = best_match(validator(pointer).iter_errors(instance))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "<root>"
        raise AssertionError(
            f"{what} does not match the 0.94 schema at {where}: {error.message}\n"
            f"message: {json.dumps(instance)[:2000]}"
        )


def _check_variant(union: str, message: dict[str, Any]) -> None:
    method = message.get("method")
    pointer = _variant_pointers(union).get(method) if isinstance(method, str) else None
    if pointer is None:
        raise AssertionError(f"{union}: method {method!r} is not in the 0.94 schema")
    _check(pointer, message, f"{union} {method}")


def _check_response(
    message: dict[str, Any],
    request_methods: Mapping[RequestId, str] | None,
    table: Mapping[str, methods.Method],
) -> None:
    _check("/definitions/JSONRPCResponse", message, "response")
    method = (request_methods or {}).get(message["id"])
    if method is None:
        return
    entry = table.get(method)
    if entry is None or entry.result is None:
        raise AssertionError(f"response to {method!r}, which is not a request in the schema")
    _check(definition_pointer(entry.result), message["result"], f"{method} result")


def _validate(
    message: Any,
    request_methods: Mapping[RequestId, str] | None,
    unions: tuple[str, str],
    answered: Mapping[str, methods.Method],
) -> None:
    if not isinstance(message, dict):
        raise AssertionError(f"a frame must be a JSON object, got {message!r}")
    if "method" in message:
        _check_variant(unions[0] if "id" in message else unions[1], message)
    elif "error" in message:
        _check("/definitions/JSONRPCError", message, "error response")
    elif "result" in message:
        _check_response(message, request_methods, answered)
    else:
        raise AssertionError(f"neither request, notification nor response: {message!r}")


def validate_server_message(
    message: dict[str, Any], request_methods: Mapping[RequestId, str] | None = None
) -> None:
    """Assert that a server->client frame matches the schema, else AssertionError.

    request_methods maps the ids of the client's requests to their methods, so that a result is
    checked against that method's response type. The schema does not forbid extra members, so
    a `"jsonrpc"` member passes here (the reference never sends one; wire tests check that).
    """
    _validate(
        message, request_methods, ("ServerRequest", "ServerNotification"), methods.CLIENT_REQUESTS
    )


def validate_client_message(
    message: dict[str, Any], request_methods: Mapping[RequestId, str] | None = None
) -> None:
    """The same for client->server frames (test clients, golden transcripts); request_methods
    maps the ids of server requests to their methods.
    """
    _validate(
        message, request_methods, ("ClientRequest", "ClientNotification"), methods.SERVER_REQUESTS
    )
