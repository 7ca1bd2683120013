"""`@observe(as_type="embedding")` and `span(..., as_type="embedding")`: the texts become the prompt, the `model`
argument the model, an OpenAI-style result its usage and its counts of vectors and dimensions, never the vectors."""

from __future__ import annotations

import asyncio
import json
from fractions import Fraction
from types import SimpleNamespace

import pytest

import promptwatch
from promptwatch import observe, span
from promptwatch.sdk._shapes import embedding_outputs

MODEL = "text-embedding-3-small"


def _response(*vectors, prompt_tokens=5, model=MODEL):
    """An `openai` CreateEmbeddingResponse as the client returns it: objects, not dicts."""
    data = [SimpleNamespace(object="embedding", index=i, embedding=v) for i, v in enumerate(vectors)]
    usage = SimpleNamespace(prompt_tokens=prompt_tokens, total_tokens=prompt_tokens)
    return SimpleNamespace(object="list", data=data, model=model, usage=usage)


def _recorded(sdk) -> dict[str, dict]:
    promptwatch.flush(5)
    assert not sdk.invalid, sdk.invalid
    return {item["name"]: item for item in sdk.latest_activities().values()}


def test_an_embedding_function_records_its_texts_model_settings_usage_and_counts(sdk):
    @observe(as_type="embedding", name="embed")
    def embed(texts, model, dimensions=None):
        return _response(*([0.25, -0.5, 0.125] for _ in texts), prompt_tokens=7)

    embed(["first text", "second text"], model=MODEL, dimensions=3)
    record = _recorded(sdk)["embed"]
    assert record["activity_type"] == "embedding"
    assert (record["prompt"], record["model"]) == (["first text", "second text"], MODEL)
    assert record["settings"] == {"dimensions": 3}
    assert record["usage"] == {"prompt_tokens": 7, "total_tokens": 7}
    assert record["outputs"] == {"vectors": 2, "dimensions": 3}  # the shape instrument_openai records
    assert "0.125" not in json.dumps(record) and "inputs" not in record  # never the vectors


def test_the_prompt_is_the_input_argument_or_the_one_argument_left(sdk):
    @observe(as_type="embedding", name="query")
    def embed_query(query):
        return [0.5] * 8

    @observe(as_type="embedding", name="openai-style")
    def create(input, model, encoding_format="float", user=None):
        return _response([0.5, 0.5])

    @observe(as_type="embedding", name="tokens")
    def embed_tokens(ids, model):
        return [[0.5, 0.5]]

    embed_query("where is the manual?")
    create(input="one text", model=MODEL, encoding_format="float", user="u-1")
    embed_tokens([[101, 2023, 102]], model=MODEL)
    records = _recorded(sdk)
    assert records["query"]["prompt"] == "where is the manual?" and "model" not in records["query"]
    assert records["query"]["outputs"] == {"vectors": 1, "dimensions": 8}
    assert records["openai-style"]["prompt"] == "one text"
    assert records["openai-style"]["settings"] == {"encoding_format": "float", "user": "u-1"}  # named input: the rest
    assert records["tokens"]["prompt"] == ""  # token ids are no text, as instrument_openai records them


def test_the_model_that_answered_is_the_model_when_no_argument_names_one(sdk):
    @observe(as_type="embedding", name="fixed")
    def fixed(texts):
        return _response([1.0, 0.0], model="text-embedding-3-large")

    @observe(as_type="embedding", name="asked")
    def asked(texts, model):
        return _response([1.0, 0.0], model="text-embedding-3-small-2025")

    fixed(["a"])
    asked(["a"], MODEL)
    records = _recorded(sdk)
    assert records["fixed"]["model"] == "text-embedding-3-large"
    assert records["asked"]["model"] == MODEL


def test_what_the_app_sets_wins_and_capture_output_false_still_keeps_the_counts(sdk):
    @observe(as_type="embedding", name="updated")
    def updated(texts, model):
        promptwatch.current_activity().update(usage={"prompt_tokens": 40}, provider="openai")
        return _response([1.0, 0.0], prompt_tokens=3)

    @observe(as_type="embedding", name="quiet", capture_output=False)
    def quiet(texts, model):
        return _response([1.0, 0.0, 0.0], prompt_tokens=3)

    updated(["a"], MODEL)
    quiet(["b"], MODEL)
    records = _recorded(sdk)
    assert (records["updated"]["usage"], records["updated"]["provider"]) == ({"prompt_tokens": 40}, "openai")
    assert records["updated"]["outputs"] == {"vectors": 1, "dimensions": 2}
    assert records["quiet"]["outputs"] == {"vectors": 1, "dimensions": 3}  # counts, not values
    assert records["quiet"]["usage"] == {"prompt_tokens": 3, "total_tokens": 3}


def test_a_failed_call_records_its_error_and_no_outputs(sdk):
    @observe(as_type="embedding", name="failing")
    def failing(texts, model):
        raise RuntimeError("rate limited")

    with pytest.raises(RuntimeError):
        failing(["a"], MODEL)
    record = _recorded(sdk)["failing"]
    assert record["error"] == "RuntimeError: rate limited" and record["prompt"] == ["a"]
    assert "outputs" not in record and "usage" not in record


def test_a_large_batch_is_counted_whole_from_the_result_not_from_a_bounded_copy(sdk):
    np = pytest.importorskip("numpy")  # the server's; the SDK reads an array by its `shape` alone
    vectors = np.zeros((1000, 384), dtype=np.float32)
    with span("batch", as_type="embedding", inputs={"texts": ["t"] * 3, "model": MODEL}) as s:
        s.set_output(vectors)
    with span("listed", as_type="embedding") as s:
        s.set_output([[0.0] * 1536 for _ in range(300)])
    records = _recorded(sdk)
    assert records["batch"]["outputs"] == {"vectors": 1000, "dimensions": 384}
    assert (records["batch"]["prompt"], records["batch"]["model"]) == (["t", "t", "t"], MODEL)
    assert records["listed"]["outputs"] == {"vectors": 300, "dimensions": 1536} and records["listed"]["prompt"] == ""


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (_response([0.1, 0.2], [0.3, 0.4]), {"vectors": 2, "dimensions": 2}),
        ({"data": [{"embedding": [0.1] * 5}], "usage": {"prompt_tokens": 1}}, {"vectors": 1, "dimensions": 5}),
        (_response("AAAAAAAAAAAAAAAAAAAAAA=="), {"vectors": 1, "dimensions": 4}),  # base64 of 4 floats
        ([[0.1, 0.2, 0.3]] * 4, {"vectors": 4, "dimensions": 3}),
        ((0.1, 0.2), {"vectors": 1, "dimensions": 2}),
        ([], {"vectors": 0}),
        ("not vectors", None),
        ({"answer": 42}, None),
    ],
)
def test_embedding_outputs_counts_vectors_and_dimensions_of_what_came_back(result, expected):
    assert embedding_outputs(result) == expected


def test_embedding_outputs_reads_arrays_by_their_shape():
    np = pytest.importorskip("numpy")
    assert embedding_outputs(np.ones(7)) == {"vectors": 1, "dimensions": 7}
    assert embedding_outputs(np.ones((3, 5))) == {"vectors": 3, "dimensions": 5}
    assert embedding_outputs([np.ones(6), np.ones(6)]) == {"vectors": 2, "dimensions": 6}


class _Vector(list):
    """A vector that notes when something reads it whole, as copying it would."""

    def __iter__(self):
        self.read_whole = True
        return super().__iter__()


def test_a_generator_s_vectors_are_counted_as_it_yields_them_never_copied(sdk):
    yielded = [_Vector([0.25] * 1536) for _ in range(3)]

    @observe(as_type="embedding", name="one-by-one")
    def embed_each(texts, model):
        yield from yielded

    assert list(embed_each(["a", "b", "c"], MODEL)) == yielded
    record = _recorded(sdk)["one-by-one"]
    assert record["outputs"] == {"vectors": 3, "dimensions": 1536}  # not the 200 items of a bounded copy
    assert (record["prompt"], record["model"]) == (["a", "b", "c"], MODEL)
    assert not any(getattr(vector, "read_whole", False) for vector in yielded)


def test_an_async_generator_s_batches_add_up_with_their_usage(sdk):
    @observe(as_type="embedding", name="batches")
    async def embed_batches(texts):
        for start in range(0, len(texts), 2):
            await asyncio.sleep(0)
            yield _response(*([0.5] * 1024 for _ in texts[start : start + 2]), prompt_tokens=4)

    async def consume():
        return [batch async for batch in embed_batches(["a", "b", "c"])]

    assert len(asyncio.run(consume())) == 2
    record = _recorded(sdk)["batches"]
    assert record["outputs"] == {"vectors": 3, "dimensions": 1024}
    assert (record["usage"], record["model"]) == ({"prompt_tokens": 8, "total_tokens": 8}, MODEL)


def test_numbers_of_any_real_type_make_one_vector_but_bools_do_not():
    assert embedding_outputs([Fraction(1, 2), 1, 0.5]) == {"vectors": 1, "dimensions": 3}
    assert embedding_outputs([True, False, True]) == {"vectors": 3}


def test_numpy_numbers_and_arrays_are_counted_whole():
    np = pytest.importorskip("numpy")
    assert embedding_outputs(list(np.ones(1536, np.float32))) == {"vectors": 1, "dimensions": 1536}
    assert embedding_outputs([np.array(0.5)] * 4) == {"vectors": 1, "dimensions": 4}  # 0-d arrays
    assert embedding_outputs([list(np.ones(4, np.float32))] * 3) == {"vectors": 3, "dimensions": 4}
    assert embedding_outputs([[0.5] * 4] * 3) == {"vectors": 3, "dimensions": 4}
    assert embedding_outputs(np.ones((3, 1536), np.float32)) == {"vectors": 3, "dimensions": 1536}
    assert embedding_outputs(np.ones(1536, np.float32)) == {"vectors": 1, "dimensions": 1536}
    assert embedding_outputs([np.ones(1536, np.float32)] * 2) == {"vectors": 2, "dimensions": 1536}


def test_a_generator_of_numpy_vectors_is_counted_by_their_shape(sdk):
    np = pytest.importorskip("numpy")

    @observe(as_type="embedding", name="arrays")
    def embed_each(texts):
        for _ in texts:
            yield np.ones(1536, np.float32)

    assert len(list(embed_each(["a", "b"]))) == 2
    assert _recorded(sdk)["arrays"]["outputs"] == {"vectors": 2, "dimensions": 1536}
