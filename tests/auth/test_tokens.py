"""id_token claim parsing: the claims we read, fallbacks, and clear errors for malformed input."""

from __future__ import annotations

import base64
import json

import pytest

from pycodex.auth.tokens import InvalidJwt, TokenData, parse_id_token
from tests.kit.fake_backend import make_id_token, make_jwt


def test_reads_email_plan_user_and_account() -> None:
    jwt = make_id_token(email="a@b.c", plan="plus", account_id="ws-9", user_id="u-9")
    info = parse_id_token(jwt)
    assert (info.email, info.chatgpt_plan_type, info.chatgpt_user_id) == ("a@b.c", "plus", "u-9")
    assert info.chatgpt_account_id == "ws-9"
    assert info.raw_jwt == jwt


def test_user_id_falls_back_to_user_id_claim() -> None:
    claims = {"https://api.openai.com/auth": {"user_id": "legacy"}}
    info = parse_id_token(make_jwt(claims))
    assert info.chatgpt_user_id == "legacy"


def test_missing_auth_claims_are_none() -> None:
    info = parse_id_token(make_jwt({"email": "x@y"}))
    assert info.chatgpt_plan_type is None and info.chatgpt_account_id is None


def test_padded_payload_is_refused_as_the_reference_does() -> None:
    # The reference decodes without padding: `YQ==` is "Invalid padding" there (observed).
    payload = base64.urlsafe_b64encode(json.dumps({"email": "p@q"}).encode()).decode()
    assert payload.endswith("=")
    with pytest.raises(InvalidJwt, match=r"^Invalid padding$"):
        parse_id_token(f"e30.{payload}.sig")
    assert parse_id_token(f"e30.{payload.rstrip('=')}.sig").email == "p@q"


@pytest.mark.parametrize(
    ("jwt", "message"),
    [
        ("abc", "invalid ID token format"),
        ("a.b", "invalid ID token format"),
        ("a..c", "invalid ID token format"),
        # Messages below were observed from the 0.94 binary (base64 crate wording); a fourth
        # part belongs to the signature, so `a.b.c.d` fails on the payload `b`.
        ("a.b.c.d", "^Invalid input length: 1$"),
        ("e30.!!!.sig", "^Invalid symbol 33, offset 0.$"),
        ("a.b$b.c", "^Invalid symbol 36, offset 1.$"),
        ("a.ab.c", "^Invalid last symbol 98, offset 1.$"),
        ("a.bbbbb.c", "^Invalid input length: 5$"),
        ("..", "^invalid ID token format$"),
        (
            "e30." + base64.urlsafe_b64encode(b"not json").decode().rstrip("=") + ".sig",
            "payload JSON",
        ),
        ("e30." + base64.urlsafe_b64encode(b"[1]").decode().rstrip("=") + ".sig", "not an object"),
    ],
)
def test_malformed_tokens_raise_invalid_jwt(jwt: str, message: str) -> None:
    with pytest.raises(InvalidJwt, match=message) as err:
        parse_id_token(jwt)
    assert isinstance(err.value, ValueError)


def test_reprs_hide_secrets() -> None:
    jwt = make_id_token()
    data = TokenData(parse_id_token(jwt), "secret-access", "secret-refresh", "ws-1")
    text = repr(data)
    assert jwt not in text and "secret-access" not in text and "secret-refresh" not in text
