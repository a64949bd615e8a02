"""Rate limits: `x-codex-*` response headers and the ChatGPT usage endpoint, as the v2
`RateLimitSnapshot` wire shape (auth.md §7.3-7.4).

Parsing is pure; `fetch_usage` does one GET with httpx2 and never refreshes tokens.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx2

from pycodex.auth.refresh import status_text

USAGE_TIMEOUT = 30.0
_USAGE_PLANS = {
    "guest": "unknown",
    "free": "free",
    "go": "go",
    "plus": "plus",
    "pro": "pro",
    "free_workspace": "unknown",
    "team": "team",
    "business": "business",
    "education": "edu",
    "quorum": "unknown",
    "k12": "unknown",
    "enterprise": "enterprise",
    "edu": "edu",
}


def round_half_away(value: float) -> int:
    """42.5 → 43, -42.5 → -43 (Rust `f64::round`)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


@dataclass(frozen=True, slots=True)
class RateLimitWindow:
    used_percent: float
    window_minutes: int | None
    resets_at: int | None

    def to_wire(self) -> dict[str, Any]:
        return {
            "usedPercent": round_half_away(self.used_percent),
            "windowDurationMins": self.window_minutes,
            "resetsAt": self.resets_at,
        }


@dataclass(frozen=True, slots=True)
class CreditsSnapshot:
    has_credits: bool
    unlimited: bool
    balance: str | None

    def to_wire(self) -> dict[str, Any]:
        return {
            "hasCredits": self.has_credits,
            "unlimited": self.unlimited,
            "balance": self.balance,
        }


@dataclass(frozen=True, slots=True)
class RateLimitSnapshot:
    """v2 `RateLimitSnapshot`; `to_wire()` gives the `rateLimits` object of
    `account/rateLimits/updated` and `account/rateLimits/read`."""

    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None
    credits: CreditsSnapshot | None = None
    plan_type: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "primary": self.primary.to_wire() if self.primary else None,
            "secondary": self.secondary.to_wire() if self.secondary else None,
            "credits": self.credits.to_wire() if self.credits else None,
            "planType": self.plan_type,
        }

    def carry_credits(self, previous: RateLimitSnapshot | None) -> RateLimitSnapshot:
        """Keep the previously seen credits when this reply had no valid credits headers."""
        if self.credits is None and previous is not None and previous.credits is not None:
            return replace(self, credits=previous.credits)
        return self


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # plain dicts are case-sensitive; httpx2 Headers are not
        lowered = {k.lower(): v for k, v in headers.items()}
        value = lowered.get(name)
    return value


def _float(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _int(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None


def _bool(raw: str | None) -> bool | None:
    value = (raw or "").strip().lower()
    return {"true": True, "1": True, "false": False, "0": False}.get(value)


def _window(headers: Mapping[str, str], which: str) -> RateLimitWindow | None:
    used = _float(_header(headers, f"x-codex-{which}-used-percent"))
    minutes = _int(_header(headers, f"x-codex-{which}-window-minutes"))
    resets_at = _int(_header(headers, f"x-codex-{which}-reset-at"))
    if used is None:
        return None
    if used == 0 and not minutes and resets_at is None:  # an all-zero window means "none"
        return None
    return RateLimitWindow(used, minutes, resets_at)


def parse_rate_limit_headers(headers: Mapping[str, str]) -> RateLimitSnapshot:
    """The snapshot of one Responses reply (planType is always null here)."""
    credits = None
    has_credits = _bool(_header(headers, "x-codex-credits-has-credits"))
    unlimited = _bool(_header(headers, "x-codex-credits-unlimited"))
    if has_credits is not None and unlimited is not None:
        balance = (_header(headers, "x-codex-credits-balance") or "").strip() or None
        credits = CreditsSnapshot(has_credits, unlimited, balance)
    return RateLimitSnapshot(
        primary=_window(headers, "primary"),
        secondary=_window(headers, "secondary"),
        credits=credits,
    )


def usage_url(chatgpt_base_url: str) -> str:
    """`{base}/wham/usage` for a `/backend-api` base, else `{base}/api/codex/usage`."""
    base = chatgpt_base_url.rstrip("/")
    if "/backend-api" in base:
        return f"{base}/wham/usage"
    return f"{base}/api/codex/usage"


class UsageDecodeError(ValueError):
    """The usage payload does not match the backend's strict shape."""


def _strict_int(doc: Mapping[str, Any], key: str, where: str, *, required: bool) -> int | None:
    value = doc.get(key)
    if value is None:
        if required:
            raise UsageDecodeError(f"missing field `{key}` in {where}")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageDecodeError(f"invalid type for `{key}` in {where}: expected an integer")
    return value


def _usage_window(raw: Any, where: str) -> RateLimitWindow | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UsageDecodeError(f"invalid type for `{where}`: expected an object")
    used = _strict_int(raw, "used_percent", where, required=True)
    seconds = _strict_int(raw, "limit_window_seconds", where, required=False)
    resets_at = _strict_int(raw, "reset_at", where, required=False)
    _strict_int(raw, "reset_after_seconds", where, required=False)
    minutes = None if seconds is None else -(-seconds // 60)  # ceil: 90 s → 2
    return RateLimitWindow(float(used or 0), minutes, resets_at)


def parse_usage(doc: Any) -> RateLimitSnapshot:
    """Map the usage payload to a snapshot; raises UsageDecodeError like the strict decoder."""
    if not isinstance(doc, dict):
        raise UsageDecodeError("invalid type: expected a JSON object")
    plan = doc.get("plan_type")
    if plan not in _USAGE_PLANS:
        raise UsageDecodeError(f"unknown variant `{plan}` for `plan_type`")
    primary = secondary = None
    rate_limit = doc.get("rate_limit")
    if rate_limit is not None:
        if not isinstance(rate_limit, dict):
            raise UsageDecodeError("invalid type for `rate_limit`: expected an object")
        for key in ("allowed", "limit_reached"):
            if not isinstance(rate_limit.get(key), bool):
                raise UsageDecodeError(f"missing or invalid field `{key}` in rate_limit")
        primary = _usage_window(rate_limit.get("primary_window"), "primary_window")
        secondary = _usage_window(rate_limit.get("secondary_window"), "secondary_window")
    credits = None
    raw_credits = doc.get("credits")
    if raw_credits is not None:
        if not isinstance(raw_credits, dict):
            raise UsageDecodeError("invalid type for `credits`: expected an object")
        has, unlimited = raw_credits.get("has_credits"), raw_credits.get("unlimited")
        balance = raw_credits.get("balance")
        if not isinstance(has, bool) or not isinstance(unlimited, bool):
            raise UsageDecodeError("missing or invalid `has_credits`/`unlimited` in credits")
        if balance is not None and not isinstance(balance, str):
            raise UsageDecodeError("invalid type for `balance` in credits: expected a string")
        credits = CreditsSnapshot(has, unlimited, balance)
    return RateLimitSnapshot(primary, secondary, credits, _USAGE_PLANS[str(plan)])


class UsageFetchError(Exception):
    """The usage GET failed; str() is the detail after `failed to fetch codex rate limits: `."""


async def fetch_usage(
    client: httpx2.AsyncClient, url: str, headers: Mapping[str, str]
) -> RateLimitSnapshot:
    """GET the usage endpoint once (a 401 is an error like any other: no refresh)."""
    try:
        response = await client.get(url, headers=dict(headers), timeout=USAGE_TIMEOUT)
        body = response.text
    except httpx2.HTTPError as exc:
        raise UsageFetchError(f"error sending request for url ({url}): {exc}") from None
    ctype = response.headers.get("content-type", "")
    if not 200 <= response.status_code < 300:
        raise UsageFetchError(
            f"GET {url} failed: {status_text(response.status_code)}; content-type={ctype}; "
            f"body={body}"
        )
    try:
        return parse_usage(response.json())
    except (ValueError, UsageDecodeError) as exc:
        raise UsageFetchError(
            f"Decode error for {url}: {exc}; content-type={ctype}; body={body}"
        ) from None
