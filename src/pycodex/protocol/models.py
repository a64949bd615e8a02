"""Lazy access to the generated protocol models by the refs used in `methods.py`.

Importing this module costs nothing: pydantic and the ~0.5 s of generated classes load on the
first lookup (or in `load_all`, which the server runs in the background after `initialize`).
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import TypeAdapter

_PACKAGE = "pycodex.protocol._generated"
_MODULES = {"": _PACKAGE, "v2": f"{_PACKAGE}.v2"}


def _module(namespace: str) -> ModuleType:
    return importlib.import_module(_MODULES[namespace])


def model(ref: str) -> Any:
    """The generated class or type alias named by ref (`"X"` or `"v2.X"`); KeyError if unknown."""
    namespace, _, name = ref.rpartition(".")
    if namespace not in _MODULES or not name:
        raise KeyError(f"not a protocol model ref: {ref!r}")
    try:
        return getattr(_module(namespace), name)
    except AttributeError:
        raise KeyError(f"no protocol model {ref!r}") from None


@cache
def adapter(ref: str) -> TypeAdapter[Any]:
    """A TypeAdapter for ref, built once: validation for BaseModels and union aliases alike."""
    from pydantic import TypeAdapter

    return TypeAdapter(model(ref))


def dump(value: Any) -> Any:
    """JSON-ready wire data for a model (or containers of them): aliases on, nulls kept.

    Upstream serde writes `None` fields as `null` (`gitInfo`, `reasoningEffort`, ...), and
    clients rely on it, so this never excludes None or unset fields.
    """
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, by_alias=True)


def load_all() -> None:
    """Import every generated module now, so that no request pays for it later."""
    for namespace in _MODULES:
        _module(namespace)
