"""serde_errors against the 0.94 reference: every message in the tables below came from it.

How the tables were recorded: the native `codex app-server` of @openai/codex 0.94.0 ran with a
temp CODEX_HOME and HOME, a mock provider on a closed loopback port and no OPENAI_*/CODEX_*
variables; after `initialize`, one bad request per line was written and each error message kept
as answered (the `Invalid request: ` prefix dropped). Params are the exact JSON text sent.

Two things the schema does not carry are supplied here from the reference itself: Rust field
declaration order (schemars sorts `properties`; ts-rs output keeps declaration order, so the
schema is reordered from `generate-ts` when the checked-in copy is not ordered already), and the
custom Deserialize impls listed in CUSTOM_DESERIALIZERS, which stay expected failures.
"""
# ruff: noqa: E501

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import math
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycodex.rpc import serde_errors
from pycodex.rpc.serde_errors import describe_value, first_error, unknown_variant

ROOT = Path(__file__).resolve().parents[2]
CHECKED_IN = ROOT / "src/pycodex/protocol/schema/codex_app_server_protocol.schemas.json"
BUNDLE = "codex_app_server_protocol.schemas.json"


# --- loading the schema, in declaration order ------------------------------------------------


def _reference_binary() -> Path | None:
    spec = importlib.util.spec_from_file_location("reference", ROOT / "scripts/reference.py")
    if spec is None or spec.loader is None:
        return None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        binary: Path = module.native_binary()
    except RuntimeError:  # no reference build for this platform
        return None
    return binary if binary.exists() else None


def _generate(binary: Path, command: str, out: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(out), "CODEX_HOME": str(out)}
    subprocess.run(
        [str(binary), "app-server", command, "--out", str(out)],
        check=True,
        capture_output=True,
        env=env,
        timeout=60,
    )


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


def _looks_ordered(root: dict[str, Any]) -> bool:
    return list(root["definitions"]["v2"]["TurnStartParams"]["properties"])[:2] == [
        "threadId",
        "input",
    ]


@pytest.fixture(scope="session")
def plain_root(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bundled schema: the checked-in copy, else one generated by the reference."""
    if CHECKED_IN.exists():
        root: dict[str, Any] = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
        return root
    binary = _reference_binary()
    if binary is None:
        pytest.skip("no checked-in schema and the reference codex 0.94.0 is not installed")
    out = tmp_path_factory.mktemp("schema")
    _generate(binary, "generate-json-schema", out)
    root = json.loads((out / BUNDLE).read_text(encoding="utf-8"))
    return root


@pytest.fixture(scope="session")
def root(plain_root: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schema with `properties` in declaration order, as serde_errors needs it."""
    binary = _reference_binary()
    if binary is None:
        if _looks_ordered(plain_root):
            return plain_root
        pytest.skip("schema properties are not in declaration order and no reference to fix it")
    out = tmp_path_factory.mktemp("ts")
    _generate(binary, "generate-ts", out)
    ordered = declaration_ordered(plain_root, out)
    assert _looks_ordered(ordered)
    return ordered


def _params_schemas(root: dict[str, Any]) -> dict[str, Any]:
    return {
        variant["properties"]["method"]["enum"][0]: variant["properties"].get("params", True)
        for variant in root["definitions"]["ClientRequest"]["oneOf"]
    }


def _check(root: dict[str, Any], method: str, params_json: str) -> str | None:
    return first_error(json.loads(params_json), _params_schemas(root)[method], root)


# fmt: off
OBSERVED: list[tuple[str, str, str]] = [
    ('account/login/cancel', '{}', 'missing field `loginId`'),
    ('account/login/start', '{"type": 5}', 'invalid value: integer `5`, expected variant index 0 <= i < 3'),
    ('account/login/start', '"x"', 'invalid type: string "x", expected internally tagged enum LoginAccountParams'),
    ('account/login/start', '5', 'invalid type: integer `5`, expected internally tagged enum LoginAccountParams'),
    ('account/login/start', '[]', 'missing field `type`'),
    ('account/login/start', '{"type": "chatgptAuthTokens"}', 'missing field `idToken`'),
    ('account/login/start', '{"type": "chatgptAuthTokens", "accessToken": "a"}', 'missing field `idToken`'),
    ('account/login/start', '{"type": "apiKey", "apiKey": 5}', 'invalid type: integer `5`, expected a string'),
    ('account/login/start', '{"apiKey": 5}', 'missing field `type`'),
    ('account/login/start', '{"apiKey": 5, "type": "apiKey"}', 'invalid type: integer `5`, expected a string'),
    ('account/login/start', '{"type": "APIKEY"}', 'unknown variant `APIKEY`, expected one of `apiKey`, `chatgpt`, `chatgptAuthTokens`'),
    ('account/login/start', '["chatgpt", 5]', 'invalid length 1, expected 0 elements in sequence'),
    ('account/login/start', '{"type": "apiKey"}', 'missing field `apiKey`'),
    ('account/login/start', '{}', 'missing field `type`'),
    ('account/login/start', '{"type": "bogus"}', 'unknown variant `bogus`, expected one of `apiKey`, `chatgpt`, `chatgptAuthTokens`'),
    ('account/login/start', '{"type": "chatgptAuthTokens", "idToken": "a"}', 'missing field `accessToken`'),
    ('account/logout', '5', 'invalid type: integer `5`, expected unit'),
    ('account/rateLimits/read', '{"a": 1}', 'invalid type: map, expected unit'),
    ('account/read', '{"refreshToken": 1}', 'invalid type: integer `1`, expected a boolean'),
    ('account/read', '"x"', 'invalid type: string "x", expected struct GetAccountParams'),
    ('account/read', '{"refreshToken": "yes"}', 'invalid type: string "yes", expected a boolean'),
    ('account/read', '{"refreshToken": null}', 'invalid type: null, expected a boolean'),
    ('addConversationListener', '{}', 'missing field `conversationId`'),
    ('app/list', '{"limit": -1}', 'invalid value: integer `-1`, expected u32'),
    ('app/list', '5', 'invalid type: integer `5`, expected struct AppsListParams'),
    ('archiveConversation', '{}', 'missing field `conversationId`'),
    ('archiveConversation', '{"rolloutPath": "x"}', 'missing field `conversationId`'),
    ('cancelLoginChatGpt', '{}', 'missing field `loginId`'),
    ('collaborationMode/list', '5', 'invalid type: integer `5`, expected struct CollaborationModeListParams'),
    ('command/exec', '{}', 'missing field `command`'),
    ('command/exec', '{"command": "ls"}', 'invalid type: string "ls", expected a sequence'),
    ('command/exec', '{"command": [1]}', 'invalid type: integer `1`, expected a string'),
    ('command/exec', '{"command": [], "timeoutMs": 1.5}', 'invalid type: floating point `1.5`, expected i64'),
    ('command/exec', '{"command": [], "timeoutMs": 9223372036854775808}', 'invalid value: integer `9223372036854775808`, expected i64'),
    ('command/exec', '{"command": [], "sandboxPolicy": {"type": "x"}}', 'unknown variant `x`, expected one of `dangerFullAccess`, `readOnly`, `externalSandbox`, `workspaceWrite`'),
    ('command/exec', '{"command": [], "timeoutMs": -9223372036854775809}', 'invalid type: floating point `-9.223372036854776e18`, expected i64'),
    ('command/exec', '{"command": [], "timeoutMs": -9223372036854775808, "sandboxPolicy": "x"}', 'invalid type: string "x", expected internally tagged enum SandboxPolicy'),
    ('config/batchWrite', '{"edits": [{}]}', 'missing field `keyPath`'),
    ('config/batchWrite', '{"edits": 5}', 'invalid type: integer `5`, expected a sequence'),
    ('config/batchWrite', '{}', 'missing field `edits`'),
    ('config/batchWrite', '{"edits": [{"keyPath": "a", "value": 1, "mergeStrategy": "x"}]}', 'unknown variant `x`, expected `replace` or `upsert`'),
    ('config/read', '{"includeLayers": "x"}', 'invalid type: string "x", expected a boolean'),
    ('config/read', '{"cwd": 5}', 'invalid type: integer `5`, expected a string'),
    ('config/read', '[1]', 'invalid type: integer `1`, expected a boolean'),
    ('config/value/write', '{}', 'missing field `keyPath`'),
    ('config/value/write', '{"keyPath": "a"}', 'missing field `value`'),
    ('config/value/write', '{"keyPath": "a", "value": 1}', 'missing field `mergeStrategy`'),
    ('config/value/write', '{"keyPath": "a", "value": null}', 'missing field `mergeStrategy`'),
    ('config/value/write', '{"keyPath": "a", "value": 1, "mergeStrategy": "x"}', 'unknown variant `x`, expected `replace` or `upsert`'),
    ('config/value/write', '{"mergeStrategy": "replace"}', 'missing field `keyPath`'),
    ('configRequirements/read', '"x"', 'invalid type: string "x", expected unit'),
    ('execOneOffCommand', '{}', 'missing field `command`'),
    ('execOneOffCommand', '{"command": "ls"}', 'invalid type: string "ls", expected a sequence'),
    ('execOneOffCommand', '{"command": [], "timeoutMs": -1}', 'invalid value: integer `-1`, expected u64'),
    ('execOneOffCommand', '{"command": [], "sandboxPolicy": {"type": "x"}}', 'unknown variant `x`, expected one of `danger-full-access`, `read-only`, `external-sandbox`, `workspace-write`'),
    ('execOneOffCommand', '{"command": [], "sandboxPolicy": {"type": "workspace-write", "network_access": "x"}}', 'invalid type: string "x", expected a boolean'),
    ('execOneOffCommand', '{"command": [], "sandboxPolicy": {"type": "external-sandbox", "network_access": 5}}', 'invalid type: integer `5`, expected string or map'),
    ('execOneOffCommand', '{"command": [], "timeoutMs": 18446744073709551616}', 'invalid type: floating point `1.8446744073709552e19`, expected u64'),
    ('execOneOffCommand', '{"command": [], "timeoutMs": 18446744073709551615, "sandboxPolicy": 5}', 'invalid type: integer `5`, expected internally tagged enum SandboxPolicy'),
    ('feedback/upload', '{}', 'missing field `classification`'),
    ('feedback/upload', '{"classification": "x"}', 'missing field `includeLogs`'),
    ('feedback/upload', '{"includeLogs": true}', 'missing field `classification`'),
    ('feedback/upload', '{"classification": "x", "includeLogs": "y"}', 'invalid type: string "y", expected a boolean'),
    ('forkConversation', '{"conversationId": 5}', 'invalid type: integer `5`, expected a string'),
    ('fuzzyFileSearch', '{}', 'missing field `query`'),
    ('fuzzyFileSearch', '{"query": "x"}', 'missing field `roots`'),
    ('fuzzyFileSearch', '{"query": "x", "roots": "a"}', 'invalid type: string "a", expected a sequence'),
    ('fuzzyFileSearch', '{"roots": [], "query": 5}', 'invalid type: integer `5`, expected a string'),
    ('getAuthStatus', '{"includeToken": "x"}', 'invalid type: string "x", expected a boolean'),
    ('getAuthStatus', '[true, "x"]', 'invalid type: string "x", expected a boolean'),
    ('gitDiffToRemote', '{}', 'missing field `cwd`'),
    ('initialize', '{}', 'missing field `clientInfo`'),
    ('initialize', '{"clientInfo": 5}', 'invalid type: integer `5`, expected struct ClientInfo'),
    ('initialize', '{"clientInfo": {}}', 'missing field `name`'),
    ('initialize', '{"clientInfo": {"name": 5}}', 'invalid type: integer `5`, expected a string'),
    ('initialize', '{"clientInfo": {"version": "1"}}', 'missing field `name`'),
    ('initialize', '{"clientInfo": {"name": "x", "version": "1", "title": 5}}', 'invalid type: integer `5`, expected a string'),
    ('initialize', '{"clientInfo": []}', 'invalid length 0, expected struct ClientInfo with 3 elements'),
    ('initialize', '{"clientInfo": ["a"]}', 'invalid length 1, expected struct ClientInfo with 3 elements'),
    ('initialize', '{"clientInfo": ["a", "b"]}', 'invalid length 2, expected struct ClientInfo with 3 elements'),
    ('initialize', '{"clientInfo": ["a", "b", 5]}', 'invalid type: integer `5`, expected a string'),
    ('initialize', '{"clientInfo": ["a", "b", null, 7]}', 'invalid type: null, expected a string'),
    ('initialize', '[]', 'invalid length 0, expected struct InitializeParams with 1 element'),
    ('initialize', '"x"', 'invalid type: string "x", expected struct InitializeParams'),
    ('initialize', '{"clientInfo": {"name": "x"}}', 'missing field `version`'),
    ('interruptConversation', '{}', 'missing field `conversationId`'),
    ('interruptConversation', '{"conversationId": 5}', 'invalid type: integer `5`, expected a string'),
    ('listConversations', '{"cursor": 1}', 'invalid type: integer `1`, expected a string'),
    ('loginApiKey', '{}', 'missing field `apiKey`'),
    ('loginApiKey', '{"apiKey": null}', 'invalid type: null, expected a string'),
    ('mcpServer/oauth/login', '{}', 'missing field `name`'),
    ('mcpServer/oauth/login', '{"name": "x", "timeoutSecs": 1.5}', 'invalid type: floating point `1.5`, expected i64'),
    ('mcpServer/oauth/login', '{"name": "x", "scopes": "a"}', 'invalid type: string "a", expected a sequence'),
    ('mcpServer/oauth/login', '{"name": "x", "timeoutSecs": 9223372036854775808}', 'invalid value: integer `9223372036854775808`, expected i64'),
    ('mcpServerStatus/list', '{"cursor": 5}', 'invalid type: integer `5`, expected a string'),
    ('model/list', '{"limit": "x"}', 'invalid type: string "x", expected u32'),
    ('model/list', '{"limit": 4294967296}', 'invalid value: integer `4294967296`, expected u32'),
    ('newConversation', '{"sandbox": "read_only"}', 'unknown variant `read_only`, expected one of `read-only`, `workspace-write`, `danger-full-access`'),
    ('newConversation', '{"approvalPolicy": {"never": 1}}', 'invalid type: integer `1`, expected unit'),
    ('newConversation', '{"profile": false}', 'invalid type: boolean `false`, expected a string'),
    ('removeConversationListener', '{}', 'missing field `subscriptionId`'),
    ('resumeConversation', '{"history": 5}', 'invalid type: integer `5`, expected a sequence'),
    ('review/start', '{"threadId": "x"}', 'missing field `target`'),
    ('review/start', '{}', 'missing field `threadId`'),
    ('review/start', '{"threadId": "x", "target": {"type": "commit"}}', 'missing field `sha`'),
    ('review/start', '{"threadId": "x", "target": {"type": "commit", "title": 5}}', 'invalid type: integer `5`, expected a string'),
    ('review/start', '{"threadId": "x", "target": "x"}', 'invalid type: string "x", expected internally tagged enum ReviewTarget'),
    ('review/start', '{"threadId": "x", "target": {"type": "bogus"}}', 'unknown variant `bogus`, expected one of `uncommittedChanges`, `baseBranch`, `commit`, `custom`'),
    ('review/start', '{"threadId": "x", "delivery": "x"}', 'unknown variant `x`, expected `inline` or `detached`'),
    ('review/start', '{"delivery": null}', 'missing field `threadId`'),
    ('review/start', '{"threadId": "x", "target": {"type": "baseBranch"}}', 'missing field `branch`'),
    ('review/start', '{"threadId": "x", "target": {"type": "custom", "instructions": null}}', 'invalid type: null, expected a string'),
    ('review/start', '{"threadId": "x", "target": []}', 'missing field `type`'),
    ('review/start', '{"threadId": "x", "target": ["commit"]}', 'invalid length 0, expected struct variant ReviewTarget::Commit with 2 elements'),
    ('review/start', '{"threadId": "x", "target": ["uncommittedChanges", 1]}', 'invalid length 1, expected 0 elements in sequence'),
    ('sendUserMessage', '{}', 'missing field `conversationId`'),
    ('sendUserMessage', '{"conversationId": 5, "items": []}', 'invalid type: integer `5`, expected a string'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "text"}]}', 'missing field `data`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "text", "data": {}}]}', 'missing field `text`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"data": {}}]}', 'missing field `type`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "x", "data": {}}]}', 'unknown variant `x`, expected one of `text`, `image`, `localImage`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"data": {}, "type": "x"}]}', 'unknown variant `x`, expected one of `text`, `image`, `localImage`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"data": 5, "type": "x"}]}', 'unknown variant `x`, expected one of `text`, `image`, `localImage`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [5]}', 'invalid type: integer `5`, expected adjacently tagged enum InputItem'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": ["text"]}', 'invalid type: string "text", expected adjacently tagged enum InputItem'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "text", "data": 5}]}', 'invalid type: integer `5`, expected struct variant InputItem::Text'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"data": 5, "type": "text"}]}', 'invalid type: integer `5`, expected struct variant InputItem::Text'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": 5, "data": {}}]}', 'invalid type: integer `5`, expected string or map'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "text", "data": {}, "zz": 1}]}', 'missing field `text`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"zz": 1, "type": "text", "data": {}}]}', 'missing field `text`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [[]]}', 'invalid length 0, expected adjacently tagged enum InputItem'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [["text"]]}', 'invalid length 1, expected adjacently tagged enum InputItem'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [["text", {}]]}', 'missing field `text`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [["text", 5]]}', 'invalid type: integer `5`, expected struct variant InputItem::Text'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "text", "data": []}]}', 'invalid type: sequence, expected struct variant InputItem::Text'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "text", "data": {"text": 5}}]}', 'invalid type: integer `5`, expected a string'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "text", "data": null}]}', 'invalid type: null, expected struct variant InputItem::Text'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": null, "data": {}}]}', 'invalid type: null, expected string or map'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": 1, "data": {}}]}', 'invalid type: integer `1`, expected string or map'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "image", "data": {}}]}', 'missing field `image_url`'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "text", "data": {"text": "a", "text_elements": [{"byteRange": 5}]}}]}', 'invalid type: integer `5`, expected struct V1ByteRange'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [["text", {"text": "a"}, 5]]}', 'invalid length 3, expected 2 elements in sequence'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [[5, {}]]}', 'invalid value: integer `5`, expected variant index 0 <= i < 3'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": {"text": null}, "data": 5}]}', 'invalid type: integer `5`, expected struct variant InputItem::Text'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "text", "data": ["a", 5]}]}', 'invalid type: sequence, expected struct variant InputItem::Text'),
    ('sendUserMessage', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8"}', 'missing field `items`'),
    ('sendUserTurn', '{}', 'missing field `conversationId`'),
    ('sendUserTurn', '{"summary": "x"}', 'unknown variant `x`, expected one of `auto`, `concise`, `detailed`, `none`'),
    ('sendUserTurn', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": []}', 'missing field `cwd`'),
    ('sendUserTurn', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [], "cwd": "/", "approvalPolicy": "never", "sandboxPolicy": {"type": "read-only"}, "model": "m"}', 'missing field `summary`'),
    ('sendUserTurn', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [], "cwd": "/", "approvalPolicy": "never", "sandboxPolicy": {"type": "readOnly"}}', 'unknown variant `readOnly`, expected one of `danger-full-access`, `read-only`, `external-sandbox`, `workspace-write`'),
    ('sendUserTurn', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [], "cwd": "/", "approvalPolicy": "x"}', 'unknown variant `x`, expected one of `untrusted`, `on-failure`, `on-request`, `never`'),
    ('sendUserTurn', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [], "cwd": "/", "approvalPolicy": "never", "sandboxPolicy": {"type": "workspace-write", "network_access": 1}}', 'invalid type: integer `1`, expected a boolean'),
    ('setDefaultModel', '{"reasoningEffort": "x"}', 'unknown variant `x`, expected one of `none`, `minimal`, `low`, `medium`, `high`, `xhigh`'),
    ('setDefaultModel', '{"reasoningEffort": 5}', 'invalid type: integer `5`, expected string or map'),
    ('setDefaultModel', '{"model": null, "reasoningEffort": {"high": null, "low": null}}', 'invalid value: map, expected map with a single key'),
    ('skills/config/write', '{}', 'missing field `path`'),
    ('thread/archive', '{}', 'missing field `threadId`'),
    ('thread/fork', '{"threadId": "x", "sandbox": "x"}', 'unknown variant `x`, expected one of `read-only`, `workspace-write`, `danger-full-access`'),
    ('thread/fork', '{}', 'missing field `threadId`'),
    ('thread/fork', '{"threadId": "x", "config": {"a": 1}, "approvalPolicy": "never", "cwd": null, "model": 7}', 'invalid type: integer `7`, expected a string'),
    ('thread/list', '{"cursor": null, "limit": "a\\nb\\"c\\\\d\\te\\u00e9\\u0001\\u007f\\u200b\\ud83d\\ude00\\u00a0\\r\\u0000\'\\u0085\\u00ad\\u0301x\\ufeff"}', 'invalid type: string "a\\nb\\"c\\\\d\\teé\\u{1}\\u{7f}\\u{200b}😀\\u{a0}\\r\\0\'\\u{85}\\u{ad}\\u{301}x\\u{feff}", expected u32'),
    ('thread/list', '{"sortKey": 5}', 'invalid type: integer `5`, expected string or map'),
    ('thread/list', '{"sortKey": null, "limit": "x"}', 'invalid type: string "x", expected u32'),
    ('thread/list', '{"limit": 0.1}', 'invalid type: floating point `0.1`, expected u32'),
    ('thread/list', '{"limit": 123456.789}', 'invalid type: floating point `123456.789`, expected u32'),
    ('thread/list', '{"limit": 1e+16}', 'invalid type: floating point `1e16`, expected u32'),
    ('thread/list', '{"limit": 1000000000000000.0}', 'invalid type: floating point `1000000000000000.0`, expected u32'),
    ('thread/list', '{"limit": 1e-05}', 'invalid type: floating point `0.00001`, expected u32'),
    ('thread/list', '{"limit": 1.5e-05}', 'invalid type: floating point `0.000015`, expected u32'),
    ('thread/list', '{"limit": 1.234e-05}', 'invalid type: floating point `0.00001234`, expected u32'),
    ('thread/list', '{"limit": 1.2345678901234567e+19}', 'invalid type: floating point `1.2345678901234567e19`, expected u32'),
    ('thread/list', '{"limit": -0.0}', 'invalid type: floating point `-0.0`, expected u32'),
    ('thread/list', '{"limit": 5e-324}', 'invalid type: floating point `5e-324`, expected u32'),
    ('thread/list', '{"limit": 1.7976931348623157e+308}', 'invalid type: floating point `1.7976931348623157e308`, expected u32'),
    ('thread/list', '{"limit": 9007199254740992.0}', 'invalid type: floating point `9007199254740992.0`, expected u32'),
    ('thread/list', '{"limit": 1.2345678901234568e+17}', 'invalid type: floating point `1.2345678901234568e17`, expected u32'),
    ('thread/list', '{"limit": -1.5}', 'invalid type: floating point `-1.5`, expected u32'),
    ('thread/list', '{"limit": 0.5}', 'invalid type: floating point `0.5`, expected u32'),
    ('thread/list', '{"limit": 100.0}', 'invalid type: floating point `100.0`, expected u32'),
    ('thread/list', '{"limit": 1e+21}', 'invalid type: floating point `1e21`, expected u32'),
    ('thread/list', '{"limit": 1e+22}', 'invalid type: floating point `1e22`, expected u32'),
    ('thread/list', '{"limit": 0.000125}', 'invalid type: floating point `0.000125`, expected u32'),
    ('thread/list', '{"limit": "e\\u0301"}', 'invalid type: string "e\\u{301}", expected u32'),
    ('thread/list', '{"limit": "\\u09be\\u1b3b\\u0cc0\\u200d\\u2028\\ue000\\udb40\\udc20\\u0378\\u00ad\\u034f"}', 'invalid type: string "\\u{9be}\\u{1b3b}\\u{cc0}\\u{200d}\\u{2028}\\u{e000}\\u{e0020}\\u{378}\\u{ad}\\u{34f}", expected u32'),
    ('thread/list', '{"limit": 5, "limit2": 1, "archived": 3}', 'invalid type: integer `3`, expected a boolean'),
    ('thread/list', '{"limit": -1}', 'invalid value: integer `-1`, expected u32'),
    ('thread/list', '{"limit": 1.5}', 'invalid type: floating point `1.5`, expected u32'),
    ('thread/list', '{"limit": "2"}', 'invalid type: string "2", expected u32'),
    ('thread/list', '{"limit": ""}', 'invalid type: string "", expected u32'),
    ('thread/list', '{"cursor": ["a"], "limit": {"a": 1}}', 'invalid type: sequence, expected a string'),
    ('thread/list', '{"limit": "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f !\\"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\\u007f"}', 'invalid type: string "\\0\\u{1}\\u{2}\\u{3}\\u{4}\\u{5}\\u{6}\\u{7}\\u{8}\\t\\n\\u{b}\\u{c}\\r\\u{e}\\u{f}\\u{10}\\u{11}\\u{12}\\u{13}\\u{14}\\u{15}\\u{16}\\u{17}\\u{18}\\u{19}\\u{1a}\\u{1b}\\u{1c}\\u{1d}\\u{1e}\\u{1f} !\\"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\\u{7f}", expected u32'),
    ('thread/list', '{"limit": "caf\\u00e9 \\u65e5\\u672c \\ud83d\\ude00 \\u00a0\\u200b\\u0301 tab\\tq\'uote\\""}', 'invalid type: string "café 日本 😀 \\u{a0}\\u{200b}\\u{301} tab\\tq\'uote\\"", expected u32'),
    ('thread/list', '{"cursor": "x", "limit": "\\ud83e\\udee8 \\u2028 \\ufeff"}', 'invalid type: string "\U0001fae8 \\u{2028} \\u{feff}", expected u32'),
    ('thread/loaded/list', '{"limit": -5}', 'invalid value: integer `-5`, expected u32'),
    ('thread/loaded/list', '[null, "x"]', 'invalid type: string "x", expected u32'),
    ('thread/loaded/list', '["c", 1, 2]', 'invalid length 3, expected 2 elements in sequence'),
    ('thread/name/set', '{}', 'missing field `threadId`'),
    ('thread/name/set', '{"name": "n"}', 'missing field `threadId`'),
    ('thread/read', '{"zzz": 1}', 'missing field `threadId`'),
    ('thread/resume', '{"history": [{"type": "x"}]}', 'missing field `threadId`'),
    ('thread/resume', '{"history": [{"type": "reasoning"}]}', 'missing field `summary`'),
    ('thread/resume', '{"history": [{"type": "message"}]}', 'missing field `role`'),
    ('thread/resume', '{"history": [{"type": "message", "role": "user", "content": [{"type": "x"}]}]}', 'unknown variant `x`, expected one of `input_text`, `input_image`, `output_text`'),
    ('thread/resume', '{"history": [{"type": "function_call_output"}]}', 'missing field `call_id`'),
    ('thread/resume', '{"history": [{"type": "local_shell_call", "status": "x"}]}', 'unknown variant `x`, expected one of `completed`, `in_progress`, `incomplete`'),
    ('thread/resume', '{"history": [{"type": "local_shell_call", "status": "completed", "action": {"type": "exec"}}]}', 'missing field `command`'),
    ('thread/resume', '{}', 'missing field `threadId`'),
    ('thread/resume', '{"threadId": 5}', 'invalid type: integer `5`, expected a string'),
    ('thread/resume', '{"threadId": "x", "history": [{}]}', 'missing field `type`'),
    ('thread/resume', '{"history": [{"type": "other"}]}', 'missing field `threadId`'),
    ('thread/resume', '{"history": [{"type": "other", "x": 5}]}', 'missing field `threadId`'),
    ('thread/resume', '{"history": [{"type": "web_search_call", "action": {"type": "zzz"}}]}', 'missing field `threadId`'),
    ('thread/resume', '{"history": [{"type": "ghost_snapshot", "ghost_commit": {}}]}', 'missing field `id`'),
    ('thread/resume', '{"history": [{"type": "reasoning", "summary": []}]}', 'missing field `threadId`'),
    ('thread/resume', '{"history": [{"type": "reasoning", "id": "x"}]}', 'missing field `summary`'),
    ('thread/resume', '{"history": [{"type": "message", "role": "r", "content": [], "id": 5}]}', 'invalid type: integer `5`, expected a string'),
    ('thread/resume', '{"history": [{"type": "local_shell_call", "status": "completed", "action": {"type": "exec", "command": [], "env": {"a": 5}}}]}', 'invalid type: integer `5`, expected a string'),
    ('thread/resume', '{"history": [{"type": "local_shell_call", "status": "completed", "action": {"type": "exec", "command": [], "env": 5}}]}', 'invalid type: integer `5`, expected a map'),
    ('thread/resume', '{"history": [{"type": "local_shell_call", "status": "completed", "action": {"type": "exec", "command": [], "timeout_ms": -1}}]}', 'invalid value: integer `-1`, expected u64'),
    ('thread/resume', '{"history": [{"type": "local_shell_call", "status": "completed", "action": {"type": "zz"}}]}', 'unknown variant `zz`, expected `exec`'),
    ('thread/resume', '{"history": [{"type": "local_shell_call", "status": "completed", "action": "exec"}]}', 'invalid type: string "exec", expected internally tagged enum LocalShellAction'),
    ('thread/resume', '{"history": [{"type": "reasoning", "summary": [{"type": "x"}]}]}', 'unknown variant `x`, expected `summary_text`'),
    ('thread/resume', '{"history": [{"type": "reasoning", "summary": [{}]}]}', 'missing field `type`'),
    ('thread/resume', '{"history": [{"type": "local_shell_call", "status": "completed", "action": 5}]}', 'invalid type: integer `5`, expected internally tagged enum LocalShellAction'),
    ('thread/resume', '{"history": [{"type": "custom_tool_call"}]}', 'missing field `call_id`'),
    ('thread/resume', '{"history": [{"type": "function_call", "name": "n"}]}', 'missing field `arguments`'),
    ('thread/resume', '{"history": [{"type": "compaction"}]}', 'missing field `encrypted_content`'),
    ('thread/resume', '{"history": [{"type": "message", "role": "user", "content": [{"type": "input_text"}]}]}', 'missing field `text`'),
    ('thread/resume', '{"history": [{"type": "web_search_call", "action": 5}]}', 'invalid type: integer `5`, expected internally tagged enum WebSearchAction'),
    ('thread/resume', '{"history": [{"type": 11}]}', 'missing field `threadId`'),
    ('thread/resume', '{"history": [{"type": 10}]}', 'missing field `threadId`'),
    ('thread/resume', '{"history": [{"type": "web_search_call", "action": {"type": "search", "queries": "x"}}]}', 'invalid type: string "x", expected a sequence'),
    ('thread/resume', '{"history": [["message", "user"]]}', 'invalid length 1, expected struct variant ResponseItem::Message with 4 elements'),
    ('thread/rollback', '{"threadId": "x", "numTurns": 4294967296}', 'invalid value: integer `4294967296`, expected u32'),
    ('thread/start', '"not-an-object"', 'invalid type: string "not-an-object", expected struct ThreadStartParams'),
    ('thread/start', '[]', 'invalid length 0, expected struct ThreadStartParams with 12 elements'),
    ('thread/start', '[1]', 'invalid type: integer `1`, expected a string'),
    ('thread/start', '5', 'invalid type: integer `5`, expected struct ThreadStartParams'),
    ('thread/start', 'true', 'invalid type: boolean `true`, expected struct ThreadStartParams'),
    ('thread/start', '{"approvalPolicy": 5}', 'invalid type: integer `5`, expected string or map'),
    ('thread/start', '{"sandbox": 5}', 'invalid type: integer `5`, expected string or map'),
    ('thread/start', '{"sandbox": {"read-only": null}, "cwd": 5}', 'invalid type: integer `5`, expected a string'),
    ('thread/start', '{"sandbox": {"read-only": 1}}', 'invalid type: integer `1`, expected unit'),
    ('thread/start', '{"sandbox": {"read-only": null, "x": 1}}', 'invalid value: map, expected map with a single key'),
    ('thread/start', '{"sandbox": {}}', 'invalid value: map, expected map with a single key'),
    ('thread/start', '{"sandbox": {"bogus": null}}', 'unknown variant `bogus`, expected one of `read-only`, `workspace-write`, `danger-full-access`'),
    ('thread/start', '{"sandbox": "bogus"}', 'unknown variant `bogus`, expected one of `read-only`, `workspace-write`, `danger-full-access`'),
    ('thread/start', '{"personality": "x"}', 'unknown variant `x`, expected `friendly` or `pragmatic`'),
    ('thread/start', '{"cwd": 1.5}', 'invalid type: floating point `1.5`, expected a string'),
    ('thread/start', '{"cwd": 1000.0}', 'invalid type: floating point `1000.0`, expected a string'),
    ('thread/start', '{"cwd": 2.0}', 'invalid type: floating point `2.0`, expected a string'),
    ('thread/start', '{"cwd": 1e+300}', 'invalid type: floating point `1e300`, expected a string'),
    ('thread/start', '{"cwd": 1e-07}', 'invalid type: floating point `1e-7`, expected a string'),
    ('thread/start', '{"cwd": -3}', 'invalid type: integer `-3`, expected a string'),
    ('thread/start', '{"cwd": 18446744073709551616}', 'invalid type: floating point `1.8446744073709552e19`, expected a string'),
    ('thread/start', '{"cwd": 18446744073709551615}', 'invalid type: integer `18446744073709551615`, expected a string'),
    ('thread/start', '{"cwd": -9223372036854775808}', 'invalid type: integer `-9223372036854775808`, expected a string'),
    ('thread/start', '{"sandbox": "a\\nb`c"}', 'unknown variant `a\nb`c`, expected one of `read-only`, `workspace-write`, `danger-full-access`'),
    ('thread/start', '{"config": {"a": 1}, "dynamicTools": 5}', 'invalid type: integer `5`, expected a sequence'),
    ('thread/start', '{"cwd": 5, "model": 5}', 'invalid type: integer `5`, expected a string'),
    ('thread/start', '{"model": 5, "cwd": 5}', 'invalid type: integer `5`, expected a string'),
    ('thread/start', '{"dynamicTools": [{"name": "a", "description": "d", "inputSchema": null}], "cwd": 5}', 'invalid type: integer `5`, expected a string'),
    ('thread/start', '{"approvalPolicy": "bogus"}', 'unknown variant `bogus`, expected one of `untrusted`, `on-failure`, `on-request`, `never`'),
    ('thread/start', '{"sandbox": "workspaceWrite"}', 'unknown variant `workspaceWrite`, expected one of `read-only`, `workspace-write`, `danger-full-access`'),
    ('thread/unarchive', '{"threadId": null}', 'invalid type: null, expected a string'),
    ('turn/interrupt', '{"threadId": "x"}', 'missing field `turnId`'),
    ('turn/interrupt', '{}', 'missing field `threadId`'),
    ('turn/start', '{}', 'missing field `threadId`'),
    ('turn/start', '[]', 'invalid length 0, expected struct TurnStartParams with 11 elements'),
    ('turn/start', '{"input": 5, "threadId": 5}', 'invalid type: integer `5`, expected a sequence'),
    ('turn/start', '{"threadId": 5, "input": 5}', 'invalid type: integer `5`, expected a string'),
    ('turn/start', '{"threadId": "t", "input": [5]}', 'invalid type: integer `5`, expected internally tagged enum UserInput'),
    ('turn/start', '{"threadId": "t", "input": ["text"]}', 'invalid type: string "text", expected internally tagged enum UserInput'),
    ('turn/start', '{"threadId": "t", "input": [[]]}', 'missing field `type`'),
    ('turn/start', '{"threadId": "t", "input": [[5]]}', 'invalid value: integer `5`, expected variant index 0 <= i < 5'),
    ('turn/start', '{"threadId": "t", "input": [{"type": 5}]}', 'invalid value: integer `5`, expected variant index 0 <= i < 5'),
    ('turn/start', '{"threadId": "t", "input": [{"type": null}]}', 'invalid type: null, expected variant identifier'),
    ('turn/start', '{"threadId": "t", "input": [{"type": "text", "text": 5}]}', 'invalid type: integer `5`, expected a string'),
    ('turn/start', '{"threadId": "t", "input": [{"text": 5, "type": "text"}]}', 'invalid type: integer `5`, expected a string'),
    ('turn/start', '{"threadId": "t", "input": [{"text": 5}]}', 'missing field `type`'),
    ('turn/start', '{"threadId": "t", "input": [{"type": "text", "text": "a", "text_elements": [{}]}]}', 'missing field `byteRange`'),
    ('turn/start', '{"threadId": "t", "input": [{"type": "text", "text": "a", "text_elements": [{"byteRange": {}}]}]}', 'missing field `start`'),
    ('turn/start', '{"threadId": "t", "input": [{"type": "text", "text": "a", "text_elements": [{"byteRange": {"start": -1, "end": 1}}]}]}', 'invalid value: integer `-1`, expected usize'),
    ('turn/start', '{"threadId": "t", "input": [{"type": "text", "text": "a", "text_elements": null}]}', 'invalid type: null, expected a sequence'),
    ('turn/start', '{"threadId": "t", "input": [{"type": "skill"}]}', 'missing field `name`'),
    ('turn/start', '{"threadId": "t", "input": [{"type": "mention", "path": "p"}]}', 'missing field `name`'),
    ('turn/start', '{"threadId": "t", "input": [{"type": "image"}]}', 'missing field `url`'),
    ('turn/start', '{"threadId": "t", "input": [], "sandboxPolicy": "readOnly"}', 'invalid type: string "readOnly", expected internally tagged enum SandboxPolicy'),
    ('turn/start', '{"threadId": "t", "input": [], "sandboxPolicy": 5}', 'invalid type: integer `5`, expected internally tagged enum SandboxPolicy'),
    ('turn/start', '{"threadId": "t", "input": [], "sandboxPolicy": {}}', 'missing field `type`'),
    ('turn/start', '{"threadId": "t", "input": [], "sandboxPolicy": {"type": "read-only"}}', 'unknown variant `read-only`, expected one of `dangerFullAccess`, `readOnly`, `externalSandbox`, `workspaceWrite`'),
    ('turn/start', '{"threadId": "t", "input": [], "sandboxPolicy": {"type": "workspaceWrite", "networkAccess": null}}', 'invalid type: null, expected a boolean'),
    ('turn/start', '{"threadId": "t", "input": [], "sandboxPolicy": {"type": "externalSandbox", "networkAccess": "x"}}', 'unknown variant `x`, expected `restricted` or `enabled`'),
    ('turn/start', '{"threadId": "t", "input": [], "sandboxPolicy": {"type": "externalSandbox", "networkAccess": null}}', 'invalid type: null, expected string or map'),
    ('turn/start', '{"threadId": "t", "input": [], "effort": "x"}', 'unknown variant `x`, expected one of `none`, `minimal`, `low`, `medium`, `high`, `xhigh`'),
    ('turn/start', '{"threadId": "t", "input": [], "summary": "x"}', 'unknown variant `x`, expected one of `auto`, `concise`, `detailed`, `none`'),
    ('turn/start', '{"threadId": "t", "input": [], "summary": 5}', 'invalid type: integer `5`, expected string or map'),
    ('turn/start', '{"threadId": "t", "input": [], "collaborationMode": {}}', 'missing field `mode`'),
    ('turn/start', '{"threadId": "t", "input": [], "collaborationMode": {"mode": "x"}}', 'unknown variant `x`, expected one of `plan`, `code`, `pair_programming`, `execute`, `custom`'),
    ('turn/start', '{"threadId": "t", "input": [], "collaborationMode": {"mode": "plan"}}', 'missing field `settings`'),
    ('turn/start', '{"threadId": "t", "input": [], "collaborationMode": {"mode": "plan", "settings": {}}}', 'missing field `model`'),
    ('turn/start', '{"threadId": "t", "input": [], "collaborationMode": "plan"}', 'invalid type: string "plan", expected struct CollaborationMode'),
    ('turn/start', '{"threadId": "t", "input": [], "approvalPolicy": "x"}', 'unknown variant `x`, expected one of `untrusted`, `on-failure`, `on-request`, `never`'),
    ('turn/start', '{"threadId": "t", "input": [], "approvalPolicy": {"never": 5}}', 'invalid type: integer `5`, expected unit'),
    ('turn/start', '{"input": [["skill"]]}', 'invalid length 0, expected struct variant UserInput::Skill with 2 elements'),
    ('turn/start', '{"input": [["skill", "n"]]}', 'invalid length 1, expected struct variant UserInput::Skill with 2 elements'),
    ('turn/start', '{"input": [["skill", 5, "p"]]}', 'invalid type: integer `5`, expected a string'),
    ('turn/start', '{"input": [["image", "u", "extra"]]}', 'invalid length 2, expected 1 element in sequence'),
    ('turn/start', '{"input": [{"type": -1}]}', 'invalid type: integer `-1`, expected variant identifier'),
    ('turn/start', '{"input": [{"type": 1.5}]}', 'invalid type: floating point `1.5`, expected variant identifier'),
    ('turn/start', '{"input": [{"type": true}]}', 'invalid type: boolean `true`, expected variant identifier'),
    ('turn/start', '{"input": [{"type": []}]}', 'invalid type: sequence, expected variant identifier'),
    ('turn/start', '{"input": [{"type": {}}]}', 'invalid type: map, expected variant identifier'),
    ('turn/start', '{"input": [{"type": 1, "url": 5}]}', 'invalid type: integer `5`, expected a string'),
    ('turn/start', '{"input": [{"type": "text", "text": "a", "text_elements": [{"byteRange": [1]}]}]}', 'invalid length 1, expected struct ByteRange with 2 elements'),
    ('turn/start', '{"input": [{"type": "text", "text": "a", "text_elements": [{"byteRange": {"start": 1, "end": 2}, "placeholder": 5}]}]}', 'invalid type: integer `5`, expected a string'),
    ('turn/start', '{"input": [], "sandboxPolicy": {"type": "dangerFullAccess"}, "approvalPolicy": ["never"]}', 'invalid type: sequence, expected string or map'),
    ('turn/start', '{"input": [], "approvalPolicy": {"never": null, "x": null}}', 'invalid value: map, expected map with a single key'),
    ('turn/start', '{"input": [], "approvalPolicy": {"zzz": null}}', 'unknown variant `zzz`, expected one of `untrusted`, `on-failure`, `on-request`, `never`'),
    ('turn/start', '{"input": [], "approvalPolicy": true}', 'invalid type: boolean `true`, expected string or map'),
    ('turn/start', '{"input": [], "summary": {"none": 5}}', 'invalid type: integer `5`, expected unit'),
    ('turn/start', '{"input": [], "collaborationMode": {"mode": "plan", "settings": {"model": "m", "reasoning_effort": "x"}}}', 'unknown variant `x`, expected one of `none`, `minimal`, `low`, `medium`, `high`, `xhigh`'),
    ('turn/start', '{"input": [], "collaborationMode": ["plan"]}', 'invalid length 1, expected struct CollaborationMode with 2 elements'),
    ('turn/start', '{"input": [], "collaborationMode": ["plan", {"model": 5}]}', 'invalid type: integer `5`, expected a string'),
    ('turn/start', '{"input": [["text"]]}', 'invalid length 0, expected struct variant UserInput::Text with 2 elements'),
    ('turn/start', '{"input": [[0, "t"]], "threadId": 5}', 'invalid type: integer `5`, expected a string'),
    ('turn/start', '{"threadId": "x", "input": [{"type": "text"}]}', 'missing field `text`'),
    ('turn/start', '{"threadId": "x", "input": [{"type": "nope"}]}', 'unknown variant `nope`, expected one of `text`, `image`, `localImage`, `skill`, `mention`'),
    ('turn/start', '{"threadId": "x", "input": "s"}', 'invalid type: string "s", expected a sequence'),
    ('turn/start', '{"input": []}', 'missing field `threadId`'),
    ('turn/start', '{"outputSchema": {"x": [1, 2]}, "input": 5}', 'invalid type: integer `5`, expected a sequence'),
]

# Observed too, but decided by custom Deserialize impls the schema does not describe.
CUSTOM_DESERIALIZERS: list[tuple[str, str, str, str]] = [
    ('AbsolutePathBuf', 'execOneOffCommand', '{"command": [], "sandboxPolicy": {"type": "workspace-write", "writable_roots": ["rel"]}}', 'AbsolutePathBuf deserialized without a base path'),
    ('AbsolutePathBuf', 'turn/start', '{"threadId": "t", "input": [], "sandboxPolicy": {"type": "workspaceWrite", "writableRoots": ["rel"]}}', 'AbsolutePathBuf deserialized without a base path'),
    ('FunctionCallOutputPayload', 'thread/resume', '{"history": [{"type": "function_call_output", "call_id": "c", "output": 5}]}', 'data did not match any variant of untagged enum FunctionCallOutputPayloadSerde'),
    ('FunctionCallOutputPayload', 'thread/resume', '{"history": [{"type": "function_call_output", "call_id": "c", "output": {}}]}', 'data did not match any variant of untagged enum FunctionCallOutputPayloadSerde'),
    ('FunctionCallOutputPayload', 'thread/resume', '{"history": [{"type": "function_call_output", "call_id": "c", "output": [5]}]}', 'data did not match any variant of untagged enum FunctionCallOutputPayloadSerde'),
    ('FunctionCallOutputPayload', 'thread/resume', '{"history": [{"type": "function_call_output", "call_id": "c", "output": null}]}', 'data did not match any variant of untagged enum FunctionCallOutputPayloadSerde'),
    ('FunctionCallOutputPayload', 'thread/resume', '{"history": [{"type": "function_call_output", "call_id": "c", "output": []}]}', 'missing field `threadId`'),
    ('FunctionCallOutputPayload', 'thread/resume', '{"history": [{"type": "function_call_output", "call_id": "c", "output": "s"}]}', 'missing field `threadId`'),
    ('PathBuf', 'command/exec', '{"command": [], "cwd": 5}', 'invalid type: integer `5`, expected path string'),
    ('PathBuf', 'execOneOffCommand', '{"command": [], "cwd": 5}', 'invalid type: integer `5`, expected path string'),
    ('PathBuf', 'gitDiffToRemote', '{"cwd": 5}', 'invalid type: integer `5`, expected path string'),
    ('PathBuf', 'resumeConversation', '{"path": 5}', 'invalid type: integer `5`, expected path string'),
    ('PathBuf', 'sendUserTurn', '{"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8", "items": [{"type": "localImage", "data": {"path": 5}}]}', 'invalid type: integer `5`, expected path string'),
    ('PathBuf', 'skills/list', '{"cwds": [5]}', 'invalid type: integer `5`, expected path string'),
    ('PathBuf', 'thread/resume', '{"threadId": "x", "path": 5}', 'invalid type: integer `5`, expected path string'),
    ('PathBuf', 'turn/start', '{"threadId": "t", "input": [], "sandboxPolicy": {"type": "workspaceWrite", "writableRoots": [5]}}', 'invalid type: integer `5`, expected path string'),
    ('Uuid', 'archiveConversation', '{"conversationId": "x"}', 'invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `x` at 1'),
    ('Uuid', 'cancelLoginChatGpt', '{"loginId": 5}', 'invalid type: integer `5`, expected a UUID string'),
    ('Uuid', 'forkConversation', '{"conversationId": "nope"}', 'invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1'),
    ('Uuid', 'removeConversationListener', '{"subscriptionId": 5}', 'invalid type: integer `5`, expected a UUID string'),
    ('Uuid', 'sendUserMessage', '{"conversationId": "x"}', 'invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `x` at 1'),
    ('Uuid', 'sendUserMessage', '{"conversationId": "x", "items": [{"type": "text"}]}', 'invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `x` at 1'),
]
# fmt: on

# Accepted by the reference (it answered with a result, or with an error from the handler).
ACCEPTED: list[tuple[str, str]] = [
    ("turn/start", '{"threadId": "t", "input": [["text", "hello"]]}'),
    ("account/login/start", '["apiKey", "k"]'),
    ("account/read", "[]"),
    ("collaborationMode/list", "[]"),
    ("getConversationSummary", '{"rolloutPath": "x", "conversationId": 5}'),
]
# Well-formed by construction (not sent: valid params start real work on the reference).
CONSTRUCTED_VALID: list[tuple[str, Any]] = [
    ("initialize", {"clientInfo": {"name": "n", "title": None, "version": "1"}}),
    ("thread/start", {}),
    (
        "thread/start",
        {
            "model": None,
            "approvalPolicy": {"never": None},
            "sandbox": "read-only",
            "config": {"a": [1, {"b": None}]},
            "experimentalRawEvents": True,
            "dynamicTools": [{"name": "t", "description": "d", "inputSchema": None}],
        },
    ),
    (
        "turn/start",
        {
            "threadId": "t",
            "input": [
                {
                    "type": "text",
                    "text": "hi",
                    "text_elements": [{"byteRange": {"start": 0, "end": 2}}],
                },
                {"type": "image", "url": "u"},
                {"type": "localImage", "path": "p"},
                {"type": "skill", "name": "n", "path": "p"},
                {"path": "p", "type": 4, "name": "n"},
            ],
            "sandboxPolicy": {"type": "workspaceWrite", "networkAccess": True},
            "summary": "none",
            "effort": None,
            "outputSchema": [1, "anything"],
        },
    ),
    ("account/login/start", {"type": "chatgptAuthTokens", "idToken": "i", "accessToken": "a"}),
    ("account/login/start", {"type": "chatgpt", "apiKey": 5}),
    ("thread/list", {"limit": 4294967295, "sourceKinds": ["cli", "unknown"], "archived": None}),
    ("command/exec", {"command": ["ls"], "timeoutMs": -9223372036854775808}),
    ("review/start", {"threadId": "t", "target": {"type": "commit", "sha": "s"}, "delivery": None}),
    ("config/value/write", {"keyPath": "k", "value": None, "mergeStrategy": "upsert"}),
    (
        "thread/resume",
        {
            "threadId": "t",
            "history": [
                {"type": "other", "x": 1},
                {"type": 99},
                {"type": "web_search_call", "action": {"type": "?"}},
            ],
        },
    ),
    (
        "sendUserMessage",
        {
            "conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8",
            "items": [{"data": {"text": "t"}, "type": "text"}, ["image", {"image_url": "u"}]],
        },
    ),
    ("account/logout", None),
    ("getConversationSummary", {"conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8"}),
]


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [pytest.param(*row, id=f"{row[0]}-{i}") for i, row in enumerate(OBSERVED)],
)
def test_observed_message(root: dict[str, Any], method: str, params: str, expected: str) -> None:
    assert _check(root, method, params) == expected


def test_custom_deserializers_still_differ(root: dict[str, Any]) -> None:
    """PathBuf, Uuid, AbsolutePathBuf and FunctionCallOutputPayload look like plain schema types.

    Kept as a record of where we knowingly differ; a row that starts matching belongs in OBSERVED.
    """
    matching = [row for row in CUSTOM_DESERIALIZERS if _check(root, *row[1:3]) == row[3]]
    assert matching == []


@pytest.mark.parametrize(("method", "params"), ACCEPTED, ids=[row[0] for row in ACCEPTED])
def test_accepted_by_the_reference(root: dict[str, Any], method: str, params: str) -> None:
    assert _check(root, method, params) is None


@pytest.mark.parametrize(
    ("method", "params"), CONSTRUCTED_VALID, ids=[row[0] for row in CONSTRUCTED_VALID]
)
def test_valid_params(root: dict[str, Any], method: str, params: Any) -> None:
    assert first_error(params, _params_schemas(root)[method], root) is None


def test_field_order_decides_which_field_is_missing(root: dict[str, Any]) -> None:
    """serde reports the first missing field in declaration order, not the schema's sorted one."""
    schema = _params_schemas(root)["turn/start"]
    assert first_error({}, schema, root) == "missing field `threadId`"
    alphabetical = copy.deepcopy(root)
    props = alphabetical["definitions"]["v2"]["TurnStartParams"]["properties"]
    alphabetical["definitions"]["v2"]["TurnStartParams"]["properties"] = dict(sorted(props.items()))
    assert first_error({}, schema, alphabetical) == "missing field `input`"


@pytest.mark.xfail(reason="schemars sorts properties; the checked-in schema is not reordered yet")
def test_checked_in_schema_is_in_declaration_order(plain_root: dict[str, Any]) -> None:
    """What production validation reads must carry declaration order for `missing field`."""
    assert _looks_ordered(plain_root)


# --- describe_value and unknown_variant -------------------------------------------------------

# Code points around the Unicode version gap between Python 3.11 (14.0) and the reference's
# Rust, as the reference printed them (a sweep of every code point agreed with describe_value).
OBSERVED_CHARS = [
    ("\u1171e", "\u1171e"),  # Mn in Unicode 14, printed raw by the reference
    ("\U00016ff0", "\\u{16ff0}"),  # a spacing mark that is Grapheme_Extend in new Unicode
    ("\U0001fae8", "\U0001fae8"),  # 🫨, unassigned in Unicode 14
    ("\u0378", "\\u{378}"),  # still unassigned
    ("\u09be", "\\u{9be}"),  # Other_Grapheme_Extend
    ("\u1b3b", "\\u{1b3b}"),
    ("\ue000", "\\u{e000}"),  # private use
    ("\u00e9", "\u00e9"),
    ("'", "'"),
]


@pytest.mark.parametrize(("char", "shown"), OBSERVED_CHARS)
def test_describe_value_escapes_like_rust_debug(char: str, shown: str) -> None:
    assert describe_value(char) == f'string "{shown}"'


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "null"),
        (True, "boolean `true`"),
        (False, "boolean `false`"),
        (0, "integer `0`"),
        (2**64 - 1, "integer `18446744073709551615`"),
        (2**64, "floating point `1.8446744073709552e19`"),
        (-(2**63) - 1, "floating point `-9.223372036854776e18`"),
        (10**400, "floating point `inf`"),
        (2.0, "floating point `2.0`"),
        (1e16, "floating point `1e16`"),
        (1e15, "floating point `1000000000000000.0`"),
        (1e-5, "floating point `0.00001`"),
        (1e-7, "floating point `1e-7`"),
        (-0.0, "floating point `-0.0`"),
        (5e-324, "floating point `5e-324`"),
        ([], "sequence"),
        ({}, "map"),
    ],
)
def test_describe_value(value: Any, shown: str) -> None:
    assert describe_value(value) == shown


def test_unknown_variant_joins_like_serde() -> None:
    assert unknown_variant("x", []) == "unknown variant `x`, there are no variants"
    assert unknown_variant("x", ["a"]) == "unknown variant `x`, expected `a`"
    assert unknown_variant("x", ["a", "b"]) == "unknown variant `x`, expected `a` or `b`"
    assert unknown_variant("a\nb", ["a", "b", "c"]) == (
        "unknown variant `a\nb`, expected one of `a`, `b`, `c`"
    )


def test_module_is_stdlib_only() -> None:
    tree = ast.parse(Path(serde_errors.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    import sys

    assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names) | {
        "__future__"
    }


# --- properties -------------------------------------------------------------------------------


def _names(root: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Property names and tag values of the schema, so generated maps reach deep fields."""
    keys: set[str] = set()
    tags: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                keys.update(props)
            if isinstance(node.get("enum"), list):
                tags.update(v for v in node["enum"] if isinstance(v, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(root)
    return sorted(keys), sorted(tags)


def _json(keys: list[str], tags: list[str]) -> st.SearchStrategy[Any]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=8)
        | st.sampled_from(tags)
    )
    key = st.sampled_from(keys) | st.text(max_size=4)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=6),
        max_leaves=30,
    )


@pytest.fixture(scope="session")
def every_params_schema(plain_root: dict[str, Any]) -> Iterator[tuple[dict[str, Any], list[Any]]]:
    yield plain_root, list(_params_schemas(plain_root).values())


_KEYS_AND_TAGS = (
    _names(json.loads(CHECKED_IN.read_text(encoding="utf-8")))
    if CHECKED_IN.exists()
    else (["type"], ["text"])
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=_json(*_KEYS_AND_TAGS))
def test_first_error_never_crashes(
    every_params_schema: tuple[dict[str, Any], list[Any]], value: Any
) -> None:
    schema_root, schemas = every_params_schema
    for schema in schemas:
        result = first_error(value, schema, schema_root)
        assert result is None or (isinstance(result, str) and result)


@given(value=_json(["type"], ["text"]) | st.text())
def test_describe_value_never_crashes(value: Any) -> None:
    shown = describe_value(value)
    assert shown
    if isinstance(value, str):
        assert shown.startswith('string "') and shown.endswith('"')
        assert "\n" not in shown and "\r" not in shown


@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_round_trips(value: float) -> None:
    """Whatever layout is chosen, the digits shown are the shortest that read back the same."""
    text = describe_value(value).removeprefix("floating point `").removesuffix("`")
    assert float(text) == value and math.copysign(1, float(text)) == math.copysign(1, value)
