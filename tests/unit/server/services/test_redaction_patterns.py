"""The redaction detectors: checksums keep look-alikes (wrong Luhn, wrong mod-97, dates, versions) unmasked."""

from __future__ import annotations

from collections import Counter

import pytest

from promptwatch.server.services.redaction_patterns import (
    KINDS,
    Masker,
    check_custom_pattern,
    iban_ok,
    luhn_ok,
    may_hold_secret,
)

SAMPLE = (
    "Hi, I'm John Smith. Email me at john.smith@example.com or call +1 (415) 555-0132. My card is "
    "4111 1111 1111 1111 and my IBAN is GB82 WEST 1234 5698 7654 32. The server at 192.168.1.10 logged the "
    "request from 2001:db8::1."
)


def mask(text: str, kinds=KINDS, custom=()) -> tuple[str, Counter]:
    counts: Counter = Counter()
    return Masker(tuple(kinds), tuple(custom)).mask(text, counts), counts


def test_p1_the_reference_sample_is_fully_masked():
    masked, counts = mask(SAMPLE)
    assert masked == (
        "Hi, I'm John Smith. Email me at [EMAIL] or call [PHONE]. My card is [CARD] and my IBAN is [IBAN]. "
        "The server at [IP] logged the request from [IP]."
    )
    assert counts == Counter(email=1, phone=1, card=1, iban=1, ip=2)


@pytest.mark.parametrize(
    "text",
    [
        "on 2026-11-01 12:00:00",
        "version 1.2.3 of the library",
        "order 12345678",
        "card 4111 1111 1111 1112",  # fails Luhn
        "GB83 WEST 1234 5698 7654 32",  # fails mod-97
        "at 12:30:45",
    ],
)
def test_p1_look_alikes_stay(text):
    assert mask(text)[0] == text


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-" + "a1B2" * 10,
        "sk-ant-api03-" + "x" * 30,
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_" + "a" * 36,
        "xoxb-1234567890-abcdefghij",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "cGtfMDEyMzQ1Njc4OWFiY2RlZjpzZWNyZXRzZWNyZXQ=",  # a PromptWatch key
        "Bearer abcdefghijklmnopqrstuvwxyz",
    ],
)
def test_p1_common_secret_shapes_are_masked(secret):
    masked, counts = mask(f"use {secret} here", kinds=("secrets",))
    assert secret not in masked and counts["secret"] == 1


def test_p1_assignments_keep_the_name_and_lose_the_value():
    assert mask('password="hunter22" api_key: abcd1234', kinds=("secrets",))[0] == (
        'password="[SECRET]" api_key: [SECRET]'
    )


@pytest.mark.parametrize(
    "text",
    [
        "PASSWORD=hunter22",
        "Pa\u017f\u017fword: hunter22",  # long s: the patterns ignore case the Unicode way
        "BEARER abcdefghijklmnopqrstuvwxyz",
        "Client-Secret = s3cr3tvalue",
        "refresh_token:abcd1234efgh",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
        "rk_live_" + "A" * 20,
        "github_pat_" + "B" * 30,
        "glpat-" + "c" * 24,
        "AIza" + "d" * 35,
        "hf_" + "e" * 34,
        "pwt_" + "f" * 24,
        "dGVtcF8" + "g" * 24,
    ],
)
def test_p1_the_quick_check_never_skips_a_secret(text):
    """A text is searched only when it holds one of the hints: every shape and assignment still masks."""
    masked, counts = mask(f"see {text} now", kinds=("secrets",))
    assert counts["secret"] >= 1 and "[SECRET]" in masked


@pytest.mark.parametrize(
    "value",
    [
        {"prompt": ["first", {"nested": "use sk-proj-" + "a" * 30}]},
        {"headers": {"Authorization": "abc"}},
        {"settings": {"Token": "abc"}},
        {"X-Api-Key": "abc"},
        {"note": "the Pa\u017f\u017fword is here"},
        {"n": 2**70, "text": "plain"},  # not JSON as is: the walk decides
    ],
)
def test_p1_a_body_that_may_hold_a_secret_is_walked(value):
    assert may_hold_secret(value)


def test_p1_a_body_without_any_hint_is_skipped_and_would_mask_nothing():
    body = {"prompt": "Summarise the tokens of this ticket about billing.", "settings": {"max_tokens": 256}}
    assert not may_hold_secret(body)
    masker, counts = Masker(("secrets",)), Counter()
    assert [masker.mask(v, counts) for v in (body["prompt"], "max_tokens")] == [body["prompt"], "max_tokens"]


def test_p1_custom_patterns_and_their_checks():
    assert mask("ticket TCK-991", kinds=(), custom=[("ticket", r"TCK-\d+")])[0] == "ticket [TICKET]"
    assert check_custom_pattern("(") and check_custom_pattern("a*") and check_custom_pattern(r"TCK-\d+") is None


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89370400440532013000") and not iban_ok("DE89370400440532013001")
