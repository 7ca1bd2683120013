"""Count OpenAI-style tokens offline, for activities that arrive without usage figures.

tiktoken's own `get_encoding()` downloads its vocabularies on first use, so this module never calls it:
it builds `tiktoken.Encoding` objects from the `o200k_base` and `cl100k_base` files shipped in
`promptwatch/server/data/tiktoken/` (see the LICENSE-NOTE there), checks them against the SHA-256 digests
tiktoken expects, and keeps one of each for the life of the process. Text that looks like a special token
(`<|endoftext|>`) is counted as the plain text it is.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import tiktoken
from tiktoken_ext.openai_public import ENDOFPROMPT, ENDOFTEXT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX

__all__ = ["count_message_tokens", "count_tokens", "encoding_name"]

# OpenAI's chat accounting: every message costs 3 tokens of framing (+1 if it carries a name), and
# every reply is primed with 3 more.
_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_NAME = 1
_REPLY_PRIMING = 3

# gpt-4 and gpt-3.5 era models use cl100k_base; everything newer, and anything we do not know, o200k_base.
_CL100K_PREFIXES = ("gpt-4", "gpt-3.5", "gpt-35", "text-embedding-", "davinci-002", "babbage-002")
_O200K_GPT4_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5")


@dataclass(frozen=True)
class _EncodingSpec:
    sha256: str  # of the decompressed file, as tiktoken_ext.openai_public expects it
    pat_str: str
    special_tokens: Mapping[str, int]


# pat_str and the special-token ids are local values inside tiktoken_ext.openai_public's constructors,
# which also download, so they are copied here; a unit test checks them against tiktoken's own.
_SPECS = {
    "o200k_base": _EncodingSpec(
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",  # noqa: E501
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",  # noqa: E501
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        special_tokens={ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
    "cl100k_base": _EncodingSpec(
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",  # noqa: E501
        special_tokens={
            ENDOFTEXT: 100257,
            FIM_PREFIX: 100258,
            FIM_MIDDLE: 100259,
            FIM_SUFFIX: 100260,
            ENDOFPROMPT: 100276,
        },
    ),
}


def encoding_name(model: str | None) -> str:
    """The encoding a model's tokens are counted with: `cl100k_base` or `o200k_base`.

    Decided by the name alone (a `provider/` or `ft:` prefix is ignored), so it never asks tiktoken,
    whose model table may lead to a download.
    """
    name = (model or "").strip().lower().rsplit("/", 1)[-1].removeprefix("ft:")
    if name.startswith(_CL100K_PREFIXES) and not name.startswith(_O200K_GPT4_PREFIXES):
        return "cl100k_base"
    return "o200k_base"


def count_tokens(text: str, model: str | None = None) -> int:
    """The number of tokens `text` encodes to for `model` (o200k_base when unknown)."""
    # encode_ordinary is encode(text, disallowed_special=()): special-token text counts as plain text
    return len(_encoding(encoding_name(model)).encode_ordinary(text))


def count_message_tokens(messages: Sequence[Mapping[str, Any]], model: str | None = None) -> int:
    """The prompt tokens of a chat: each message's role, name and text (`text` or `content`), plus framing."""
    encoding = _encoding(encoding_name(model))
    total = _REPLY_PRIMING
    for message in messages:
        total += _TOKENS_PER_MESSAGE
        total += len(encoding.encode_ordinary(message.get("role") or ""))
        total += len(encoding.encode_ordinary(_message_text(message)))
        if isinstance(name := message.get("name"), str) and name:
            total += _TOKENS_PER_NAME + len(encoding.encode_ordinary(name))
    return total


def _message_text(message: Mapping[str, Any]) -> str:
    """`text` (our clients) or `content` (OpenAI shape): a string, or a list of parts of which text counts."""
    content = message.get("text") or message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part["text"] for part in content if isinstance(part, dict) and "text" in part)
    return ""


@functools.cache
def _encoding(name: str) -> tiktoken.Encoding:
    spec = _SPECS[name]
    packaged = files("promptwatch.server.data") / "tiktoken" / f"{name}.tiktoken.gz"
    raw = gzip.decompress(packaged.read_bytes())
    if hashlib.sha256(raw).hexdigest() != spec.sha256:
        raise RuntimeError(f"the packaged {name} vocabulary is corrupt (SHA-256 mismatch)")
    pairs = (line.split() for line in raw.splitlines())
    ranks = {base64.b64decode(token): int(rank) for token, rank in pairs}
    return tiktoken.Encoding(
        name=name, pat_str=spec.pat_str, mergeable_ranks=ranks, special_tokens=dict(spec.special_tokens)
    )
