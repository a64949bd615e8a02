"""Make two transcripts comparable: stable placeholders for values that differ on every run.

Only volatile values are touched (ids, times, the run's temp paths), and only by pattern or by a
short list of keys, so that everything else, error messages included, is compared verbatim.
The legacy `codex/event/*` notifications are dropped: pycodex sends them only to v1 listeners
(decisions.md, "Newer clients"), a listed deliberate difference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tests.kit.scenario import Transcript

LEGACY_PREFIX = "codex/event/"

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Ordered: the longer, more specific forms first.
_TIME_PATTERNS = (
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<ts>"),
    # rollout file names and thread/list cursors: 2025-11-25T03-09-00
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}"), "<datetime>"),
    (re.compile(r"sessions/\d{4}/\d{2}/\d{2}/"), "sessions/<Y>/<M>/<D>/"),
)
# Keys whose value is a clock reading or a duration, whatever its type.
VOLATILE_KEYS: Mapping[str, str] = {
    "createdAt": "<ts>",
    "updatedAt": "<ts>",
    "durationMs": "<duration>",
}


class Normaliser:
    """One per transcript: the n-th distinct UUID seen becomes `<uuid-n>` everywhere in it."""

    def __init__(self, paths: Mapping[str, str]) -> None:
        # Longest path first, so a path inside another is replaced by its own placeholder.
        self._paths = sorted(paths.items(), key=lambda item: -len(item[0]))
        self._uuids: dict[str, str] = {}

    def _uuid(self, match: re.Match[str]) -> str:
        value = match.group(0).lower()
        if value not in self._uuids:
            self._uuids[value] = f"<uuid-{len(self._uuids) + 1}>"
        return self._uuids[value]

    def text(self, value: str) -> str:
        for path, placeholder in self._paths:
            value = value.replace(path, placeholder)
        for pattern, placeholder in _TIME_PATTERNS:
            value = pattern.sub(placeholder, value)
        return UUID_RE.sub(self._uuid, value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {
                self.text(key): (
                    VOLATILE_KEYS[key]
                    if key in VOLATILE_KEYS and item is not None
                    else self.value(item)
                )
                for key, item in value.items()
            }
        return value


def is_legacy_event(message: Any) -> bool:
    method = message.get("method") if isinstance(message, dict) else None
    return isinstance(method, str) and method.startswith(LEGACY_PREFIX)


def normalise(transcript: Transcript, paths: Mapping[str, str]) -> Transcript:
    """A normalised copy; `paths` maps each run's real paths to placeholders like <CWD>."""
    normaliser = Normaliser(paths)
    return [
        (kind, normaliser.value(message))
        for kind, message in transcript
        if not (kind == "recv" and is_legacy_event(message))
    ]
