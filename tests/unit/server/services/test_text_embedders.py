"""The semantic cache's text embedders: the static model ships inside the package and loads offline, once."""

from __future__ import annotations

import math

from promptwatch.schema import text_embedding
from promptwatch.server.services import text_embedders
from promptwatch.server.services.text_embedders import HashedNgramEmbedder, StaticModelEmbedder


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b))


def test_the_static_model_ships_with_its_licence_and_is_the_default():
    folder = text_embedders.MODEL_DIR
    assert (folder / "model.safetensors").stat().st_size < 8 * 2**20
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert "all-MiniLM-L6-v2" in (folder / "README.md").read_text()
    assert isinstance(text_embedders.default_text_embedder(), StaticModelEmbedder)


def test_static_vectors_are_unit_length_and_know_synonyms():
    embedder = StaticModelEmbedder()
    reset = embedder.embed("How do I reset my password?")
    change = embedder.embed("Steps to change the password of my account?")
    weather = embedder.embed("Will it rain in the mountains tomorrow?")
    assert len(reset) == 256 and math.isclose(math.fsum(x * x for x in reset), 1.0, rel_tol=1e-5)
    assert _cos(reset, change) > StaticModelEmbedder.default_similarity > _cos(reset, weather)


def test_the_model_is_loaded_once_per_process():
    StaticModelEmbedder().embed("one")
    before = text_embedders._loaded.cache_info()
    StaticModelEmbedder().embed("two")
    after = text_embedders._loaded.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1


def test_each_embedder_has_its_own_name():
    assert HashedNgramEmbedder.name == text_embedding.EMBEDDER_NAME
    assert StaticModelEmbedder.name != HashedNgramEmbedder.name
    assert HashedNgramEmbedder().embed("refund policy") == text_embedding.embed_text("refund policy")
