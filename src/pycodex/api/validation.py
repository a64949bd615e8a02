"""Per-method params validation against the generated protocol models.

The reference schema, walked as serde would deserialise it, decides and words the error
exactly as the reference does; pydantic (strict) then builds the typed params. The generated
models load in a worker thread right after the handshake.
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


async def validate_params(method: str, params: Any, present: bool) -> Any:
    """Serde's verdict (from the reference schema) decides; pydantic then builds the model.

    pydantic alone is laxer than serde in places (no u32 bound, field names accepted besides
    aliases), so the schema walk runs on every request; it costs tens of microseconds.
    """
    spec = CLIENT_REQUESTS[method]
    if spec.params is None:
        _check_unit(params, present)
        return None
    if not present:
        raise invalid_params("missing field `params`")
    detail = first_error(params, _schema_ref(spec.params), _schema_root())
    if detail is not None:
        raise invalid_params(detail)
    await models_ready()
    from pydantic import ValidationError

    from ..protocol.models import adapter

    try:
        return adapter(spec.params).validate_python(params, strict=True)
    except ValidationError as exc:
        # Serde would accept these params but our model does not: report pydantic's view.
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise invalid_params(f"{first['msg']} at {where}" if where else first["msg"]) from None
