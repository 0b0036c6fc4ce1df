"""Text helpers every step of the compiler shares: whitespace and punctuation tidying, the
case-folded key words are compared by, cutting a phrase out of a request, and the regex
fragments built from the vocabulary (attributes, style words, phrase boundaries)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..vocabulary import COLORS, FINISHES, SHAPES, SIZES, STYLES

ATTR = (
    r"(?:(?:"
    + "|".join(SHAPES)
    + r")\s+shaped|"
    + "|".join(sorted((*COLORS, *FINISHES, *SIZES), key=len, reverse=True))
    + r")\b"
)

ATTR_SEQ = rf"{ATTR}(?:(?:\s*,\s*(?:and\s+)?|(?<!black)\s+and\s+|\s+){ATTR})*"
"""Attributes in a row: "shiny red", "sparkly and purple", "tiny, fluffy and white" (but
"black and white" is a style)."""
ATTR_RE = re.compile(ATTR, re.I)

BOUNDARY = (
    r"(?:in|on|at|with|without|under|over|near|by|from|for|to|into|onto|inside|outside|behind"
    r"|beside|next|against|among|through|across|around|above|below|while|during|wearing"
    r"|dressed|as|\w+ing)\b"
)

STYLE_WORDS = "(?:" + "|".join(STYLES) + ")"

STYLE_NOUNS = (
    r"(?:style|painting|drawing|sketch|illustration|portrait|render|rendering|art|artwork|photo"
    r"|photograph|film|movie|poster|cartoon|comic|sculpture|figure|figurine|character)"
)
"""What may follow a style word in a scene: "a watercolor painting", "anime style"."""

WS = re.compile(r"\s+")

STYLE_NOUN = (
    r"(?:painting|drawing|sketch|illustration|portrait|render|rendering|photo|photograph|poster|cartoon"
    r"|woodcut|linocut|engraving|etching|mosaic|mural|doodle"
    r"|comic|sculpture|statue|figure|figurine|character|caricature|film|movie)"
)
"""What a request may lead with: "a watercolor painting of Rex"."""

_ENDS_WITH_STYLE_NOUN = re.compile(rf"\b{STYLE_NOUN}$", re.I)


_SAID_WITH_A_VOWEL = re.compile(r"(?:[aeiou]|8|18\b|18\d\d|11\b|11\d\d)", re.I)


def article(words: str) -> str:
    """ "a" or "an", by how the words are said: "an oil painting", "an 80s poster"."""
    return "an" if _SAID_WITH_A_VOWEL.match(words) else "a"


def style_phrase(words: str) -> str:
    """How a style reads at the end of a prompt: "a watercolor" → "as a watercolor",
    "oil painting" → "as an oil painting", "anime style" → "in anime style"."""
    words = tidy(words)
    if re.match(r"an?\s", words, re.I):
        return f"as {words}"
    words = re.sub(r"[\s-]+style$", "", words, flags=re.I)  # "anime style", "ghibli-style"
    if _ENDS_WITH_STYLE_NOUN.search(words):
        return f"as {article(words)} {words}"
    return f"in {words} style"


_TIDY_BEFORE_PUNCT = re.compile(r"\s+([,;])")

_TIDY_REPEATED_PUNCT = re.compile(r"([,;])(?:\s*[,;])+")


_EDGE_PUNCT = " ,;:-&."

_LEADING_JUNK = frozenset({"and", "or", "of", "plus"})


_TRAILING_JUNK = frozenset({"and", "or", "of", "with", "plus", "to"})


def tidy(text: str) -> str:
    """Whitespace and punctuation left behind when a phrase is cut out of the middle."""
    if "  " in text or "\t" in text or "\n" in text:
        text = WS.sub(" ", text)
    if "," in text or ";" in text:
        text = _TIDY_BEFORE_PUNCT.sub(r"\1", text)
        text = _TIDY_REPEATED_PUNCT.sub(r"\1", text)
    while True:
        text = text.strip(_EDGE_PUNCT)
        head, _, rest = text.partition(" ")
        if head.lower() in _LEADING_JUNK:
            text = rest
            continue
        rest, _, tail = text.rpartition(" ")
        if rest and tail.lower() in _TRAILING_JUNK:
            text = rest
            continue
        return text


def take(
    pattern: re.Pattern[str], text: str, cues: tuple[str, ...] = ()
) -> tuple[re.Match[str] | None, str]:
    """Cut the first match out of the text. ``cues``: substrings one of which every match
    contains; checking them first skips most regex scans (the compiler runs every turn)."""
    if cues:
        lowered = text.lower()
        if not any(cue in lowered for cue in cues):
            return None, text
    match = pattern.search(text)
    if match is None:
        return None, text
    return match, tidy(text[: match.start()] + " " + text[match.end() :])


def has_any(text: str, cues: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(cue in lowered for cue in cues)


def alternation(words: Iterable[str]) -> str:
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered)


def fold(text: str) -> str:
    return WS.sub(" ", text.strip().casefold())
