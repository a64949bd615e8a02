"""Config layering and the warnings a broken config.toml produces (real files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.loader import parse_override_value, value_position
from pycodex.config.model import DEFAULT_MODEL, load


def write(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load(home=tmp_path)
    assert config.warnings == []
    assert (config.model, config.approval_policy, config.sandbox_mode) == (
        DEFAULT_MODEL,
        "on-request",
        "read-only",
    )
    assert config.provider.id == "openai"
    assert config.provider.requires_openai_auth is True


def test_layers_defaults_file_profile_cli_request(tmp_path: Path) -> None:
    write(
        tmp_path,
        'model = "file"\nmodel_reasoning_effort = "low"\nprofile = "p"\n'
        '[profiles.p]\nmodel = "profile"\n[profiles.q]\nmodel = "q"\n',
    )
    assert load(home=tmp_path).model == "profile"
    assert load(home=tmp_path).model_reasoning_effort == "low"
    assert load([("model", '"cli"')], home=tmp_path).model == "cli"
    assert load([("profile", "q")], home=tmp_path).model == "q"
    assert load([("model", '"cli"')], {"model": "request"}, home=tmp_path).model == "request"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('"quoted"', "quoted"),
        ("bare words", "bare words"),
        ("3", 3),
        ("true", True),
        ("[1, 2]", [1, 2]),
        ("{a = 1}", {"a": 1}),
    ],
)
def test_override_values_are_toml_else_text(raw: str, value: object) -> None:
    assert parse_override_value(raw) == value


def test_dotted_override_builds_tables(tmp_path: Path) -> None:
    config = load([("features.web_search", "true"), ("pycodex.login_port", "0")], home=tmp_path)
    assert config.raw["features"] == {"web_search": True}
    assert config.pycodex("login_port", 1455) == 0
    assert config.pycodex("auth_issuer", "d") == "d"


def test_invalid_enum_falls_back_to_defaults_with_its_position(tmp_path: Path) -> None:
    path = write(tmp_path, '# comment\nmodel = "kept?"\napproval_policy = "bogus"\n')
    config = load(home=tmp_path)
    assert config.model == DEFAULT_MODEL  # the whole file is replaced by defaults
    [warning] = config.warnings
    assert warning.to_wire() == {
        "summary": "Invalid configuration; using defaults.",
        "details": f"{path}:3:19: unknown variant `bogus`, expected one of `untrusted`, "
        "`on-failure`, `on-request`, `never`",
        "path": str(path),
        "range": {"start": {"line": 3, "column": 19}, "end": {"line": 3, "column": 25}},
    }


def test_unparsable_file_warns_with_position(tmp_path: Path) -> None:
    path = write(tmp_path, 'model = "x"\n[broken\n')
    [warning] = load([("model", '"cli"')], home=tmp_path).warnings
    wire = warning.to_wire()
    assert wire["details"].startswith(f"{path}:2:8: ")
    assert wire["range"] == {"start": {"line": 2, "column": 8}, "end": {"line": 2, "column": 8}}
    # -c overrides still apply on top of the defaults.
    assert load([("model", '"cli"')], home=tmp_path).model == "cli"


def test_custom_provider_and_builtin_ids(tmp_path: Path) -> None:
    write(
        tmp_path,
        'model_provider = "mock"\n[model_providers.mock]\nbase_url = "http://127.0.0.1:9/v1"\n'
        'request_max_retries = 0\n[model_providers.openai]\nbase_url = "http://evil"\n',
    )
    config = load(home=tmp_path)
    assert config.provider.id == "mock"
    assert config.provider.requires_openai_auth is False
    assert config.provider.request_max_retries == 0
    # Built-in ids cannot be redefined, as in the reference.
    assert config.providers()["openai"].base_url != "http://evil"


def test_value_position_stops_at_first_table() -> None:
    text = 'a = 1\nkey = "v"  # c\n[t]\nother = 2\n'
    assert value_position(text, "key") == (2, 7, 9)
    assert value_position(text, "other") is None
