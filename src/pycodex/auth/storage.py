"""Persisted credentials: `auth.json` in the reference's layout, the keyring, the memory store.

Writes are atomic and 0600 from creation; a lock file beside `auth.json` serialises refreshes
across processes. It never logs secrets and knows nothing about HTTP or the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pycodex.auth.tokens import InvalidJwt, TokenData, parse_id_token

log = logging.getLogger(__name__)

AUTH_FILE = "auth.json"
LOCK_FILE = "auth.json.lock"
KEYRING_SERVICE = "Codex Auth"

CredentialsStoreMode = Literal["file", "keyring", "auto", "ephemeral"]
StoredAuthMode = Literal["apikey", "chatgpt", "chatgptAuthTokens"]


class AuthStorageError(OSError):
    """A credential store could not be read, written or deleted; str() carries no secrets."""


@dataclass(frozen=True, slots=True)
class AuthDotJson:
    """The document the reference keeps in `auth.json` (and, as compact JSON, in the keyring)."""

    auth_mode: StoredAuthMode | None = None
    openai_api_key: str | None = None
    tokens: TokenData | None = None
    last_refresh: datetime | None = None

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return (
            f"AuthDotJson(auth_mode={self.auth_mode!r}, "
            f"has_api_key={self.openai_api_key is not None}, tokens={self.tokens!r}, "
            f"last_refresh={self.last_refresh!r})"
        )

    def to_json(self) -> dict[str, Any]:
        """Field order and omissions as the reference serialises them."""
        doc: dict[str, Any] = {}
        if self.auth_mode is not None:
            doc["auth_mode"] = self.auth_mode
        doc["OPENAI_API_KEY"] = self.openai_api_key
        if self.tokens is not None:
            doc["tokens"] = {
                "id_token": self.tokens.id_token.raw_jwt,
                "access_token": self.tokens.access_token,
                "refresh_token": self.tokens.refresh_token,
                "account_id": self.tokens.account_id,
            }
        if self.last_refresh is not None:
            doc["last_refresh"] = format_timestamp(self.last_refresh)
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> AuthDotJson:
        """Parse the stored document; raises AuthStorageError on anything malformed."""
        if not isinstance(doc, dict):
            raise AuthStorageError("auth document is not a JSON object")
        mode = doc.get("auth_mode")
        if mode is not None and mode not in ("apikey", "chatgpt", "chatgptAuthTokens"):
            raise AuthStorageError(f"unknown auth_mode {mode!r}")
        if "OPENAI_API_KEY" not in doc:  # serde requires it (Option without a default)
            raise AuthStorageError("missing field `OPENAI_API_KEY`")
        key = doc["OPENAI_API_KEY"]
        if key is not None and not isinstance(key, str):
            raise AuthStorageError("OPENAI_API_KEY is not a string")
        tokens = _tokens_from_json(doc["tokens"]) if doc.get("tokens") is not None else None
        last = doc.get("last_refresh")
        if last is not None and not isinstance(last, str):
            raise AuthStorageError("last_refresh is not a string")
        return cls(
            auth_mode=mode,
            openai_api_key=key,
            tokens=tokens,
            last_refresh=parse_timestamp(last) if last is not None else None,
        )


def _tokens_from_json(raw: Any) -> TokenData:
    if not isinstance(raw, dict):
        raise AuthStorageError("tokens is not a JSON object")
    for name in ("id_token", "access_token", "refresh_token"):
        if not isinstance(raw.get(name), str):
            raise AuthStorageError(f"tokens.{name} is missing or not a string")
    account_id = raw.get("account_id")
    if account_id is not None and not isinstance(account_id, str):
        raise AuthStorageError("tokens.account_id is not a string")
    try:
        id_token = parse_id_token(raw["id_token"])
    except InvalidJwt as exc:  # the reference fails the whole load on a bad id_token
        raise AuthStorageError(f"invalid id_token: {exc}") from None
    return TokenData(id_token, raw["access_token"], raw["refresh_token"], account_id)


_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def format_timestamp(ts: datetime) -> str:
    """RFC 3339 UTC with nanoseconds and `Z`, as chrono writes `last_refresh`."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond:06d}000Z"


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 with any number of fraction digits (truncated to microseconds)."""
    match = _TS.match(text.strip())
    if match is None:
        raise AuthStorageError(f"invalid last_refresh timestamp {text!r}")
    base, frac, zone = match.groups()
    micros = (frac or "").ljust(6, "0")[:6]
    zone = "+00:00" if zone == "Z" else zone
    try:
        return datetime.fromisoformat(f"{base}.{micros}{zone}").astimezone(UTC)
    except ValueError as exc:
        raise AuthStorageError(f"invalid last_refresh timestamp {text!r}: {exc}") from None


def store_key(codex_home: Path) -> str:
    """`cli|<16 hex of SHA-256(canonical CODEX_HOME)>`: the keyring and memory-store key."""
    try:
        canonical = str(codex_home.resolve(strict=True))
    except OSError:
        canonical = str(codex_home)
    return "cli|" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


class AuthStore(Protocol):
    """One credential backend; `load` gives None when nothing is stored."""

    def load(self) -> AuthDotJson | None: ...
    def save(self, auth: AuthDotJson) -> None: ...
    def delete(self) -> bool: ...


class FileAuthStore:
    """`CODEX_HOME/auth.json`: pretty JSON (2-space indent), 0600, replaced atomically."""

    def __init__(self, codex_home: Path) -> None:
        self.codex_home = codex_home
        self.path = codex_home / AUTH_FILE

    def load(self) -> AuthDotJson | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AuthStorageError(f"failed to read {self.path}: {exc.strerror or exc}") from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AuthStorageError(f"failed to parse {self.path}: {exc}") from None
        return AuthDotJson.from_json(doc)

    def save(self, auth: AuthDotJson) -> None:
        data = json.dumps(auth.to_json(), indent=2, ensure_ascii=False).encode()
        try:
            atomic_write(self.path, data)
        except OSError as exc:
            raise AuthStorageError(f"failed to write {self.path}: {exc.strerror or exc}") from None

    def delete(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise AuthStorageError(f"failed to delete {self.path}: {exc.strerror or exc}") from None
        return True


def atomic_write(path: Path, data: bytes) -> None:
    """Write a temp file (0600 from creation) beside `path`, fsync, rename; the old file
    stays intact if anything fails before the rename. A symlinked `path` keeps its link: the
    file it points to is replaced (the reference writes through the link too)."""
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)  # mkstemp already uses 0600; be explicit about the invariant
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


_EPHEMERAL: dict[str, AuthDotJson] = {}
_EPHEMERAL_LOCK = threading.Lock()


class EphemeralAuthStore:
    """Process memory only, keyed like the keyring; nothing ever reaches disk."""

    def __init__(self, codex_home: Path) -> None:
        self.key = store_key(codex_home)

    def load(self) -> AuthDotJson | None:
        with _EPHEMERAL_LOCK:
            return _EPHEMERAL.get(self.key)

    def save(self, auth: AuthDotJson) -> None:
        with _EPHEMERAL_LOCK:
            _EPHEMERAL[self.key] = auth

    def delete(self) -> bool:
        with _EPHEMERAL_LOCK:
            return _EPHEMERAL.pop(self.key, None) is not None


class KeyringUnavailable(AuthStorageError):
    """The `keyring` package is missing or has no usable backend."""


def _keyring_module() -> Any:
    try:
        import keyring  # type: ignore[import-not-found, unused-ignore]
        from keyring.backends import fail  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise KeyringUnavailable(f"keyring package not importable: {exc}") from None
    if isinstance(keyring.get_keyring(), fail.Keyring):
        raise KeyringUnavailable("no keyring backend available")
    return keyring


class KeyringAuthStore:
    """Service `Codex Auth`, account `cli|…`, the document as compact JSON. A successful save
    deletes `auth.json`; delete removes both."""

    def __init__(self, codex_home: Path) -> None:
        self.key = store_key(codex_home)
        self.file = FileAuthStore(codex_home)

    def load(self) -> AuthDotJson | None:
        keyring = _keyring_module()
        try:
            raw = keyring.get_password(KEYRING_SERVICE, self.key)
        except Exception as exc:
            raise AuthStorageError(f"failed to load CLI auth from keyring: {exc}") from None
        if raw is None:
            return None
        try:
            return AuthDotJson.from_json(json.loads(raw))
        except (json.JSONDecodeError, AuthStorageError) as exc:
            raise AuthStorageError(f"failed to deserialize CLI auth from keyring: {exc}") from None

    def save(self, auth: AuthDotJson) -> None:
        keyring = _keyring_module()
        data = json.dumps(auth.to_json(), separators=(",", ":"), ensure_ascii=False)
        try:
            keyring.set_password(KEYRING_SERVICE, self.key, data)
        except Exception as exc:
            raise AuthStorageError(f"failed to write OAuth tokens to keyring: {exc}") from None
        with contextlib.suppress(AuthStorageError):
            self.file.delete()

    def delete(self) -> bool:
        keyring = _keyring_module()
        removed = False
        try:
            if keyring.get_password(KEYRING_SERVICE, self.key) is not None:
                keyring.delete_password(KEYRING_SERVICE, self.key)
                removed = True
        except Exception as exc:
            raise AuthStorageError(f"failed to delete auth from keyring: {exc}") from None
        return self.file.delete() or removed


_warned_fallback = False


def _warn_fallback_once(reason: object) -> None:
    global _warned_fallback
    if not _warned_fallback:
        _warned_fallback = True
        log.warning("keyring unavailable (%s); storing credentials in auth.json instead", reason)


class FallbackAuthStore:
    """Keyring first; on `KeyringUnavailable` (mode `keyring`) or any keyring error (mode
    `auto`) the file store is used instead, with one warning per process."""

    def __init__(self, codex_home: Path, *, any_error: bool) -> None:
        self.keyring = KeyringAuthStore(codex_home)
        self.file = FileAuthStore(codex_home)
        self.any_error = any_error

    def _fallback(self, exc: AuthStorageError) -> bool:
        if isinstance(exc, KeyringUnavailable) or self.any_error:
            _warn_fallback_once(exc)
            return True
        return False

    def load(self) -> AuthDotJson | None:
        try:
            found = self.keyring.load()
        except AuthStorageError as exc:
            if not self._fallback(exc):
                raise
            return self.file.load()
        if found is None and self.any_error:  # `auto` also reads a file an older run left
            return self.file.load()
        return found

    def save(self, auth: AuthDotJson) -> None:
        try:
            self.keyring.save(auth)
            return
        except AuthStorageError as exc:
            if not self._fallback(exc):
                raise
        self.file.save(auth)

    def delete(self) -> bool:
        try:
            return self.keyring.delete()
        except AuthStorageError as exc:
            if not self._fallback(exc):
                raise
        return self.file.delete()


def create_store(codex_home: Path, mode: CredentialsStoreMode) -> AuthStore:
    """The persistent store for `cli_auth_credentials_store`."""
    if mode == "file":
        return FileAuthStore(codex_home)
    if mode == "ephemeral":
        return EphemeralAuthStore(codex_home)
    if mode == "keyring":
        return FallbackAuthStore(codex_home, any_error=False)
    if mode == "auto":
        return FallbackAuthStore(codex_home, any_error=True)
    raise ValueError(f"unknown credentials store {mode!r}")


_LOCK_POLL = 0.02


@contextlib.asynccontextmanager
async def auth_file_lock(codex_home: Path) -> AsyncIterator[None]:
    """Exclusive cross-process lock: `flock` on `auth.json.lock`, polled without blocking the
    event loop, so a cancelled waiter never strands the lock. Also excludes other threads of
    this process (each holder has its own descriptor)."""
    os.makedirs(codex_home, exist_ok=True)
    fd = os.open(codex_home / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(_LOCK_POLL)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def with_tokens(auth: AuthDotJson, tokens: TokenData, last_refresh: datetime) -> AuthDotJson:
    """`auth` with new tokens and refresh time (mode and API key kept)."""
    return replace(auth, tokens=tokens, last_refresh=last_refresh)
