from datetime import datetime, timedelta, timezone
from importlib.metadata import version

import pytest
from genai_prices import Usage, calc_price
from genai_prices.data import providers

from promptwatch.server.services.pricing import PriceBook, Priced, PriceOverride

AT = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
M = 1_000_000
TABLE = f"genai-prices-{version('genai-prices')}"


@pytest.fixture(scope="module")
def book():
    return PriceBook()


def test_version_names_the_installed_genai_prices(book):
    assert book.version == TABLE == "genai-prices-0.2.3"


@pytest.mark.parametrize(
    ("model", "provider", "expected"),
    [
        ("gpt-4o", None, 2.50 + 10.00),
        ("gpt-4o", "openai", 2.50 + 10.00),
        ("gpt-4o-2024-08-06", None, 2.50 + 10.00),
        ("gpt-4o-mini", None, 0.15 + 0.60),
        ("claude-3-5-sonnet-latest", None, 3.00 + 15.00),
        ("claude-3-5-sonnet-latest", "anthropic", 3.00 + 15.00),
        ("GPT-4o", " OpenAI ", 2.50 + 10.00),
    ],
)
def test_table_prices_per_million_tokens(book, model, provider, expected):
    assert book.cost(model, provider, M, M, AT) == Priced(pytest.approx(expected), TABLE)


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("openai/gpt-4o", None),
        ("openai/gpt-4o", "openai"),
        ("OpenAI/GPT-4o", None),
        ("gpt-4o", "azure"),
        ("gpt-4o", "my-gateway"),  # a provider genai-prices does not know: inferred from the model
    ],
)
def test_provider_prefixes_and_unknown_providers(book, model, provider):
    assert book.cost(model, provider, M, M, AT) == Priced(pytest.approx(12.50), TABLE)


def test_provider_prefixed_claude_and_openrouter_names(book):
    assert book.cost("anthropic/claude-3-5-sonnet-latest", None, M, M, AT).cost == pytest.approx(18.00)
    assert book.cost("openai/gpt-4o-mini", "openrouter", M, M, AT).cost == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("claude-3-5-sonnet-20241022", "openai"),  # an OpenAI-compatible gateway in front of Anthropic
        ("claude-3-5-sonnet-20241022", "OpenAI"),
        ("anthropic/claude-3-5-sonnet-20241022", "openai"),
    ],
)
def test_a_model_missing_from_the_named_providers_table_is_priced_by_its_name(book, model, provider):
    assert book.cost(model, provider, 1_000, 100, AT) == book.cost(model, None, 1_000, 100, AT)
    assert book.cost(model, provider, M, M, AT) == Priced(pytest.approx(3.00 + 15.00), TABLE)


def test_the_named_providers_own_price_still_comes_first(book):
    # Groq lists mixtral-8x7b-32768 at $0.24 / $0.24; by its name alone it is Mistral's, at $0.70 / $0.70
    assert book.cost("mixtral-8x7b-32768", "groq", M, M, AT).cost == pytest.approx(0.48)
    assert book.cost("mixtral-8x7b-32768", None, M, M, AT).cost == pytest.approx(1.40)


def test_a_gateway_call_takes_the_accounts_override_first(book):
    overrides = [override(6, "claude-3-5-sonnet-20241022", 1.0, 1.0, AT)]
    assert book.cost("claude-3-5-sonnet-20241022", "openai", M, M, AT, overrides) == Priced(2.0, "override:6")


def test_a_model_no_table_knows_stays_unpriced_with_any_provider(book):
    assert book.cost("no-such-model-xyz", "openai", 1_000, 1_000, AT) == Priced(None, None)


def test_small_counts_and_missing_counts(book):
    assert book.cost("gpt-4o", None, 1_000, 500, AT).cost == pytest.approx(0.0025 + 0.005)
    assert book.cost("gpt-4o", None, 1_000, None, AT).cost == pytest.approx(0.0025)
    assert book.cost("gpt-4o", None, None, 500, AT).cost == pytest.approx(0.005)
    assert book.cost("gpt-4o", None, 0, 0, AT) == Priced(0.0, TABLE)
    assert book.cost("gpt-4o", None, None, None, AT) == Priced(None, None)


@pytest.mark.parametrize("model", [None, "", "no-such-model-xyz", "acme/no-such-model", "ft:gpt-4o:a::x"])
def test_unknown_models_are_unpriced(book, model):
    assert book.cost(model, None, 1_000, 1_000, AT) == Priced(None, None)


def test_tiered_prices_apply_to_the_whole_call_above_the_threshold(book):
    # claude-sonnet-4-5: $3 / $15 per MTok up to 200k input tokens, $6 / $22.50 above
    assert book.cost("claude-sonnet-4-5", None, 200_000, M, AT).cost == pytest.approx(0.6 + 15.0)
    assert book.cost("claude-sonnet-4-5", None, 200_001, M, AT).cost == pytest.approx(200_001 * 6 / M + 22.5)


def test_per_request_fees_are_priced_by_genai_prices_itself(book):
    # perplexity sonar: $1 / $1 per MTok plus $12 per thousand requests
    assert book.cost("sonar", "perplexity", M, M, AT).cost == pytest.approx(2.012)


def override(id, model, input_per_mtok, output_per_mtok, effective_from):
    return PriceOverride(id, model, input_per_mtok, output_per_mtok, effective_from)


def test_override_beats_the_table(book):
    overrides = [override(7, "GPT-4o", 1.0, 2.0, AT - timedelta(days=1))]
    assert book.cost("gpt-4o", "openai", M, M, AT, overrides) == Priced(3.0, "override:7")


def test_override_prices_a_model_the_table_does_not_know(book):
    overrides = [override(8, "ft:gpt-4o-mini:acme::abc", 0.3, 1.2, AT)]
    assert book.cost("ft:gpt-4o-mini:acme::abc", None, M, 2 * M, AT, overrides) == Priced(2.7, "override:8")


def test_override_not_yet_effective_is_ignored(book):
    overrides = [override(9, "gpt-4o", 1.0, 2.0, AT + timedelta(seconds=1))]
    assert book.cost("gpt-4o", None, M, M, AT, overrides) == Priced(pytest.approx(12.5), TABLE)


def test_latest_effective_override_wins(book):
    overrides = [
        override(1, "custom-llm", 1.0, 1.0, AT - timedelta(days=30)),
        override(2, "custom-llm", 2.0, 2.0, AT - timedelta(days=1)),
        override(3, "custom-llm", 3.0, 3.0, AT + timedelta(days=1)),
        override(4, "other-llm", 4.0, 4.0, AT - timedelta(days=2)),
    ]

    def at(moment):
        return book.cost("custom-llm", None, M, M, moment, overrides)

    assert at(AT) == Priced(4.0, "override:2")
    assert at(AT - timedelta(days=10)) == Priced(2.0, "override:1")
    assert at(AT - timedelta(days=31)) == Priced(None, None)


def test_overrides_need_a_model_and_tokens(book):
    overrides = [override(5, "custom-llm", 1.0, 1.0, AT)]
    assert book.cost("custom-llm", None, None, None, AT, overrides) == Priced(None, None)
    assert book.cost(None, None, M, M, AT, overrides) == Priced(None, None)


def test_each_model_and_provider_is_resolved_once():
    book = PriceBook(cache_size=2)
    for _ in range(3):
        book.cost("gpt-4o-mini", "openai", 10, 10, AT)
        book.cost("GPT-4o-mini", "OpenAI", 10, 10, AT)  # the same entry: names are compared lower-cased
    book.cost("no-such-model-xyz", None, 10, 10, AT)
    book.cost("no-such-model-xyz", None, 10, 10, AT)  # misses are cached too
    info = book.cache_info()
    assert (info.hits, info.misses, info.maxsize, info.currsize) == (6, 2, 2, 2)


def test_every_table_model_costs_what_calc_price_says(book):
    """The cached rates reproduce genai-prices for every model: tiers, price changes, off-peak hours."""
    compared = 0
    for provider_id, model_id, at, prompt, completion in _table_cases():
        usage = Usage(input_tokens=prompt, output_tokens=completion)
        try:
            expected = calc_price(usage, model_id, provider_id=provider_id, genai_request_timestamp=at)
        except LookupError:  # an id that its own match rules do not accept
            continue
        priced = book.cost(model_id, provider_id, prompt, completion, at)
        case = (provider_id, model_id, at, prompt)
        assert priced.cost == pytest.approx(float(expected.total_price), rel=1e-9, abs=1e-12), case
        compared += 1
    assert compared > 15_000


def _table_cases():
    moments = [
        datetime(2024, 6, 1, 12, tzinfo=timezone.utc),
        datetime(2026, 11, 29, 3, tzinfo=timezone.utc),
        datetime(2026, 11, 29, 18, tzinfo=timezone.utc),
    ]
    # below, across and far above the 128k / 200k / 272k input tiers
    counts = [(1_234, 567), (250_000, 10_000), (300_000, 1)]
    for provider in providers:
        for model in provider.models:
            for at in moments:
                for prompt, completion in counts:
                    yield provider.id, model.id, at, prompt, completion
