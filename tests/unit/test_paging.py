"""Page tokens (signed, scoped cursors) and page_size clamping."""

import base64
import json
from typing import Any

import pytest

from ivorygrpc.errors import InvalidArguments, InvalidPageToken
from ivorygrpc.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageTokens, page_size

SCOPE = "ListCalls?instrument=pump"


@pytest.fixture
def tokens() -> PageTokens:
    return PageTokens(b"secret-1")


def raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def encoded(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    [], [1], ["2024-05-01T12:00:00Z", "call-17"], [None, 1.5, True, {"k": ["v"]}], ["é ✓"],
])
def test_round_trip(tokens: PageTokens, cursor: list[Any]) -> None:
    token = tokens.encode(SCOPE, cursor)
    assert tokens.decode(SCOPE, token) == cursor


def test_tokens_are_url_safe_and_unpadded(tokens: PageTokens) -> None:
    token = tokens.encode(SCOPE, ["a/b+c?", 10**20])
    assert "=" not in token and "+" not in token and "/" not in token


def test_a_new_instance_with_the_same_secret_accepts_the_token() -> None:
    token = PageTokens(b"k").encode(SCOPE, [5])
    assert PageTokens(b"k").decode(SCOPE, token) == [5]


def test_token_for_another_scope_is_rejected(tokens: PageTokens) -> None:
    token = tokens.encode(SCOPE, [5])
    with pytest.raises(InvalidPageToken):
        tokens.decode("ListCalls?instrument=valve", token)


def test_token_from_another_secret_is_rejected(tokens: PageTokens) -> None:
    token = PageTokens(b"secret-2").encode(SCOPE, [5])
    with pytest.raises(InvalidPageToken):
        tokens.decode(SCOPE, token)


def test_tampered_cursor_is_rejected(tokens: PageTokens) -> None:
    data = raw(tokens.encode(SCOPE, [5]))
    forged = encoded(data.replace(b"[5]", b"[6]"))
    with pytest.raises(InvalidPageToken):
        tokens.decode(SCOPE, forged)


def test_tampered_tag_is_rejected(tokens: PageTokens) -> None:
    data = bytearray(raw(tokens.encode(SCOPE, [5])))
    data[0] ^= 0x01
    with pytest.raises(InvalidPageToken):
        tokens.decode(SCOPE, encoded(bytes(data)))


def test_truncated_token_is_rejected(tokens: PageTokens) -> None:
    token = tokens.encode(SCOPE, [5])
    with pytest.raises(InvalidPageToken):
        tokens.decode(SCOPE, token[:-4])


@pytest.mark.parametrize("garbage", [
    "", "!!!", "not-a-token", "é", "a", encoded(b"short"), encoded(b"\x00" * 40),
])
def test_garbage_is_rejected(tokens: PageTokens, garbage: str) -> None:
    with pytest.raises(InvalidPageToken) as info:
        tokens.decode(SCOPE, garbage)
    assert info.value.reason == "INVALID_PAGE_TOKEN"


def test_signed_payload_that_is_not_a_list_is_rejected(tokens: PageTokens) -> None:
    token = tokens.encode(SCOPE, {"offset": 5})  # type: ignore[arg-type]
    with pytest.raises(InvalidPageToken):
        tokens.decode(SCOPE, token)


def test_payload_is_plain_json_after_the_tag(tokens: PageTokens) -> None:
    data = raw(tokens.encode(SCOPE, [1, "a"]))
    assert json.loads(data[16:]) == [1, "a"]


@pytest.mark.parametrize(("requested", "expected"), [
    (0, DEFAULT_PAGE_SIZE), (1, 1), (DEFAULT_PAGE_SIZE + 1, DEFAULT_PAGE_SIZE + 1),
    (MAX_PAGE_SIZE, MAX_PAGE_SIZE), (MAX_PAGE_SIZE + 1, MAX_PAGE_SIZE), (10**9, MAX_PAGE_SIZE),
])
def test_page_size_is_clamped(requested: int, expected: int) -> None:
    assert page_size(requested) == expected


@pytest.mark.parametrize("requested", [-1, -(10**9)])
def test_negative_page_size_is_invalid(requested: int) -> None:
    with pytest.raises(InvalidArguments) as info:
        page_size(requested)
    assert [v.field for v in info.value.violations] == ["page_size"]
