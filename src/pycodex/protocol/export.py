"""JSON Schema of the protocol pycodex speaks, built from its own models and method table.

Backs `pycodex app-server generate-json-schema`. It never copies the upstream schema file: if
our models drift from upstream, the exported schema shows it. The layout mirrors upstream's
bundle (draft-07, `definitions`, v2 types under `definitions.v2`) so that tools built for the
reference's output can read ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter
from pydantic.json_schema import DefsRef, GenerateJsonSchema

from pycodex.protocol import methods, models

if TYPE_CHECKING:
    from pydantic.json_schema import CoreModeRef

Mode = Literal["validation", "serialization"]

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
BUNDLE = "codex_app_server_protocol.schemas.json"
_GENERATED = "pycodex.protocol._generated."
_ENVELOPE_TYPES = (
    "RequestId",
    "JSONRPCMessage",
    "JSONRPCRequest",
    "JSONRPCNotification",
    "JSONRPCResponse",
    "JSONRPCError",
    "JSONRPCErrorError",
)
# (table name, table, is a request, mode of params, mode of result). Modes follow direction:
# what pycodex reads is described as it validates, what it writes as it serializes.
_UNIONS: tuple[tuple[str, dict[str, methods.Method], bool, Mode, Mode], ...] = (
    ("ClientRequest", methods.CLIENT_REQUESTS, True, "validation", "serialization"),
    ("ServerRequest", methods.SERVER_REQUESTS, True, "serialization", "validation"),
    ("ServerNotification", methods.SERVER_NOTIFICATIONS, False, "serialization", "validation"),
    ("ClientNotification", methods.CLIENT_NOTIFICATIONS, False, "validation", "validation"),
)


class _ProtocolNames(GenerateJsonSchema):
    """Names generated types `X` / `v2.X` instead of pydantic's module-qualified fallback.

    v1 and v2 share 58 type names; without this, collisions come out as
    `pycodex__protocol___generated__v2__SandboxPolicy`.
    """

    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        defs_ref = super().get_defs_ref(core_mode_ref)
        core_ref, mode = core_mode_ref
        qualified = core_ref.rsplit(":", 1)[0]
        if qualified.startswith(_GENERATED) and "[" not in qualified:
            name = qualified.removeprefix(_GENERATED)
            if name.count(".") <= 1:  # "X" or "v2.X"
                suffix = "Input" if mode == "validation" else "Output"
                # Private in pydantic 2.x; tests fail loudly if its shape changes.
                choices = self._prioritized_defsref_choices[defs_ref]
                choices[:2] = [DefsRef(name), DefsRef(f"{name}-{suffix}")]
        return defs_ref

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False  # "Cwd", "Modelprovider": noise that upstream does not have


def _envelope(method: methods.Method, is_request: bool, params: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if is_request:
        properties["id"] = {"$ref": "#/definitions/RequestId"}
    properties["method"] = {"type": "string", "enum": [method.name]}
    required = [*properties]
    if params is not None:
        properties["params"] = params
        required.append("params")
    elif is_request:  # serde accepts an absent or null `params` for these
        properties["params"] = {"type": "null"}
    kind = "Request" if is_request else "Notification"
    return {
        "title": f"{method.name[:1].upper()}{method.name[1:]}{kind}",  # upstream's variant titles
        "type": "object",
        "required": required,
        "properties": properties,
    }


def _nest_v2(node: Any) -> Any:
    """Rewrite `#/definitions/v2.X` refs to upstream's `#/definitions/v2/X` layout."""
    if isinstance(node, dict):
        return {
            key: value.replace("#/definitions/v2.", "#/definitions/v2/", 1)
            if key == "$ref" and isinstance(value, str)
            else _nest_v2(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_nest_v2(item) for item in node]
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _closure(roots: Iterable[Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The flat definitions (`X`, `v2.X` keys) that roots reach, in sorted order."""
    seen: set[str] = set()
    pending = [ref for root in roots for ref in _refs(root)]
    while pending:
        name = pending.pop().removeprefix("#/definitions/")
        if name not in seen and name in definitions:
            seen.add(name)
            pending.extend(_refs(definitions[name]))
    return {name: definitions[name] for name in sorted(seen)}


def _document(title: str, body: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    v2: dict[str, Any] = {}
    for name, schema in definitions.items():
        if name.startswith("v2."):
            v2[name.removeprefix("v2.")] = schema
        else:
            nested[name] = schema
    if v2:
        nested["v2"] = v2
    document = {"$schema": DRAFT_07, "title": title, **body, "definitions": nested}
    result: dict[str, Any] = _nest_v2(document)
    return result


def build_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema document; the bundle plus one file per method union."""
    serialization: Mode = "serialization"
    wanted = dict.fromkeys((name, serialization) for name in _ENVELOPE_TYPES)
    for _, table, _, params_mode, result_mode in _UNIONS:
        for method in table.values():
            for ref, mode in ((method.params, params_mode), (method.result, result_mode)):
                if ref is not None:
                    wanted[ref, mode] = None
    refs, defs = TypeAdapter.json_schemas(
        [(ref, mode, models.adapter(ref)) for ref, mode in wanted],
        ref_template="#/definitions/{model}",
        schema_generator=_ProtocolNames,
    )
    definitions: dict[str, Any] = dict(defs.get("$defs", {}))

    unions: dict[str, dict[str, Any]] = {}
    for union, table, is_request, params_mode, _ in _UNIONS:
        variants = [
            _envelope(
                method,
                is_request,
                None if method.params is None else refs[(method.params, params_mode)],
            )
            for method in table.values()
        ]
        unions[union] = {"oneOf": variants}

    bundle_defs = {**definitions, **unions}
    documents = {
        BUNDLE: _document("CodexAppServerProtocol", {"type": "object"}, bundle_defs),
    }
    for union, body in unions.items():
        documents[f"{union}.json"] = _document(union, body, _closure([body], definitions))
    return documents


def write_schema(out_dir: Path) -> list[Path]:
    """Write the bundle and the per-union schema files into out_dir; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in build_schemas().items():
        path = out_dir / name
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        written.append(path)
    return written
