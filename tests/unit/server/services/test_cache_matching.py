"""The semantic cache's guards: general rules about what differs between a stored and an asked prompt.

The examples are not the development set's pairs: each rule must hold on prompts it was not tuned on."""

from __future__ import annotations

import pytest

from promptwatch.server.services.cache_matching import (
    answer_kinds,
    differing_tokens_guard,
    input_values_guard,
    proper_nouns,
    units,
)

REFUSED = [
    ("How many calories are in 2 eggs?", "How many calories are in 3 eggs?", "a number differs"),
    ("Book a table for two people.", "Book a table for four people.", "a number differs"),
    ("Is the museum open on Mondays?", "Is the museum not open on Mondays?", "a negation differs"),
    ("The delivery arrived on time.", "The delivery never arrived on time.", "a negation differs"),
    ("Convert 5 pounds to kg.", "Convert 5 pounds to grams.", "a unit differs"),
    ("What is 30 USD in local money?", "What is 30 EUR in local money?", "a unit differs"),
    ("What is the population of Lisbon?", "What is the population of Porto?", "a name differs"),
    ("Summarise the Q3 report for ACME.", "Summarise the Q3 report for Initech.", "a name differs"),
    ("Who founded the Red Cross?", "When was the Red Cross founded?", "another kind of answer"),
    ("Where was the treaty signed?", "Why was the treaty signed?", "another kind of answer"),
    ("Translate from Spanish to Italian.", "Translate from Italian to Spanish.", "the same words in another direction"),
    ("Write a poem about autumn leaves.", "Write a poem about spring leaves.", "a substitution"),
    ("Show invoices paid before the deadline.", "Show invoices paid after the deadline.", "a substitution"),
    ("List the open tickets.", "List the open urgent tickets.", "a qualifier added or removed"),
]

SERVED = [
    ("How many calories are in 2 eggs?", "Two eggs contain how many calories?"),
    ("Write a haiku about the sea.", "Could you write me a haiku about the sea, please?"),
    ("Explain how photosynthesis works.", "How does photosynthesis work?"),
    ("What is the capital of Peru?", "Peru's capital city is what?"),
    ("Price of the plan in euros?", "Price of the plan in EUR?"),
    ("Calculate the area of a circle with radius 3.", "What is the area of a circle with radius 3?"),
]


@pytest.mark.parametrize(("stored", "asked", "reason"), REFUSED)
def test_a_near_miss_is_refused_with_its_reason(stored, asked, reason):
    assert (differing_tokens_guard(stored, asked) or "").startswith(reason)
    assert (differing_tokens_guard(asked, stored) or "").startswith(reason)


@pytest.mark.parametrize(("stored", "asked"), SERVED)
def test_a_rewording_passes(stored, asked):
    assert differing_tokens_guard(stored, asked) is None


def test_units_read_spellings_and_symbols_as_one_unit():
    assert units("Send €20 or 20 euros") == {"eur"}
    assert units("10 kilometres, 10 km, 3 miles") == {"km", "mile"}
    assert units("The second chapter") == set()


def test_proper_nouns_skip_sentence_starts_and_keep_acronyms():
    assert proper_nouns("Please ask Maria. Then call NASA in Houston.") == {"maria", "nasa", "houston"}
    assert proper_nouns("I think so. Really.") == set()


def test_answer_kinds_read_question_words_at_clause_starts():
    assert answer_kinds("Who wrote it?") == {"person"}
    assert answer_kinds("In which year did it open?") == {"time"}
    assert answer_kinds("List the people who left.") == set()


def test_template_inputs_are_guarded_one_by_one():
    assert input_values_guard({"city": "Rome"}, {"city": "Rome"}) is None
    assert input_values_guard({"city": "Rome"}, {"city": "Oslo"}) == "city: another value"
    assert input_values_guard({"city": "Rome"}, {"town": "Rome"}) == "other template inputs"
    assert (input_values_guard({"q": "flights to Rome in May"}, {"q": "flights to Rome in June"}) or "").startswith(
        "q:"
    )
