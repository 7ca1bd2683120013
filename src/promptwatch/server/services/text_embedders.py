"""The server's text embedders for the semantic cache: one interface, each with a name stored per entry.

An entry embedded by one embedder never matches a lookup made with another, so changing the embedder (or
its version) starts the text entries afresh instead of comparing incomparable vectors. Each embeds a prompt
with its English contractions written out (`cache_matching.expand_contractions`), as the guards read it: "What's
the time?" and "What is the time?" get one vector. That keeps the vector space, and so the name: an entry
embedded before, contractions and all, still scores close to its written-out form.

- `StaticModelEmbedder` (`pw-m2v-minilm-256-int8-v1`, the default): a model2vec static model distilled from
  all-MiniLM-L6-v2 (`server/embedding_model/`, built by scripts/build_embedding_model.sh), 256 dimensions.
  It knows synonyms and rewordings; loaded from the package's own files, lazily, once per process.
- `HashedNgramEmbedder` (`pw-hash-ngram-512-v1`): hashed word and character n-grams, no dependency; the
  fallback when model2vec is not installed, and the SDK's offline evaluator.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path
from typing import Protocol

from promptwatch.schema import text_embedding

from .cache_matching import expand_contractions

MODEL_DIR = Path(__file__).resolve().parents[1] / "embedding_model"


class TextEmbedder(Protocol):
    name: str  # stored with each entry: vectors of different embedders are never compared
    default_similarity: float  # the gate of a text lookup that sends no `min_similarity`

    def embed(self, text: str) -> list[float]:
        """The unit-length vector of `text`, its contractions written out."""
        ...


class HashedNgramEmbedder:
    name = text_embedding.EMBEDDER_NAME
    default_similarity = 0.55

    def embed(self, text: str) -> list[float]:
        return text_embedding.embed_text(expand_contractions(text))


class StaticModelEmbedder:
    name = "pw-m2v-minilm-256-int8-v1"
    default_similarity = 0.61  # midway between unrelated (<= 0.51) and paraphrases (>= 0.71) of the tuning half

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self._model_dir = model_dir

    def embed(self, text: str) -> list[float]:
        vector = _static_model(str(self._model_dir)).encode([expand_contractions(text)])[0]
        return text_embedding.normalized(vector.astype(float).tolist())


_load_lock = threading.Lock()


def _static_model(model_dir: str):
    with _load_lock:  # concurrent first lookups wait for one load
        return _loaded(model_dir)


@functools.cache
def _loaded(model_dir: str):
    from model2vec import StaticModel

    return StaticModel.from_pretrained(model_dir, force_download=False)


def static_model_available(model_dir: Path = MODEL_DIR) -> bool:
    return importlib.util.find_spec("model2vec") is not None and (model_dir / "model.safetensors").is_file()


def default_text_embedder() -> TextEmbedder:
    """The static model when model2vec and its files are installed, else the hashed n-grams."""
    return StaticModelEmbedder() if static_model_available() else HashedNgramEmbedder()
