"""Failures of one sampling attempt and their mapping to the reference's turn errors.

    Failure (internal: one attempt failed)
      ├── retryable → `Retrying` notice "Reconnecting... n/N", then a new attempt
      └── final     → ModelError (message, codexErrorInfo) as reference-behaviour.md
                      "Extra: model backend errors" and auth.md §5.3 word them

Pure: no I/O. Texts follow codex-rs `core/src/error.rs` and `codex-api/src/api_bridge.rs`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pycodex.auth.refresh import status_text
from pycodex.model.events import ModelError

HIGH_DEMAND = "We're currently experiencing high demand, which may cause temporary errors."
CONTEXT_WINDOW = (
    "Codex ran out of room in the model's context window. Start a new thread or clear "
    "earlier history before retrying."
)
QUOTA_EXCEEDED = "Quota exceeded. Check your plan and billing details."
USAGE_NOT_INCLUDED = (
    "To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus."
)
SERVER_OVERLOADED = "Selected model is at capacity. Please try a different model."
STREAM_PREFIX = "stream disconnected before completion: "
CLOSED_EARLY = "stream closed before response.completed"
IDLE_TIMEOUT = "idle timeout waiting for SSE"
BODY_DECODE = "Transport error: network error: error decoding response body"
_TRY_AGAIN = re.compile(r"(?i)try again in\s*(\d+(?:\.\d+)?)\s*(s|ms|seconds?)")


class Failure(Exception):
    """One attempt failed. `error` is the final form (its message is also the retry notice's
    `additionalDetails`); `http_status` goes into `responseStreamDisconnected`; `delay`
    overrides the backoff (a server-suggested wait)."""

    def __init__(
        self,
        error: ModelError,
        retryable: bool,
        http_status: int | None = None,
        delay: float | None = None,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable
        self.http_status = http_status
        self.delay = delay


def stream_failure(detail: str, delay: float | None = None) -> Failure:
    """The stream broke (closed early, cut, idle, `response.failed`): retried."""
    return Failure(ModelError(STREAM_PREFIX + detail), retryable=True, delay=delay)


def _json_error(body: str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except ValueError:
        return {}
    error = doc.get("error") if isinstance(doc, dict) else None
    return error if isinstance(error, dict) else {}


def _request_id(headers: Mapping[str, str]) -> str:
    rid = headers.get("x-request-id") or headers.get("x-oai-request-id")
    return f", request id: {rid}" if rid else ""


def status_failure(status: int, body: str, headers: Mapping[str, str], url: str) -> Failure:
    """A non-2xx answer once request-level retries are spent (or not applicable)."""
    error = _json_error(body)
    if status == 400:
        return Failure(ModelError(body), retryable=False)
    if status == 500:  # observed: its retry notice says `httpStatusCode: null`
        return Failure(ModelError(HIGH_DEMAND, "internalServerError"), retryable=True)
    if status == 503 and error.get("code") in ("server_is_overloaded", "slow_down"):
        return Failure(ModelError(SERVER_OVERLOADED, "serverOverloaded"), retryable=False)
    if status == 429:
        if error.get("type") == "usage_not_included":
            return Failure(ModelError(USAGE_NOT_INCLUDED, "usageLimitExceeded"), False)
        info = {"responseTooManyFailedAttempts": {"httpStatusCode": status}}
        message = f"exceeded retry limit, last status: {status_text(status)}"
        return Failure(ModelError(message + _request_id(headers), info), retryable=False)
    if status == 401:  # observed: neither the body nor the URL ("… 401 Unauthorized: ")
        message = f"unexpected status {status_text(status)}: "
    else:
        message = f"unexpected status {status_text(status)}: {body}, url: {url}"
        message += _request_id(headers)
    return Failure(ModelError(message), retryable=True, http_status=status)


def _retry_delay(error: Mapping[str, Any]) -> float | None:
    """`rate_limit_exceeded` messages carry "try again in 1.5s" / "in 20ms"."""
    if error.get("code") != "rate_limit_exceeded":
        return None
    match = _TRY_AGAIN.search(str(error.get("message") or ""))
    if match is None:
        return None
    value = float(match.group(1))
    return value / 1000 if match.group(2).lower() == "ms" else value


def response_failed(response: Mapping[str, Any]) -> Failure:
    """A `response.failed` event: a few codes are final, anything else is a stream error."""
    raw = response.get("error")
    error = raw if isinstance(raw, dict) else {}
    code = error.get("code")
    if code == "context_length_exceeded":
        return Failure(ModelError(CONTEXT_WINDOW, "contextWindowExceeded"), retryable=False)
    if code == "insufficient_quota":
        return Failure(ModelError(QUOTA_EXCEEDED, "usageLimitExceeded"), retryable=False)
    if code == "usage_not_included":
        return Failure(ModelError(USAGE_NOT_INCLUDED, "usageLimitExceeded"), retryable=False)
    if not error:
        return stream_failure("response.failed event received")
    return stream_failure(str(error.get("message") or ""), _retry_delay(error))


def retry_notice(failure: Failure, attempt: int, max_retries: int) -> ModelError:
    """The `error` notification of a retry (`willRetry: true`)."""
    info = {"responseStreamDisconnected": {"httpStatusCode": failure.http_status}}
    details = failure.error.message
    return ModelError(f"Reconnecting... {attempt}/{max_retries}", info, details, will_retry=True)
