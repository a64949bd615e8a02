"""Logging to stderr only (stdout is the protocol). LOG_FORMAT=json gives one JSON object a line.

The level comes from PYCODEX_LOG, else RUST_LOG (what Codex users already set), else `warning`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "off": logging.CRITICAL + 10,
}


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "target": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _level(spec: str | None) -> int:
    if not spec:
        return logging.WARNING
    # RUST_LOG may be a filter list ("codex=debug,info"); take the last bare level in it.
    level = logging.WARNING
    for part in spec.split(","):
        name = part.rsplit("=", 1)[-1].strip().lower()
        if name in _LEVELS:
            level = _LEVELS[name]
    return level


def setup() -> None:
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("LOG_FORMAT", "").lower() == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_level(os.environ.get("PYCODEX_LOG") or os.environ.get("RUST_LOG")))
