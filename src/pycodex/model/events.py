"""What a model stream yields (`ResponseEvent`) and how it fails (`ModelError`).

Plain values for the turn engine: no HTTP, no JSON-RPC. Unknown SSE events pass through raw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pycodex.auth.ratelimits import RateLimitSnapshot

CodexErrorInfo = str | dict[str, Any]
"""The v2 `codexErrorInfo` value: a bare variant (`"other"`) or an object variant."""


@dataclass(frozen=True, slots=True)
class TokenUsage:
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def from_wire(cls, usage: dict[str, Any]) -> TokenUsage:
        """The Responses `usage` object; missing details count as 0."""
        details_in = usage.get("input_tokens_details") or {}
        details_out = usage.get("output_tokens_details") or {}
        return cls(
            input_tokens=int(usage.get("input_tokens") or 0),
            cached_input_tokens=int(details_in.get("cached_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            reasoning_output_tokens=int(details_out.get("reasoning_tokens") or 0),
            total_tokens=int(usage.get("total_tokens") or 0),
        )

    @classmethod
    def from_record(cls, usage: dict[str, Any]) -> TokenUsage:
        """A rollout `token_count` usage object (snake_case, flat)."""
        return cls(
            input_tokens=int(usage.get("input_tokens") or 0),
            cached_input_tokens=int(usage.get("cached_input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            reasoning_output_tokens=int(usage.get("reasoning_output_tokens") or 0),
            total_tokens=int(usage.get("total_tokens") or 0),
        )


@dataclass(frozen=True, slots=True)
class Created:
    """`response.created`."""

    response_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutputItemAdded:
    """`response.output_item.added`: the raw item (message, reasoning, function_call, …)."""

    item: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutputItemDone:
    """`response.output_item.done`: the finished raw item, as it goes back into history."""

    item: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutputTextDelta:
    """One `response.output_text.delta`, never coalesced with its neighbours."""

    delta: str
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningSummaryPartAdded:
    summary_index: int
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningSummaryDelta:
    delta: str
    summary_index: int
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningContentDelta:
    delta: str
    content_index: int
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class Completed:
    """`response.completed`: always the last event of a successful stream."""

    response_id: str
    usage: TokenUsage | None = None


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The `x-codex-*` headers of the reply, sent before any SSE event (also when absent: the
    reference notifies `account/rateLimits/updated` with all-null fields then)."""

    snapshot: RateLimitSnapshot


@dataclass(frozen=True, slots=True)
class Retrying:
    """The stream failed and will be retried; `error.will_retry` is True. The engine emits it
    as an `error` notification. Items already done stay done; the retry starts a new response."""

    error: ModelError


@dataclass(frozen=True, slots=True)
class RawEvent:
    """Any other SSE event, unparsed beyond JSON."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


ResponseEvent = (
    Created
    | OutputItemAdded
    | OutputItemDone
    | OutputTextDelta
    | ReasoningSummaryPartAdded
    | ReasoningSummaryDelta
    | ReasoningContentDelta
    | Completed
    | RateLimits
    | Retrying
    | RawEvent
)


class ModelError(Exception):
    """A failed sampling request as the turn reports it (`TurnError` + `willRetry`).

    `message`, `codex_error_info` and `additional_details` are the reference's wording
    (reference-behaviour.md "Extra: model backend errors", auth.md §5.3).
    """

    def __init__(
        self,
        message: str,
        codex_error_info: CodexErrorInfo = "other",
        additional_details: str | None = None,
        will_retry: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.codex_error_info = codex_error_info
        self.additional_details = additional_details
        self.will_retry = will_retry

    def to_wire(self) -> dict[str, Any]:
        """The v2 `TurnError` object."""
        return {
            "message": self.message,
            "codexErrorInfo": self.codex_error_info,
            "additionalDetails": self.additional_details,
        }

    def __repr__(self) -> str:
        return (
            f"ModelError({self.message!r}, {self.codex_error_info!r}, "
            f"{self.additional_details!r}, will_retry={self.will_retry})"
        )
