"""The ToyWorld tokenizer: the tiny offline CLIP BPE tokenizer with the world's words added.

Built the same way as ``trainer.tiny.tiny_tokenizer`` (byte-level fallback, one merge chain per
whole word), so every word of every caption is one token and a DreamBooth identifier such as
``sks`` falls back to a few byte tokens, as rare tokens do in real CLIP.
"""

from __future__ import annotations

from ..tiny import _WORDS as _TINY_WORDS
from ..tiny import _byte_alphabet
from .world import CLASSES, PALETTE, SCENES

__all__ = ["MAX_LENGTH", "WORDS", "toyworld_tokenizer"]

MAX_LENGTH = 32
"""Captions are ≤ 12 tokens; 32 leaves room for user prompts and keeps the encoder cheap."""

WORDS = tuple(
    dict.fromkeys(
        [
            *_TINY_WORDS,
            *CLASSES,
            *PALETTE,
            *SCENES,
            "pink",
            "purple",
            "teal",
            "spots",
            "band",
        ]
    )
)


def toyworld_tokenizer(max_length: int = MAX_LENGTH):
    from transformers import CLIPTokenizer

    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in _byte_alphabet():
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(ch + "</w>", len(vocab))
    merges: list[tuple[str, str]] = []
    for word in WORDS:
        # Apply the merges so far, as BPE will, then join what is left left to right: a word
        # whose letters an earlier word already merged ("ro" of "robot" in "brown") still ends
        # as one token.
        pieces = _apply(merges, [*word[:-1], word[-1] + "</w>"])
        while len(pieces) > 1:
            merges.append((pieces[0], pieces[1]))
            pieces = [pieces[0] + pieces[1], *pieces[2:]]
            vocab.setdefault(pieces[0], len(vocab))
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges)  # type: ignore[arg-type]
    tokenizer.model_max_length = max_length
    return tokenizer


def _apply(merges: list[tuple[str, str]], pieces: list[str]) -> list[str]:
    rank = {pair: i for i, pair in enumerate(merges)}
    while len(pieces) > 1:
        pairs = [
            (rank.get(pair, len(rank)), i)
            for i, pair in enumerate(zip(pieces, pieces[1:], strict=False))
        ]
        best, i = min(pairs)
        if best == len(rank):
            break
        pieces = [*pieces[:i], pieces[i] + pieces[i + 1], *pieces[i + 2 :]]
    return pieces
