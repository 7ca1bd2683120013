"""A model named without a provider whose name no provider's naming rule claims (OpenAI's embedding models) is
priced by the table's listing of it, when every provider that lists it asks one price."""

from datetime import datetime, timezone

import pytest

from promptwatch.server.services.pricing import PriceBook, Priced

AT = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
M = 1_000_000


@pytest.fixture(scope="module")
def book():
    return PriceBook()


@pytest.mark.parametrize(
    ("model", "per_mtok"),
    [
        ("text-embedding-3-small", 0.02),  # listed by OpenAI and Azure, at one price
        ("Text-Embedding-3-Large", 0.13),
        ("text-embedding-ada-002", 0.10),  # OpenAI's alone
        ("embed-v4.0", 0.12),  # Cohere's
    ],
)
def test_an_embedding_model_without_a_provider_is_priced_by_its_listing(book, model, per_mtok):
    priced = book.cost(model, None, M, None, AT)
    assert priced == Priced(pytest.approx(per_mtok), book.version)
    assert book.cost(model, "my-gateway", M, None, AT) == priced  # a provider the table does not know: none


def test_only_a_name_listed_at_one_price_is_priced_by_its_listing(book):
    assert book.cost("text-embedding-3-small", None, M, M, AT).cost == pytest.approx(0.02)  # no output price
    # `ada`: Azure asks $0.10 per MTok, OpenAI $0.40 / $0.40; no name rule says whose it is
    assert book.cost("ada", None, M, M, AT) == Priced(None, None)
    assert book.cost("ada", "openai", M, M, AT).cost == pytest.approx(0.80)
