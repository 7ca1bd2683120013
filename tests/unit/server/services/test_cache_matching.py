"""The semantic cache's guards: general rules about what differs between a stored and an asked prompt.

The examples are not the development set's pairs: each rule must hold on prompts it was not tuned on."""

from __future__ import annotations

import pytest

from promptwatch.server.services.cache_matching import (
    answer_kinds,
    differing_tokens_guard,
    expand_contractions,
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
    # a contraction written out is the same word on both sides; the negation itself still counts
    ("I can't open the attachment.", "I can open the attachment.", "a negation differs"),
    ("We can not refund this order.", "We can refund this order.", "a negation differs"),
    ("Why doesn't the webhook fire?", "Why does the webhook fire?", "a negation differs"),
    ("They won't renew the contract.", "They will renew the contract.", "a negation differs"),
    ("What's the capital of Chile?", "What's the capital of Peru?", "a name differs"),
    ("I'd like to close my account.", "I'd like to open my account.", "a substitution"),
]

SERVED = [
    ("How many calories are in 2 eggs?", "Two eggs contain how many calories?"),
    ("Write a haiku about the sea.", "Could you write me a haiku about the sea, please?"),
    ("Explain how photosynthesis works.", "How does photosynthesis work?"),
    ("What is the capital of Peru?", "Peru's capital city is what?"),
    ("Price of the plan in euros?", "Price of the plan in EUR?"),
    ("Calculate the area of a circle with radius 3.", "What is the area of a circle with radius 3?"),
    # the same prompt with English contractions, straight or curly apostrophes
    ("What is the boiling point of water?", "What's the boiling point of water?"),
    ("What is Kubernetes?", "What’s Kubernetes?"),
    ("I cannot open the attachment.", "I can't open the attachment."),
    ("I cannot open the attachment.", "I can not open the attachment."),
    ("The webhook does not fire.", "The webhook doesn’t fire."),
    ("They will not renew the contract.", "They won't renew the contract."),
    ("You are not allowed to do that.", "You're not allowed to do that."),
    ("I have forgotten my PIN.", "I've forgotten my PIN."),
    ("I am locked out of Jira.", "I'm locked out of Jira."),
    ("I would like to close my account.", "I'd like to close my account."),
    ("We will send the invoice on Monday.", "We'll send the invoice on Monday."),
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


@pytest.mark.parametrize(
    ("written", "expanded"),
    [
        ("What's new?", "What is new?"),
        ("WHAT'S NEW?", "WHAT IS NEW?"),
        ("I can't, I can not, I cannot", "I cannot, I cannot, I cannot"),
        ("Don't, isn't, won't, shan't", "Do not, is not, will not, shall not"),
        ("they're, we'll, you've, I'm, let's", "they are, we will, you have, I am, let us"),
        ("It’s here", "It is here"),
        ("It's been a week", "It has been a week"),
        ("You'd better go; I'd rather stay", "You had better go; I would rather stay"),
        ("OpenAI'll answer", "OpenAI will answer"),
    ],
)
def test_contractions_are_written_out_in_their_case(written, expanded):
    assert expand_contractions(written) == expanded


@pytest.mark.parametrize(
    "kept",
    [
        "The Earth's radius",  # a possessive
        "Where I'd go",  # "'d": would or had, the next word does not tell
        "It can not only log but trace",  # "can not only ... but" is no negation
        "the ‘quoted’ word",  # quotes are not apostrophes
        "rock'n'roll",
    ],
)
def test_what_is_not_a_sure_contraction_is_kept(kept):
    assert expand_contractions(kept) == kept


def test_template_inputs_are_read_with_their_contractions_written_out():
    assert input_values_guard({"q": "I can't log in"}, {"q": "I cannot log in"}) is None
    assert (input_values_guard({"q": "I can't log in"}, {"q": "I can log in"}) or "").startswith("q: a negation")
