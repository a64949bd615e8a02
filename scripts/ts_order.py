"""Rust field declaration order for the schema, read from the reference's `generate-ts` output.

schemars sorts `properties` alphabetically, but serde reports the first *declared* missing
field and reads a JSON array into a struct positionally; ts-rs keeps declaration order, so the
generator puts the schema's properties in that order.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

_TS_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([A-Za-z_$][\w$]*)|(-?\d+(?:\.\d+)?)|(\S))')


class _TsType:
    """Just enough of a TypeScript type parser to read ts-rs object keys and union members."""

    def __init__(self, text: str) -> None:
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        self.toks = [
            next(g for g in m.groups() if g) for m in _TS_TOKEN.finditer(text) if m.group().strip()
        ]
        self.pos = 0

    def find(self, name: str) -> Any:
        for i in range(len(self.toks) - 3):
            if self.toks[i : i + 3] == ["export", "type", name]:
                self.pos = i + 4
                return self.union()
        return None

    def peek(self) -> str:
        return self.toks[self.pos] if self.pos < len(self.toks) else ""

    def take(self) -> str:
        self.pos += 1
        return self.toks[self.pos - 1]

    def union(self) -> Any:
        if self.peek() == "|":
            self.take()
        members = [self.primary()]
        while self.peek() in ("|", "&"):
            self.take()
            members.append(self.primary())
        return members[0] if len(members) == 1 else ("union", members)

    def skip_brackets(self) -> None:
        depth = 0
        while True:
            tok = self.take()
            depth += (tok == "[") - (tok == "]")
            if depth == 0:
                return

    def primary(self) -> Any:
        tok = self.take()
        node: Any
        if tok == "{":
            fields: list[tuple[str, Any]] = []
            while self.peek() not in ("}", ""):
                key: str | None = None
                if self.peek() == "[":  # `[key in string]?: T`, a map
                    self.skip_brackets()
                else:
                    key = self.take().strip('"')
                if self.peek() == "?":
                    self.take()
                self.take()
                value = self.union()
                if key is not None:
                    fields.append((key, value))
                if self.peek() in (",", ";"):
                    self.take()
            self.take()
            node = ("obj", fields)
        elif tok in ("(", "["):
            node = ("group", [self.union()])
            while self.peek() == ",":
                self.take()
                node[1].append(self.union())
            self.take()
        else:
            node = ("name", tok)
            if self.peek() == "<":
                self.skip_angle()
        while (
            self.peek() == "[" and self.pos + 1 < len(self.toks) and self.toks[self.pos + 1] == "]"
        ):
            self.pos += 2
        return node

    def skip_angle(self) -> None:
        depth = 0
        while True:
            tok = self.take()
            depth += (tok == "<") - (tok == ">")
            if depth == 0:
                return


def _reorder(schema: Any, ts: Any) -> None:
    """Put `properties` in ts-rs (declaration) order; fields ts-rs skips go first."""
    if not isinstance(schema, dict) or ts is None:
        return
    props = schema.get("properties")
    if isinstance(props, dict) and ts[0] == "obj":
        ts_fields = dict(ts[1])
        order = [k for k in props if k not in ts_fields] + [k for k in ts_fields if k in props]
        schema["properties"] = {k: props[k] for k in order}
        for key, sub in schema["properties"].items():
            if key in ts_fields and isinstance(sub, dict) and "$ref" not in sub:
                _reorder(sub, ts_fields[key])
        return
    for key in ("oneOf", "anyOf"):
        members = schema.get(key)
        theirs = [m for m in (ts[1] if ts[0] == "union" else [ts]) if m != ("name", "null")]
        if isinstance(members, list):
            ours = [m for m in members if not (isinstance(m, dict) and m.get("type") == "null")]
            if len(ours) == len(theirs):
                for mine, their in zip(ours, theirs, strict=True):
                    _reorder(mine, their)


def declaration_ordered(root: dict[str, Any], ts_dir: Path) -> dict[str, Any]:
    """A copy of `root` whose `properties` follow the Rust declaration order ts-rs preserved."""
    out = copy.deepcopy(root)
    groups = [(out["definitions"], ts_dir)]
    groups += [
        (out["definitions"][sub], ts_dir / sub) for sub in ("v1", "v2") if sub in out["definitions"]
    ]
    for definitions, folder in groups:
        for name, schema in definitions.items():
            path = folder / f"{name}.ts"
            path = path if path.is_file() else ts_dir / f"{name}.ts"
            if isinstance(schema, dict) and path.is_file():
                _reorder(schema, _TsType(path.read_text(encoding="utf-8")).find(name))
    return out
