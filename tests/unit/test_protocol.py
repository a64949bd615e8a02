"""Generated protocol types, the method table, model access, schema export and the validator."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft7Validator
from pydantic import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from pycodex.protocol import export, methods, models
from tests.support.schema import validate_client_message, validate_server_message

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "CLIENT_REQUESTS": methods.CLIENT_REQUESTS,
    "SERVER_REQUESTS": methods.SERVER_REQUESTS,
    "SERVER_NOTIFICATIONS": methods.SERVER_NOTIFICATIONS,
    "CLIENT_NOTIFICATIONS": methods.CLIENT_NOTIFICATIONS,
}
ALL_REFS = sorted(
    {
        ref
        for table in TABLES.values()
        for m in table.values()
        for ref in (m.params, m.result)
        if ref
    }
)
THREAD_ID = "019bd7a2-5a1c-7d30-8f0e-3c1f2b9d4e61"
# A thread/start result as the 0.94 reference writes it (reference-behaviour.md (c)).
THREAD_START_RESULT: dict[str, Any] = {
    "thread": {
        "id": THREAD_ID,
        "preview": "",
        "modelProvider": "mock",
        "createdAt": 1769000000,
        "updatedAt": 1769000000,
        "path": f"/tmp/home/sessions/2026/01/21/rollout-2026-01-21T10-00-00-{THREAD_ID}.jsonl",
        "cwd": "/tmp/work",
        "cliVersion": "0.94.0",
        "source": "vscode",
        "gitInfo": {"sha": None, "branch": None, "originUrl": None},
        "turns": [],
    },
    "model": "gpt-5.2-codex",
    "modelProvider": "mock",
    "cwd": "/tmp/work",
    "approvalPolicy": "on-request",
    "sandbox": {"type": "readOnly"},
    "reasoningEffort": None,
}
TURN: dict[str, Any] = {"id": "0", "items": [], "status": "inProgress", "error": None}
_APPROVAL = "item/commandExecution/requestApproval"
VALID_PARAMS = {
    "initialize": {"clientInfo": {"name": "testclient", "title": "Test", "version": "0.1.0"}},
    "thread/start": {"cwd": "/tmp/work", "approvalPolicy": "never", "sandbox": "read-only"},
    "turn/start": {"threadId": THREAD_ID, "input": [{"type": "text", "text": "Say hello."}]},
    "account/login/start": {"type": "apiKey", "apiKey": "sk-test"},
}


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_installed() -> bool:
    try:
        return bool(_load_script("reference").native_binary().exists())
    except RuntimeError:  # no reference build for this platform
        return False


needs_reference = pytest.mark.skipif(
    not _reference_installed(), reason="reference codex 0.94.0 is not installed"
)


# --- the method table ----------------------------------------------------------------------


def test_table_sizes_and_order() -> None:
    sizes = {name: len(table) for name, table in TABLES.items()}
    assert sizes == {
        "CLIENT_REQUESTS": 56,
        "SERVER_REQUESTS": 7,
        "SERVER_NOTIFICATIONS": 31,
        "CLIENT_NOTIFICATIONS": 1,
    }
    assert list(methods.CLIENT_REQUESTS)[:2] == ["initialize", "thread/start"]
    assert list(methods.CLIENT_REQUESTS)[-1] == "execOneOffCommand"
    assert methods.CLIENT_NOTIFICATIONS["initialized"] == methods.Method("initialized", None, None)
    for table in TABLES.values():
        assert all(key == entry.name for key, entry in table.items())


def test_requests_all_have_results_and_notifications_none() -> None:
    for table in (methods.CLIENT_REQUESTS, methods.SERVER_REQUESTS):
        assert all(entry.result for entry in table.values())
    for table in (methods.SERVER_NOTIFICATIONS, methods.CLIENT_NOTIFICATIONS):
        assert all(entry.result is None for entry in table.values())


def test_paramless_methods_and_overrides() -> None:
    paramless = {name for name, m in methods.CLIENT_REQUESTS.items() if m.params is None}
    assert paramless == {
        "config/mcpServer/reload",
        "account/logout",
        "account/rateLimits/read",
        "configRequirements/read",
        "loginChatGpt",
        "logoutChatGpt",
        "getUserSavedConfig",
        "getUserAgent",
        "userInfo",
    }
    table = methods.CLIENT_REQUESTS
    assert table["account/logout"].result == "v2.LogoutAccountResponse"
    assert table["config/value/write"].result == "v2.ConfigWriteResponse"
    assert table["config/batchWrite"].result == "v2.ConfigWriteResponse"
    assert table["account/read"] == methods.Method(
        "account/read", "v2.GetAccountParams", "v2.GetAccountResponse"
    )
    assert table["addConversationListener"].result == "AddConversationSubscriptionResponse"
    assert methods.SERVER_REQUESTS["item/commandExecution/requestApproval"].result == (
        "CommandExecutionRequestApprovalResponse"
    )


@pytest.mark.parametrize("ref", ALL_REFS)
def test_every_ref_resolves(ref: str) -> None:
    assert models.adapter(ref) is models.adapter(ref)  # cached
    assert models.model(ref) is not None


@pytest.mark.parametrize("ref", ["Nope", "v2.Nope", "os.path", "v3.Thread", "v2."])
def test_unknown_ref_is_a_key_error(ref: str) -> None:
    with pytest.raises(KeyError):
        models.model(ref)


# --- models --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(VALID_PARAMS))
def test_sample_params_validate(method: str) -> None:
    params_ref = methods.CLIENT_REQUESTS[method].params
    assert params_ref is not None
    parsed = models.adapter(params_ref).validate_python(VALID_PARAMS[method])
    assert _contains(models.dump(parsed), VALID_PARAMS[method])


def _contains(dumped: Any, given: Any) -> bool:
    """dumped carries everything given (plus defaults such as `text_elements: []`)."""
    if isinstance(given, dict):
        return isinstance(dumped, dict) and all(
            key in dumped and _contains(dumped[key], value) for key, value in given.items()
        )
    if isinstance(given, list):
        return (
            isinstance(dumped, list)
            and len(dumped) == len(given)
            and all(map(_contains, dumped, given))
        )
    return bool(dumped == given)


def test_union_params_pick_the_variant() -> None:
    turn = models.adapter("v2.TurnStartParams").validate_python(VALID_PARAMS["turn/start"])
    assert type(turn.input[0]).__name__ == "UserInputText"
    login = models.adapter("v2.LoginAccountParams").validate_python({"type": "chatgpt"})
    assert models.dump(login) == {"type": "chatgpt"}


@pytest.mark.parametrize(
    ("ref", "params"),
    [
        ("v2.TurnStartParams", {"threadId": THREAD_ID}),
        ("v2.TurnStartParams", {"threadId": THREAD_ID, "input": [{"type": "bogus"}]}),
        ("v2.LoginAccountParams", {"type": "bogus"}),
        ("v2.LoginAccountParams", {"type": "apiKey"}),
        ("v2.ThreadStartParams", {"approvalPolicy": "sometimes"}),
        ("InitializeParams", {}),
    ],
)
def test_bad_params_are_rejected(ref: str, params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        models.adapter(ref).validate_python(params)


def test_thread_start_result_round_trips_with_nulls() -> None:
    result = models.adapter("v2.ThreadStartResponse").validate_python(THREAD_START_RESULT)
    dumped = models.dump(result)
    assert dumped == THREAD_START_RESULT
    assert dumped["reasoningEffort"] is None
    assert dumped["thread"]["gitInfo"] == {"sha": None, "branch": None, "originUrl": None}
    assert dumped == result.model_dump(mode="json", by_alias=True)
    validate_server_message({"id": 7, "result": dumped}, {7: "thread/start"})


def test_dump_handles_containers_and_notifications() -> None:
    note = models.adapter("v2.TurnStartedNotification").validate_python(
        {"threadId": THREAD_ID, "turn": TURN}
    )
    assert models.dump({"turn": [note]}) == {"turn": [{"threadId": THREAD_ID, "turn": TURN}]}


def test_import_methods_and_models_does_not_import_pydantic() -> None:
    code = (
        "import sys, pycodex.protocol.methods, pycodex.protocol.models\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'pydantic_core') or m.startswith('pycodex.protocol._generated')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_load_all_imports_both_modules() -> None:
    models.load_all()
    assert {"pycodex.protocol._generated", "pycodex.protocol._generated.v2"} <= set(sys.modules)


# --- the schema validator (tests/support/schema.py) ----------------------------------------

GOOD_SERVER_MESSAGES: list[tuple[dict[str, Any], dict[Any, str] | None]] = [
    ({"method": "thread/started", "params": {"thread": THREAD_START_RESULT["thread"]}}, None),
    ({"method": "turn/started", "params": {"threadId": THREAD_ID, "turn": TURN}}, None),
    (
        {
            "method": "item/agentMessage/delta",
            "params": {"threadId": THREAD_ID, "turnId": "0", "itemId": "msg_1", "delta": "Hi"},
        },
        None,
    ),
    ({"method": "account/updated", "params": {"authMode": None}}, None),
    ({"id": 2, "result": {"userAgent": "testclient/0.94.0"}}, {2: "initialize"}),
    ({"id": "a", "result": {"account": None, "requiresOpenaiAuth": True}}, {"a": "account/read"}),
    ({"id": 7, "result": {}}, {7: "account/logout"}),
    ({"id": 9, "result": {"anything": 1}}, None),
    ({"id": 1, "error": {"code": -32600, "message": "Not initialized"}}, None),
    (
        {
            "id": 0,
            "method": "account/chatgptAuthTokens/refresh",
            "params": {"reason": "unauthorized", "previousAccountId": None},
        },
        None,
    ),
]


@pytest.mark.parametrize(("message", "ids"), GOOD_SERVER_MESSAGES)
def test_validator_accepts_valid_server_messages(
    message: dict[str, Any], ids: dict[Any, str] | None
) -> None:
    validate_server_message(message, ids)


def test_validator_follows_the_schema_on_jsonrpc_member() -> None:
    # The 0.94 envelopes do not set additionalProperties, so the schema allows "jsonrpc".
    validate_server_message({"jsonrpc": "2.0", "id": 1, "result": {}})


BAD_SERVER_MESSAGES: list[tuple[dict[str, Any] | Any, dict[Any, str] | None, str]] = [
    (
        {"method": "codex/event/task_started", "params": {"id": "0", "msg": {}}},
        None,
        "not in the 0.94 schema",
    ),
    ({"method": "turn/started", "params": {"threadId": 5, "turn": TURN}}, None, "threadId"),
    ({"method": "turn/started", "params": {"threadId": THREAD_ID}}, None, "turn"),
    (
        {
            "method": "turn/started",
            "params": {"threadId": THREAD_ID, "turn": {**TURN, "status": "x"}},
        },
        None,
        "status",
    ),
    ({"method": "turn/started"}, None, "params"),
    ({"id": 1, "method": "item/tool/call", "params": {}}, None, "ServerRequest"),
    ({"id": 1, "method": "thread/started", "params": {}}, None, "not in the 0.94 schema"),
    ({"id": 2, "result": {}}, {2: "initialize"}, "userAgent"),
    ({"id": 3, "result": {"account": None}}, {3: "account/read"}, "requiresOpenaiAuth"),
    ({"id": 1.5, "result": {}}, None, "id"),
    ({"id": 1, "error": {"code": "bad", "message": "m"}}, None, "code"),
    ({"id": 1, "error": {"code": -32600}}, None, "message"),
    ({"id": 1}, None, "neither"),
    (["batch"], None, "JSON object"),
]


@pytest.mark.parametrize(("message", "ids", "needle"), BAD_SERVER_MESSAGES)
def test_validator_rejects_invalid_server_messages(
    message: Any, ids: dict[Any, str] | None, needle: str
) -> None:
    with pytest.raises(AssertionError, match=needle):
        validate_server_message(message, ids)


def test_thread_start_result_with_a_wrong_field_is_rejected() -> None:
    broken = copy.deepcopy(THREAD_START_RESULT)
    broken["sandbox"] = {"type": "sandboxed"}
    with pytest.raises(AssertionError, match="sandbox"):
        validate_server_message({"id": 1, "result": broken}, {1: "thread/start"})
    del broken["sandbox"]
    with pytest.raises(AssertionError, match="sandbox"):
        validate_server_message({"id": 1, "result": broken}, {1: "thread/start"})


def test_validator_checks_client_messages_too() -> None:
    validate_client_message({"id": 1, "method": "initialize", "params": VALID_PARAMS["initialize"]})
    validate_client_message({"method": "initialized"})
    validate_client_message({"id": 1, "method": "account/logout"})
    validate_client_message({"id": 0, "result": {"decision": "accept"}}, {0: _APPROVAL})
    with pytest.raises(AssertionError, match="decision"):
        validate_client_message({"id": 0, "result": {"decision": "maybe"}}, {0: _APPROVAL})
    with pytest.raises(AssertionError, match=r"not in the 0\.94 schema"):
        validate_client_message({"id": 1, "method": "thread/nope", "params": {}})


# --- schema export -------------------------------------------------------------------------

UNION_FILES = {
    "ClientRequest.json": methods.CLIENT_REQUESTS,
    "ServerRequest.json": methods.SERVER_REQUESTS,
    "ServerNotification.json": methods.SERVER_NOTIFICATIONS,
    "ClientNotification.json": methods.CLIENT_NOTIFICATIONS,
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("schema")
    paths = export.write_schema(out)
    assert {path.name for path in paths} == {export.BUNDLE, *UNION_FILES}
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in paths}


def _methods_in(union: dict[str, Any]) -> list[str]:
    return [variant["properties"]["method"]["enum"][0] for variant in union["oneOf"]]


def test_exported_files_are_draft7_schemas(exported: dict[str, dict[str, Any]]) -> None:
    for document in exported.values():
        Draft7Validator.check_schema(document)
        assert document["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_exported_files_contain_every_method(exported: dict[str, dict[str, Any]]) -> None:
    bundle_defs = exported[export.BUNDLE]["definitions"]
    for name, table in UNION_FILES.items():
        assert _methods_in(exported[name]) == list(table)
        assert _methods_in(bundle_defs[name.removesuffix(".json")]) == list(table)
    for entry in methods.CLIENT_REQUESTS.values():
        assert entry.result is not None
        namespace, _, type_name = entry.result.rpartition(".")
        assert type_name in (bundle_defs["v2"] if namespace else bundle_defs)


def test_exported_names_match_upstream_layout(exported: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(exported[export.BUNDLE])
    assert "pycodex__" not in text  # pydantic's module-qualified fallback names
    assert '"#/definitions/v2.' not in text
    definitions = exported[export.BUNDLE]["definitions"]
    assert {"SandboxPolicy", "RequestId", "JSONRPCError"} <= set(definitions)
    assert {"SandboxPolicy", "ThreadStartResponse", "ThreadItem"} <= set(definitions["v2"])


def _exported_validator(document: dict[str, Any], pointer: str = "") -> Draft7Validator:
    registry: Registry[Any] = Registry().with_resource(
        "urn:export", Resource.from_contents(document, default_specification=DRAFT7)
    )
    return Draft7Validator({"$ref": f"urn:export#{pointer}"}, registry=registry)


def test_exported_schema_describes_real_traffic(exported: dict[str, dict[str, Any]]) -> None:
    requests = _exported_validator(exported["ClientRequest.json"])
    for request_id, (method, params) in enumerate(VALID_PARAMS.items()):
        requests.validate({"id": request_id, "method": method, "params": params})
    requests.validate({"id": "x", "method": "account/logout"})
    assert not requests.is_valid({"id": 1, "method": "codex/nope", "params": {}})
    assert not requests.is_valid({"id": 1, "method": "turn/start", "params": {"threadId": "t"}})

    notes = _exported_validator(exported["ServerNotification.json"])
    notes.validate({"method": "turn/started", "params": {"threadId": THREAD_ID, "turn": TURN}})
    assert not notes.is_valid({"method": "turn/started", "params": {"threadId": THREAD_ID}})

    result = _exported_validator(exported[export.BUNDLE], "/definitions/v2/ThreadStartResponse")
    result.validate(THREAD_START_RESULT)
    _exported_validator(exported["ClientNotification.json"]).validate({"method": "initialized"})


# --- the generator -------------------------------------------------------------------------


def test_strip_descriptions_keeps_properties_named_description() -> None:
    gen = _load_script("gen_protocol")
    schema = {
        "description": "prose",
        "definitions": {
            "Tool": {
                "description": "prose",
                "properties": {"description": {"type": "string", "description": "prose"}},
                "default": {"description": "data"},
            },
            "v2": {"X": {"description": "prose", "enum": ["description"]}},
        },
    }
    assert gen.strip_descriptions(schema) == {
        "definitions": {
            "Tool": {
                "properties": {"description": {"type": "string"}},
                "default": {"description": "data"},
            },
            "v2": {"X": {"enum": ["description"]}},
        },
    }


def test_checked_in_schema_has_no_upstream_prose() -> None:
    text = (ROOT / "src/pycodex/protocol/schema/codex_app_server_protocol.schemas.json").read_text()
    assert '"description": "' not in text


@needs_reference
def test_generator_check_passes_on_checked_in_output() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/gen_protocol.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout + done.stderr
