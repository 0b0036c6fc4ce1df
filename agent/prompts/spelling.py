"""Typo tolerance: a word the lexicon does not know that is one slip away from a word it does
("beech", "forrest", "paintng", "stlye") is read as that word.

Candidates come from a deletion index (each lexicon word under itself and under every way of
dropping one letter), so a word is checked against the few lexicon words that share all but a
letter with it, not against all of them. Candidates are ranked by a weighted edit distance in
which the slips people make most — a missing letter, two letters swapped — cost less than a
wrong letter, so "ocen" is "ocean", not "oven". What is never changed: everyday words
(``COMMON_WORDS``: "laying" is not "playing"), words shorter than four letters, capitalised
words (names, places) and the person's own subjects' names and tokens. Short words need an
exact first letter and one slip at most; only words of nine letters or more may take two.

Two narrower rules reach words the general one leaves alone. A three-letter word is corrected
only for two letters swapped ("bow tei", "dgo"): any other slip in three letters makes another
word more often than not ("cat", "car", "cap"). And an everyday word right where a place goes
("in the dessert", "on the cost") is read as the place it is a letter away from, when it is
not a picture word itself: nobody is in a dessert, but "a dessert" stays one.

A correction also has to fit the sentence: it may not break the a/an the person typed ("an amp"
stays an amp, not "an map"), and a plural is corrected by its stem ("spotlihgts" →
"spotlights" with only "spotlight" in the lexicon; "butterflys" → "butterflies").

A worn thing typed together with the word before it is the two words ("partyhat" → "party
hat"), and a word no list knows, where a place goes, may be one wrong letter of any kind from
the one place it is near ("on a yaght").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from ..vocabulary import (
    ACCESSORIES,
    ARTISTS,
    ATTRIBUTE_KIND,
    BARE_MODIFIERS,
    CHAT_SPELLINGS,
    CLASS_WORDS,
    COLORS,
    COMMON_WORDS,
    FINISHES,
    KIND_FAMILIES,
    OPEN_COMPOUNDS,
    PLACE_NAMES,
    PLACES,
    SCENE_WORDS,
    SHAPES,
    SIZES,
)

__all__ = ["LEXICON_WORDS", "MAKING_VERBS", "correct", "lexicon_hits", "making_verb"]

_WORD = re.compile(r"[A-Za-z][a-z]*(?:'[a-z]+)?")


def _words(phrases: Iterable[str]) -> set[str]:
    return {w for phrase in phrases for w in phrase.lower().split()}


_CUE_WORDS = frozenset(
    "again another without instead wearing holding sitting standing lying inside outside "
    "behind beside between picture photo please remove replace change bigger smaller version "
    "variation variant option different".split()
)
"""The grammar's own words, so "anotehr one" and "wering a hat" still read as they should."""

LEXICON_WORDS = frozenset(
    SCENE_WORDS
    | PLACE_NAMES
    | _words(COLORS)
    | _words(FINISHES)
    | _words(SIZES)
    | _words(SHAPES)
    | _words(ARTISTS)
    | _words(BARE_MODIFIERS)
    | _words(CLASS_WORDS)
    | _words(w for words in KIND_FAMILIES.values() for w in words)
    | _CUE_WORDS
)
"""The words of pictures: places, things, weather, materials, styles, artists, kinds."""

_KNOWN = LEXICON_WORDS | COMMON_WORDS

_MIN_LENGTH = 4
_ANY_SWAP = 6
"""From this length on, any wrong letter is one slip ("cowbow")."""
_LONG = 9
"""From this length on, two slips are allowed."""
_LEFT_OUT = 0.8
"""What a letter left out, or two swapped, costs."""
_ONCE = 0.5
"""What a doubled letter typed once costs ("balon", "sunglases"): the commonest slip of all."""


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


MAKING_VERBS = frozenset("draw paint sketch show make create generate render imagine".split())
"""The verbs a picture is asked for with."""

_GRAMMAR_WORDS = (
    frozenset("with into onto under around front same more like give".split()) | MAKING_VERBS
)
"""Words of the request's grammar that slip as often ("wiht", "mkae"): corrected to, but not
picture words (``lexicon_hits`` does not count them)."""


_DOUBLE = re.compile(r"([a-z])\1+")


def _single(word: str) -> str:
    """The word with each doubled letter typed once ("balloon" → "balon")."""
    return _DOUBLE.sub(r"\1", word)


def _build_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for word in sorted(LEXICON_WORDS | _GRAMMAR_WORDS):
        if len(word) < _MIN_LENGTH:
            continue
        for key in {word, *_deletions(word), _single(word)}:
            index.setdefault(key, []).append(word)
    return {key: tuple(words) for key, words in index.items()}


_INDEX = _build_index()

_THREE_LETTER = frozenset(w for w in _KNOWN if len(w) == 3)

_CUT_SHORT: dict[str, list[str]] = {}
for _word in sorted(LEXICON_WORDS):
    if len(_word) == _MIN_LENGTH:
        _CUT_SHORT.setdefault(_word[:-1], []).append(_word)


_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {
    (a, b)
    for r, row in enumerate(_KEYBOARD_ROWS)
    for c, a in enumerate(row)
    for rr in (r - 1, r, r + 1)
    if 0 <= rr < len(_KEYBOARD_ROWS)
    for cc in (c - 1, c, c + 1)
    if 0 <= cc < len(_KEYBOARD_ROWS[rr])
    for b in _KEYBOARD_ROWS[rr][cc]
    if b != a
}
_VOWELS = frozenset("aeiou")


def _swap_cost(typed: str, meant: str, far: float) -> float:
    """A wrong letter is a slip when it is a key next to the right one or a vowel for a vowel
    ("beech"); in a short word any other wrong letter more likely makes another word ("bench",
    "text"), so it costs ``far``."""
    if typed == meant:
        return 0.0
    if (typed, meant) in _NEIGHBOURS or (typed in _VOWELS and meant in _VOWELS):
        return 1.0
    return far


def _slips(typed: str, meant: str) -> float:
    """Weighted optimal-string-alignment distance: a letter left out (``forest`` typed
    ``forst``) or two swapped cost 0.8, a letter too many 0.9, a wrong letter 1 or 1.6."""
    far = 1.6 if len(typed) < _ANY_SWAP else 1.0
    rows, cols = len(typed) + 1, len(meant) + 1
    d = [[0.0] * cols for _ in range(rows)]
    for i in range(rows):
        d[i][0] = i * 0.9
    for j in range(cols):
        d[0][j] = j * 0.8
    for i in range(1, rows):
        for j in range(1, cols):
            once = j > 1 and meant[j - 1] == meant[j - 2]
            d[i][j] = min(
                d[i - 1][j] + 0.9,
                d[i][j - 1] + (_ONCE if once else 0.8),
                d[i - 1][j - 1] + _swap_cost(typed[i - 1], meant[j - 1], far),
            )
            if i > 1 and j > 1 and typed[i - 1] == meant[j - 2] and typed[i - 2] == meant[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 0.8)
    return d[-1][-1]


def _known(word: str) -> bool:
    if word in _KNOWN or (word[-1] != "s" and word + "s" in _KNOWN):  # "a present", "presents"
        return True
    for ending in ("s", "es", "ed", "ing", "'s"):  # "beaches", "painted", "skiing"
        stem = word[: -len(ending)]
        if word.endswith(ending) and stem in _KNOWN:
            return ending not in ("ed", "ing") or not _doubles(stem)  # not "swiming"
    if word[-2:] in ("ed", "er") and word[:-1] in _KNOWN:  # "changed", "larger"
        return True
    return word.endswith("ies") and word[:-3] + "y" in _KNOWN


def _doubles(stem: str) -> bool:
    """Whether a short stem doubles its last letter before "-ing"/"-ed" ("swim" → "swimming")."""
    vowels = "aeiou"
    return (
        2 < len(stem) <= 4
        and stem[-1] not in vowels + "wxy"
        and stem[-2] in vowels
        and stem[-3] not in vowels
    )


@lru_cache(maxsize=1024)
def making_verb(word: str) -> str | None:
    """The verb of making a word is a cheap slip of — a letter left out, doubled, swapped or
    one too many, never a wrong one ("draaw", "mkae", "craete"); for the intent parser, which
    reads the message before the compiler corrects it."""
    if len(word) < _MIN_LENGTH or not word.isalpha() or _known(word):
        return None
    near = [v for v in MAKING_VERBS if v[0] == word[0] and _slips(word, v) <= _EXTRA_LETTER]
    return near[0] if len(near) == 1 else None


def _fix(word: str) -> str | None:
    """The lexicon word ``word`` is a slip away from, if exactly one is nearest."""
    found = _nearest(word)
    return found[1] if found else None


def _swapped(word: str) -> tuple[float, str] | None:
    """The one three-letter word two swapped letters away ("tei" → "tie", "teh" → "the")."""
    found = {word[1] + word[0] + word[2], word[0] + word[2] + word[1]} & _THREE_LETTER
    return (_LEFT_OUT, found.pop()) if len(found) == 1 else None


_NOUN_BEFORE = re.compile(r"(?:^|\s)(?P<word>[a-z]+)\s+$", re.I)
_DETERMINERS = frozenset("a an the my his her their our your some".split())


def _cut_short(text: str, start: int, word: str) -> str | None:
    """The one four-letter picture word a three-letter word is with its last letter left out,
    where a noun goes — after an article or another picture word ("a birthday cak" → "cake",
    "under the tre"): a word cut short keeps the letters it has in place. Elsewhere ("so far",
    "how far") a three-letter word is more likely a word of its own."""
    found = _CUT_SHORT.get(word, [])
    if _known(word) or len(found) != 1:
        return None
    before = _NOUN_BEFORE.search(text, max(0, start - 16), start)
    if before is None:
        return None
    previous = before.group("word").lower()
    if previous in _DETERMINERS or previous in LEXICON_WORDS:
        return found[0]
    return None


@lru_cache(maxsize=4096)
def _nearest(word: str) -> tuple[float, str] | None:
    """The nearest lexicon word, or its plural when the word is a slipped plural of one
    ("spotlihgts" → "spotlights", though only "spotlight" may be in the lexicon; "puppys" →
    "puppies")."""
    if word.endswith("ys") and word[-3:-2] not in _VOWELS and word[:-1] in LEXICON_WORDS:
        return _LEFT_OUT, word[:-2] + "ies"  # "butterflys", "puppys"
    found = _nearest_form(word)
    if len(word) > _MIN_LENGTH and word[-1] == "s" and word[-2] not in "s'":
        stem = _nearest_form(word[:-1])
        if stem is not None and stem[0] <= 1.0 and (found is None or stem[0] < found[0]):
            return stem[0], _plural(stem[1])
    return found


def _plural(word: str) -> str:
    if word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in _VOWELS:
        return word[:-1] + "ies"  # "puppy" → "puppies", never "puppys"
    return word + ("es" if word.endswith(("x", "ch", "sh")) else "s")


def _nearest_form(word: str) -> tuple[float, str] | None:
    if len(word) == _MIN_LENGTH - 1 and not _known(word):
        return _swapped(word)
    if len(word) < _MIN_LENGTH or _known(word):
        return None
    keys = {word, *_deletions(word), _single(word)}
    if len(word) >= _LONG:
        keys |= {d2 for d in _deletions(word) for d2 in _deletions(d)}
    limit = 2.0 if len(word) >= _LONG else 1.0
    best: list[tuple[float, str]] = []
    for candidate in {c for key in keys for c in _INDEX.get(key, ())}:
        if len(word) < 6 and candidate[0] != word[0]:
            continue
        cost = _slips(word, candidate)
        if cost <= limit:
            best.append((cost, candidate))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[1][0] == best[0][0]:
        return None  # two words equally near: don't guess
    return best[0]


def _name_for(word: str, names: tuple[str, ...]) -> str | None:
    """The one subject name ``word`` is a slip away from ("Biscut" → "Biscuit")."""
    if len(word) < _MIN_LENGTH or _known(word):
        return None
    near = [
        n
        for n in names
        if n[0] == word[0] and abs(len(n) - len(word)) <= 1 and _slips(word, n) <= 1.0
    ]
    return near[0] if len(near) == 1 else None


_PLACE_SLOT = re.compile(
    r"\b(?:in|at|on|into|onto|across|through|to|near|by|around)\s+(?:the|a|an)\s+"
    r"(?P<word>[a-z]{4,})\b"
)
"""Where a request says a place: "in the ___"."""

_EXTRA_LETTER = 0.9
"""The dearest slip an everyday word in a place slot may be: a letter left out, two swapped or
one too many, never a wrong letter ("in the hall" is not "in the hill")."""


_ANY_LETTER = 1.6
"""What a word no list knows may be off by where a place goes: one wrong letter of any kind
("on a yaght"), as long as one place alone is that near."""


@lru_cache(maxsize=1024)
def _place_for(word: str) -> str | None:
    """The one place a word in a place slot is a slip from: an everyday word only a cheap slip
    ("dessert" → "desert"), a word nobody knows one wrong letter ("yaght" → "yacht")."""
    if word in LEXICON_WORDS or _known_form(word) or word in ACCESSORIES:
        return None
    unknown = not _known(word) and len(word) > _MIN_LENGTH
    limit = _ANY_LETTER if unknown else _EXTRA_LETTER
    keys = {word, *_deletions(word)}
    near = {
        place
        for key in keys
        for place in _INDEX.get(key, ())
        if place in PLACES
        and (not unknown or place[0] == word[0])
        and _slips(word, place) <= (limit if len(place) == len(word) else _EXTRA_LETTER)
    }
    return near.pop() if len(near) == 1 else None


def _places(text: str, protected: frozenset[str]) -> str:
    def fix(match: re.Match[str]) -> str:
        word = match.group("word")
        place = None if word in protected else _place_for(word)
        if place is None:
            return match.group(0)
        return match.group(0)[: match.start("word") - match.start()] + place

    return _PLACE_SLOT.sub(fix, text)


_ARTICLE_BEFORE = re.compile(r"(?:^|\s)(?P<article>an?)\s+$", re.I)


def _breaks_article(text: str, start: int, typed: str, meant: str) -> bool:
    """Whether the correction would break the agreement the typed word keeps with its article:
    "an amp" is an amp, not "an map"; "a ocen" may still be "a ocean"."""
    before = _ARTICLE_BEFORE.search(text, max(0, start - 4), start)
    if before is None:
        return False
    wants_vowel = before.group("article").lower() == "an"
    return (typed[0] in _VOWELS) == wants_vowel and (meant[0] in _VOWELS) != wants_vowel


def correct(text: str, protected: frozenset[str] = frozenset(), names: tuple[str, ...] = ()) -> str:
    """The text with each slipped lexicon word corrected; ``protected``: lower-case words never
    to touch (the person's subjects' names and tokens); ``names``: their names, lower case,
    which a slipped name is corrected to."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        lowered = word.lower()
        if lowered in protected:
            return word
        if word.islower() and (respelled := CHAT_SPELLINGS.get(word)):  # "at nite"; not "Lite"
            return respelled
        if names and (name := _name_for(lowered, names)):
            return name.title() if word[0].isupper() else name
        if word[0].isupper() and not word.isupper():  # a name, or a place ("Londn")
            place = _nearest(lowered) if len(word) >= 5 else None
            if place and place[1] in PLACE_NAMES and place[0] <= _LEFT_OUT:
                return place[1].title()  # only a letter left out or two swapped: not "Romeo"
            return word
        fixed = _fix(lowered)
        if fixed is None and len(lowered) == _MIN_LENGTH - 1 and word.islower():
            fixed = _cut_short(text, match.start(), lowered)
        if fixed is None and len(lowered) >= 2 * _MIN_LENGTH - 2:
            fixed = _split(lowered)
        if fixed is None or _breaks_article(text, match.start(), lowered, fixed):
            return word
        return fixed

    return _places(_joined(_WORD.sub(fix, text), protected), protected)


_HALF = 3
"""The shortest first half a run-together worn thing is split at ("partyhat" → "party hat")."""


@lru_cache(maxsize=1024)
def _split(word: str) -> str | None:
    """A worn thing typed together with the word before it ("partyhat", "tophat",
    "cowboyboots"): the two words, when the first is a picture word and there is one such
    split. Only worn things: other closed compounds are as often words of their own
    ("snowball", "blueprint", "cupboard")."""
    if _known(word):
        return None
    splits = [
        f"{word[:i]} {word[i:]}"
        for i in range(_HALF, len(word) - _HALF + 1)
        if word[:i] in LEXICON_WORDS
        and word[:i] not in ATTRIBUTE_KIND
        and (word[i:] in ACCESSORIES or word[i:].removesuffix("s") in ACCESSORIES)
    ]
    return splits[0] if len(splits) == 1 else None


_PAIR = re.compile(r"\b(?P<a>[a-z]{3,}) (?=(?P<b>[a-z]{3,})\b)")
"""A word and the next, which the match leaves in place so it may start a pair itself."""


def _joined(text: str, protected: frozenset[str]) -> str:
    """A compound typed as two words ("at sun set", "a tea cup", "by the fire place") is the
    compound the lexicon knows. Never joined: a colour or finish and a noun ("a green house" is
    green), a compound people write apart ("ice cream"), a half that names a subject ("my hot
    dog") or ends in "-ing" ("swimming pool")."""
    if " " not in text:
        return text
    parts: list[str] = []
    done = 0
    for match in _PAIR.finditer(text):
        a, b = match.group("a"), match.group("b")
        if match.start() < done or not _compound(a, b, protected):
            continue
        parts.append(text[done : match.start()] + a + b)
        done = match.end() + len(b)
    return "".join(parts) + text[done:] if parts else text


def _compound(a: str, b: str, protected: frozenset[str]) -> bool:
    whole = a + b
    return (
        whole in LEXICON_WORDS
        and whole not in OPEN_COMPOUNDS
        and a not in ATTRIBUTE_KIND
        and not a.endswith("ing")
        and a not in protected
        and b not in protected
    )


def lexicon_hits(text: str) -> int:
    """How many of the text's words are picture words (after correction)."""
    return sum(1 for w in _WORD.findall(text.lower()) if w in LEXICON_WORDS or _known_form(w))


def _known_form(word: str) -> bool:
    return any(word.endswith(e) and word[: -len(e)] in LEXICON_WORDS for e in ("s", "es"))
