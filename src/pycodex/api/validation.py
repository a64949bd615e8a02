"""Per-method params validation against the generated protocol models.

pydantic builds the typed params; the reference schema, walked as serde would deserialise
it, words every refusal exactly as the reference does. The generated models load in a worker
thread right after the handshake.
"""

from __future__ import annotations

import asyncio
import json
import threading
from functools import cache
from importlib import resources
from typing import Any

from ..protocol.methods import CLIENT_REQUESTS
from ..rpc.errors import invalid_params
from ..rpc.router import NotReady
from ..rpc.serde_errors import describe_value, first_error

_loaded = threading.Event()


def _load_models() -> None:
    from ..protocol import models

    models.load_all()
    _loaded.set()


async def models_ready() -> None:
    if not _loaded.is_set():
        await asyncio.to_thread(_load_models)


def preload_in_background(*modules: str) -> None:
    """Import the models (and `modules`) in a thread now, so that the first real request
    does not wait for them."""

    def work() -> None:
        import importlib

        _load_models()
        for name in modules:
            importlib.import_module(name)

    threading.Thread(target=work, name="pycodex-preload", daemon=True).start()


@cache
def _schema_root() -> dict[str, Any]:
    ref = resources.files("pycodex.protocol").joinpath(
        "schema", "codex_app_server_protocol.schemas.json"
    )
    root: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return root


def _schema_ref(model_ref: str) -> dict[str, str]:
    return {"$ref": "#/definitions/" + model_ref.replace(".", "/")}


def _check_unit(params: Any, present: bool) -> None:
    """Methods without params accept none, null or an empty object, as 0.94 does."""
    if not present or params == {}:
        return
    raise invalid_params(f"invalid type: {describe_value(params)}, expected unit")


@cache
def _has_formats(model_ref: str) -> bool:
    """Whether the params schema bounds integers by `format` (u32, i64, ...), the one kind of
    check serde makes that the generated models do not; only then must the walk confirm
    params that pydantic accepted."""
    root = _schema_root()
    seen: set[str] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, dict):
            if "format" in node:
                return True
            ref = node.get("$ref")
            if isinstance(ref, str) and ref not in seen:
                seen.add(ref)
                target: Any = root
                for part in ref.removeprefix("#/").split("/"):
                    target = target.get(part, {}) if isinstance(target, dict) else {}
                if visit(target):
                    return True
            return any(visit(v) for k, v in node.items() if k != "$ref")
        if isinstance(node, list):
            return any(visit(v) for v in node)
        return False

    return visit(_schema_ref(model_ref))


async def validate_params(method: str, params: Any, present: bool) -> Any:
    """Typed params for `method`, or the reference's error for them (see validate_now)."""
    if CLIENT_REQUESTS[method].params is not None and present:
        await models_ready()
    return validate_now(method, params, present)


def validate_now(method: str, params: Any, present: bool) -> Any:
    """Typed params for `method`, or the reference's error; NotReady while models load.

    pydantic (strict, aliases only, as serde) builds the params; the schema walk, which
    words errors exactly as serde, runs when pydantic refuses, and when the schema has
    integer bounds pydantic does not know.
    """
    spec = CLIENT_REQUESTS[method]
    if spec.params is None:
        _check_unit(params, present)
        return None
    if not present:
        raise invalid_params("missing field `params`")
    if not _loaded.is_set():
        raise NotReady(method)
    from pydantic import ValidationError

    from ..protocol.models import adapter

    try:
        value = adapter(spec.params).validate_python(
            params, strict=True, by_alias=True, by_name=False
        )
    except ValidationError as exc:
        detail = first_error(params, _schema_ref(spec.params), _schema_root())
        if detail is None:
            # Serde would accept these params but our model does not: report pydantic's view.
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            detail = f"{first['msg']} at {where}" if where else first["msg"]
        raise invalid_params(detail) from None
    if _has_formats(spec.params):
        detail = first_error(params, _schema_ref(spec.params), _schema_root())
        if detail is not None:
            raise invalid_params(detail)
    return value
