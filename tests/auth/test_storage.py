"""Credential stores against real files: layout, 0600, atomic replace, keyring, memory store."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pycodex.auth import storage
from pycodex.auth.credentials import resolve_auth
from pycodex.auth.storage import (
    AuthDotJson,
    AuthStorageError,
    EphemeralAuthStore,
    FileAuthStore,
    create_store,
    parse_timestamp,
    store_key,
)
from pycodex.auth.tokens import TokenData, parse_id_token
from tests.kit.fake_backend import make_id_token

ID_TOKEN = make_id_token()


def tokens(access: str = "at", refresh: str = "rt", account: str | None = "ws-1") -> TokenData:
    return TokenData(parse_id_token(ID_TOKEN), access, refresh, account)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_api_key_layout_is_exactly_the_reference(home: Path) -> None:
    FileAuthStore(home).save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-test"))
    path = home / "auth.json"
    assert path.read_text() == '{\n  "auth_mode": "apikey",\n  "OPENAI_API_KEY": "sk-test"\n}'
    assert mode_of(path) == 0o600


def test_chatgpt_layout_round_trips_a_reference_file(home: Path) -> None:
    written_by_codex = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": ID_TOKEN,
            "access_token": "at",
            "refresh_token": "rt",
            "account_id": "ws-1",
        },
        "last_refresh": "2026-01-02T03:04:05.123456789Z",
    }
    (home / "auth.json").write_text(json.dumps(written_by_codex, indent=2))
    store = FileAuthStore(home)
    doc = store.load()
    assert doc is not None and doc.tokens is not None
    assert doc.tokens.id_token.email == "user@example.com"
    assert doc.last_refresh == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    store.save(doc)
    again = json.loads((home / "auth.json").read_text())
    assert list(again) == ["auth_mode", "OPENAI_API_KEY", "tokens", "last_refresh"]
    assert again["tokens"] == written_by_codex["tokens"]
    assert again["last_refresh"] == "2026-01-02T03:04:05.123456000Z"


def test_legacy_file_with_key_and_tokens_resolves_to_api_key(home: Path) -> None:
    doc = AuthDotJson(openai_api_key="sk-old", tokens=tokens(), last_refresh=datetime.now(UTC))
    FileAuthStore(home).save(doc)
    loaded = FileAuthStore(home).load()
    assert loaded is not None and loaded.auth_mode is None
    auth = resolve_auth(loaded)
    assert auth is not None and auth.mode == "apikey" and auth.bearer_token == "sk-old"


def test_tokens_without_last_refresh_are_not_available(home: Path) -> None:
    auth = resolve_auth(AuthDotJson(auth_mode="chatgpt", tokens=tokens()))
    assert auth is not None and auth.tokens is None and auth.bearer_token is None


@pytest.mark.parametrize(
    "doc",
    [
        "[]",
        "{}",
        '{"OPENAI_API_KEY": 3}',
        '{"OPENAI_API_KEY": null, "tokens": {"id_token": "bad", "access_token": "a",'
        ' "refresh_token": "r"}}',
        '{"OPENAI_API_KEY": null, "last_refresh": "yesterday"}',
        "not json",
    ],
)
def test_malformed_files_fail_to_load(home: Path, doc: str) -> None:
    (home / "auth.json").write_text(doc)
    with pytest.raises(AuthStorageError):
        FileAuthStore(home).load()


def test_timestamps_accept_any_fraction_and_offsets() -> None:
    assert parse_timestamp("2026-01-02T03:04:05Z").microsecond == 0
    assert parse_timestamp("2026-01-02T03:04:05.5+01:00").hour == 2


def test_file_is_0600_even_with_umask_zero(home: Path) -> None:
    old = os.umask(0)
    try:
        FileAuthStore(home).save(AuthDotJson(auth_mode="apikey", openai_api_key="k"))
    finally:
        os.umask(old)
    assert mode_of(home / "auth.json") == 0o600


def test_temp_file_is_0600_before_it_holds_data(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_fdopen = os.fdopen

    def spy(fd: int, *args: Any, **kwargs: Any) -> Any:
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", spy)
    old = os.umask(0)
    try:
        FileAuthStore(home).save(AuthDotJson(auth_mode="apikey", openai_api_key="k"))
    finally:
        os.umask(old)
    assert seen == [0o600]


def test_crash_mid_write_leaves_the_old_file_intact(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileAuthStore(home)
    store.save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-old"))
    before = (home / "auth.json").read_bytes()

    def crash(fd: int) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(AuthStorageError, match="I/O error"):
        store.save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-new"))
    assert (home / "auth.json").read_bytes() == before
    assert sorted(p.name for p in home.iterdir()) == ["auth.json"]  # no temp file left behind


def test_crash_before_rename_leaves_the_old_file_intact(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileAuthStore(home)
    store.save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-old"))

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(AuthStorageError):
        store.save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-new"))
    loaded = store.load()
    assert loaded is not None and loaded.openai_api_key == "sk-old"
    assert sorted(p.name for p in home.iterdir()) == ["auth.json"]


def test_delete_removes_the_file(home: Path) -> None:
    store = FileAuthStore(home)
    store.save(AuthDotJson(auth_mode="apikey", openai_api_key="k"))
    assert store.delete() is True
    assert not (home / "auth.json").exists()
    assert store.delete() is False


def test_store_key_is_cli_and_16_hex(home: Path) -> None:
    key = store_key(home)
    assert key.startswith("cli|") and len(key) == 20
    int(key[4:], 16)


def test_ephemeral_store_never_touches_disk(home: Path) -> None:
    store = create_store(home, "ephemeral")
    store.save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-mem"))
    loaded = store.load()
    assert loaded is not None and loaded.openai_api_key == "sk-mem"
    assert list(home.iterdir()) == []
    assert EphemeralAuthStore(home).delete() is True
    assert store.load() is None


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # import fails
    monkeypatch.setattr(storage, "_warned_fallback", False)


@pytest.mark.parametrize("mode", ["keyring", "auto"])
def test_missing_keyring_falls_back_to_file_with_one_warning(
    home: Path, mode: Any, no_keyring: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pycodex.auth.storage")
    store = create_store(home, mode)
    store.save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-file"))
    assert json.loads((home / "auth.json").read_text())["OPENAI_API_KEY"] == "sk-file"
    loaded = store.load()
    assert loaded is not None and loaded.openai_api_key == "sk-file"
    assert store.delete() is True
    warnings = [r for r in caplog.records if "keyring unavailable" in r.getMessage()]
    assert len(warnings) == 1


class FakeKeyring:
    """Stands in for the `keyring` package (module-level functions + get_keyring)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.entries: dict[tuple[str, str], str] = {}
        self.fail = fail

    def module(self) -> types.ModuleType:
        mod = types.ModuleType("keyring")
        backends = types.ModuleType("keyring.backends")
        fail_mod = types.ModuleType("keyring.backends.fail")

        class FailKeyring:
            pass

        fail_mod.Keyring = FailKeyring  # type: ignore[attr-defined]
        backends.fail = fail_mod  # type: ignore[attr-defined]
        mod.backends = backends  # type: ignore[attr-defined]
        mod.get_keyring = lambda: object()  # type: ignore[attr-defined]
        mod.get_password = self.get_password  # type: ignore[attr-defined]
        mod.set_password = self.set_password  # type: ignore[attr-defined]
        mod.delete_password = self.delete_password  # type: ignore[attr-defined]
        return mod

    def _check(self) -> None:
        if self.fail:
            raise RuntimeError("Platform secure storage failure: no secret service")

    def get_password(self, service: str, account: str) -> str | None:
        self._check()
        return self.entries.get((service, account))

    def set_password(self, service: str, account: str, value: str) -> None:
        self._check()
        self.entries[(service, account)] = value

    def delete_password(self, service: str, account: str) -> None:
        self._check()
        del self.entries[(service, account)]


def install_keyring(monkeypatch: pytest.MonkeyPatch, fake: FakeKeyring) -> None:
    mod = fake.module()
    monkeypatch.setitem(sys.modules, "keyring", mod)
    monkeypatch.setitem(sys.modules, "keyring.backends", mod.backends)
    monkeypatch.setitem(sys.modules, "keyring.backends.fail", mod.backends.fail)
    monkeypatch.setattr(storage, "_warned_fallback", False)


def test_keyring_store_writes_compact_json_and_removes_auth_json(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeKeyring()
    install_keyring(monkeypatch, fake)
    FileAuthStore(home).save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-stale"))
    store = create_store(home, "keyring")
    store.save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-ring"))
    assert fake.entries == {
        ("Codex Auth", store_key(home)): '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-ring"}'
    }
    assert not (home / "auth.json").exists()
    loaded = store.load()
    assert loaded is not None and loaded.openai_api_key == "sk-ring"
    assert store.delete() is True and fake.entries == {}


def test_keyring_errors_are_fatal_in_keyring_mode(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_keyring(monkeypatch, FakeKeyring(fail=True))
    with pytest.raises(AuthStorageError, match="failed to write OAuth tokens to keyring"):
        create_store(home, "keyring").save(AuthDotJson(auth_mode="apikey", openai_api_key="k"))
    assert not (home / "auth.json").exists()


def test_keyring_errors_fall_back_to_file_in_auto_mode(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_keyring(monkeypatch, FakeKeyring(fail=True))
    store = create_store(home, "auto")
    store.save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-auto"))
    assert json.loads((home / "auth.json").read_text())["OPENAI_API_KEY"] == "sk-auto"
    loaded = store.load()
    assert loaded is not None and loaded.openai_api_key == "sk-auto"


def test_a_symlinked_auth_json_keeps_its_link(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "codex-auth.json"
    target.parent.mkdir()
    target.write_text('{"OPENAI_API_KEY": "sk-old"}')
    (home / "auth.json").symlink_to(target)
    FileAuthStore(home).save(AuthDotJson(auth_mode="apikey", openai_api_key="sk-new"))
    assert (home / "auth.json").is_symlink()
    assert json.loads(target.read_text())["OPENAI_API_KEY"] == "sk-new"
    assert mode_of(target) == 0o600
