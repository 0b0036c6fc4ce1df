"""The content policy: which generation and training requests are refused, and how we say so.

It lives here, below every door: ``worker.services`` runs it on every generation (prompt,
negative prompt, and the person's own words when the prompt was compiled from them) and on
every training (the class noun, which goes into the training prompts), so the REST API, the
chat, MCP and ``/v1/chat/completions`` refuse the same requests with the same code
(``content_policy``) and message. ``person_classes`` is also the one list that says which
subjects are people: consent before training and the face check on photos use it.

The rule that matters most: no sexual, violent or demeaning images of a *person* subject. Those
adapters are trained on photos of real people, and a picture of a real person naked, hurt or
mocked can do them real harm whoever asked for it. Other subjects (a dog, a teapot) get more
room: "a dog fighting a pillow" or "a naked cat" are fine, while sexual content and gore are
refused for every subject.

How it matches, and the trade-offs:

- Word lists per category, in two scopes: ``person`` terms apply when a person is in the
  picture (a referenced subject of a person class, or a person named in the text: "with a
  woman"); ``any`` terms apply always. Lists, person classes and messages are a
  ``PolicyConfig`` with defaults here, extended from settings.
- Whole words only, with regular inflections (``stab`` matches "stabbed", "stabbing");
  ``=word`` for exactly that word (``=fat``, not "fated"), ``word*`` for a prefix and
  ``re:<regex>`` for the rest. Whole words keep "sexton", "Essex" and
  "headshot" out; deliberately absent single words ("shoot", "shot", "fight", "hang") keep
  "a photo shoot", "a shot of espresso", "a pillow fight" and "hanging out" allowed, at the price
  of needing phrases ("shot dead", "getting shot") for the harmful senses.
- Known innocent phrases ("shooting star", "skinny jeans", "ugly sweater", "nude lipstick",
  "playing dead") are removed before matching.
- A negative prompt is not a request for its words ("nsfw, nude" there asks for *less*), so
  only a category's ``negated_terms`` are looked for in it: clothing, when a person is in the
  picture, because removing clothes through the negative prompt is asking for a nude.
- Light obfuscation is undone first: accents, spaced or dotted letters ("n a k e d"), leetspeak
  ("n4ked", "k1ll"), stretched letters ("naaaked") and ``*`` for a letter ("s*x").
- It is a word list, not a classifier: it will miss a determined paraphrase and occasionally
  refuse an innocent sentence. It is the floor under the model's own judgement, and every
  refusal is logged (category, matched list entry, subject ids, a hash of the text — never the
  text itself) so false positives can be found and fixed in the lists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import InvalidSettings, PolicyViolation
from .settings import Settings

__all__ = [
    "DEFAULT_PERSON_CLASSES",
    "PolicyCategory",
    "PolicyConfig",
    "PolicyDecision",
    "PolicySubject",
    "check_request",
    "enforce",
    "policy_config",
]

logger = logging.getLogger("core.policy")

DEFAULT_PERSON_CLASSES: frozenset[str] = frozenset(
    "person people man men woman women boy girl child children kid kids baby babies toddler "
    "teen teenager adult human guy lady gentleman son daughter wife husband mom mum mother dad "
    "father brother sister grandma grandpa grandmother grandfather friend partner boyfriend "
    "girlfriend self me myself".split()
)
"""Class nouns whose subjects are people. ``me``/``myself`` count as a subject's class only."""


class PolicySubject(Protocol):
    """What the policy needs to know of a subject: ``core.domain.Subject`` and the agent's
    ``SubjectRef`` both fit."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def class_noun(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PolicyCategory:
    """One kind of refusal. ``{who}`` in a message becomes the subjects' names."""

    name: str
    person_terms: tuple[str, ...]
    any_terms: tuple[str, ...]
    person_message: str
    other_message: str
    negated_terms: tuple[str, ...] = ()
    """Refused in a *negative* prompt when a person is in the picture."""


_SEXUAL = PolicyCategory(
    name="sexual",
    any_terms=(
        "porn", "porno", "pornographic", "pornography", "xxx", "nsfw", "hentai", "sex",
        "sexual", "sexually", "having sex", "intercourse", "erotic", "erotica", "fetish", "bdsm",
        "bondage", "orgasm", "masturbat*", "genital*", "penis", "vagina", "sex toy", "lewd",
        "obscene", "rape", "molest*", "x rated", "onlyfans", "playboy",
    ),
    person_terms=(
        "nude", "naked", "nudity", "nudist", "topless", "bottomless", "undressed", "unclothed",
        "undress", "no clothes", "without clothes", "without any clothes", "with no clothes",
        "no clothing", "without clothing", "clothes off", "in the nude", "birthday suit",
        "wearing nothing", "nothing on", "lingerie", "underwear", "panties", "thong",
        "g string", "sexy", "seductive", "seductively", "sensual", "provocative", "stripper",
        "striptease", "strip club", "boobs", "breasts", "nipples", "cleavage", "see through",
        "wet t shirt", "skinny dipping",
        r"re:\b(?:take|takes|took|taking|rip|rips|ripped|ripping|pull|pulled|pulling)\s+"
        r"(?:off\s+)?(?:his|her|their|my|your|the)?\s*(?:clothes|clothing|dress|top|shirt"
        r"|pants|underwear)(?:\s+off)?\b",
    ),
    person_message=(
        "I can't make sexual or revealing pictures of real people — images like that can hurt "
        "the person in them, even as a joke. I'd love to make something else with {who}: a "
        "golden-hour portrait, a fun costume, or a trip to Paris."
    ),
    other_message=(
        "I can't make sexual content. I'm happy to put {who} in a fun scene instead — on the "
        "beach, in the snow, or wearing a party hat."
    ),
    negated_terms=(
        "clothes", "clothing", "clothed", "dressed", "garment", "underwear", "bra", "panties",
        "swimsuit", "swimwear", "bikini", "censored", "censorship",
    ),
)  # fmt: skip

_VIOLENCE = PolicyCategory(
    name="violence",
    any_terms=(
        "gore", "gory", "gruesome", "decapitat*", "behead", "dismember*", "mutilat*",
        "disembowel*", "eviscerat*", "covered in blood", "pool of blood", "blood splatter",
        "blood spatter", "blood soaked", "bloodbath", "bloody", "bleeding", "severed head",
        "severed limb", "entrails", "guts spilling", "spilled guts", "torture", "skinned alive",
        "burned alive", "burnt alive", "animal abuse", "abused", "kill", "murder", "slaughter",
        "massacre", "corpse", "carcass", "roadkill", "dead body", "lying dead", "found dead", "shot dead",
        "mangled", "impaled", "crucified", "hanged", "lynch", "suicide", "self harm",
    ),
    person_terms=(
        "dead", "death", "dying", "died", "getting shot", "gets shot", "being shot",
        "shot in the head", "shot in the chest", "shot in the back", "shot in the face",
        "gunshot", "gunned down", "gun to his head", "gun to her head",
        "gun to their head", "gun to the head", "gun to my head", "gun pointed at",
        "pointing a gun at", "firing squad", "bullet wound", "bullet hole", "execution",
        "executed", "stab", "knife to", "slit throat", "throat slit", "beat up", "beaten",
        "punch in the face", "kicked in the", "assault", "attacked", "strangle", "choke",
        "noose", "bruised", "black eye", "injured", "wounded", "bloodied", "broken bones",
        "hostage", "kidnapped", "tied up", "on fire", "electrocuted", "drowning", "drowned",
        "hit by a car", "run over by", "war victim",
        r"re:\b(?:shoot|shooting|shoots|stab|stabbing|punch|punching|hit|hitting|kick|kicking)"
        r"\s+(?:him|her|them|me|someone|somebody|people|a\s+(?:man|woman|person|child|kid))\b",
    ),
    person_message=(
        "I can't make pictures that show {who} hurt, in danger or hurting someone. How about an "
        "action-movie poster, a superhero costume, or an adventure in the mountains instead?"
    ),
    other_message=(
        "I can't make gory or cruel pictures, even of {who}. How about {who} as a brave "
        "explorer, in a superhero cape, or playing in the snow instead?"
    ),
)  # fmt: skip

_DEMEANING = PolicyCategory(
    name="demeaning",
    any_terms=(),
    person_terms=(
        "ugly", "hideous", "disgusting", "=fat", "obese", "fatso", "skinny", "anorexic",
        "stupid", "idiot", "moron", "retard", "retarded", "pathetic", "worthless", "humiliat*",
        "degrading", "mocking", "mocked", "making fun of", "ridicul*", "as a pig", "like a pig",
        "as a monkey", "like a monkey", "as an ape", "like an ape", "as a gorilla",
        "as a rat", "as a cockroach", "=slave", "=slaves", "in chains", "blackface", "yellowface",
        "brownface", "redface", "pooping", "peeing", "urinating", "defecating", "vomiting",
        "puking", "covered in poop", "covered in feces", "covered in vomit", "licking boots",
    ),
    person_message=(
        "I'd rather not make pictures that mock or belittle {who} — they tend to hurt, even "
        "when they're meant to be funny. I can make something playful instead: a silly hat, a "
        "cartoon style, or a costume party that's fun for everyone in it."
    ),
    other_message=(
        "I'd rather not make pictures meant to belittle someone. I can make something playful "
        "with {who} instead: a silly hat, a cartoon style, or a costume party."
    ),
)  # fmt: skip

DEFAULT_ALLOWED_PHRASES: tuple[str, ...] = (
    "shooting star", "photo shoot", "killing it", "dressed to kill", "bloody mary",
    "ugly sweater", "ugly christmas sweater", "skinny jeans", "skinny tie", "skinny latte",
    "play dead", "playing dead", "dead leaves", "dead end", "day of the dead", "death star",
    "the guts to", "nude lipstick", "nude lips", "nude color", "nude colour", "nude colored",
    "nude heels", "nude shoes", "nude tone", "nude palette", "nude makeup", "nude nails",
    "naked eye", "naked cake", "naked flame", "chicken breast", "off the beaten path",
    "beaten track", "beaten egg", "hair tied up", "tied up hair", "fat cat", "fat tire",
    "pillow fight", "food fight", "snowball fight", "water fight", "bleeding edge",
    r"re:\bbeat\s*up\s+(?:old\s+)?(?:car|truck|van|sofa|couch|chair|shoes|boots|jeans"
    r"|guitar|suitcase)s?\b",
)  # fmt: skip
"""Innocent phrases that contain a listed word; removed before matching."""


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    allowed: bool
    category: str | None = None
    message: str = ""
    """What to tell the person when refused: kind, and what they can ask for instead."""
    term: str | None = None
    """The list entry that matched (ours, never the person's words), for logs and tuning."""


# --- matching --------------------------------------------------------------------------------

_EXACT_WORDS = frozenset(
    "a an the any his her their my your our to in on of at off up by with me him them it".split()
)
_VOWELS = "aeiou"


def _inflections(word: str) -> set[str]:
    """Regular inflections, generously: a nonsense form ("nakeds") costs nothing."""
    if word in _EXACT_WORDS or len(word) < 3:
        return {word}
    forms = {word, f"{word}s", f"{word}es", f"{word}ed", f"{word}d", f"{word}ing"}
    if word.endswith("e"):
        forms.add(f"{word[:-1]}ing")
    if word.endswith("y") and word[-2] not in _VOWELS:
        forms |= {f"{word[:-1]}ies", f"{word[:-1]}ied"}
    if word[-1] not in _VOWELS + "wxy" and word[-2] in _VOWELS and word[-3] not in _VOWELS:
        forms |= {f"{word}{word[-1]}ed", f"{word}{word[-1]}ing"}
    return forms


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9*]+", text.lower()) if w]


@dataclass(frozen=True)
class _Terms:
    """One word list, indexed for lookups by word sequence instead of one huge regex: a
    request is checked in tens of microseconds whatever the length of the lists."""

    terms: tuple[str, ...]
    sequences: dict[tuple[str, ...], int]
    starts: frozenset[str]
    """First words of the sequences: most tokens are not one, and are skipped at once."""
    prefixes: tuple[tuple[str, int], ...]
    patterns: tuple[tuple[re.Pattern[str], int], ...]
    longest: int

    @classmethod
    def build(cls, terms: Iterable[str]) -> _Terms:
        terms = tuple(terms)
        sequences: dict[tuple[str, ...], int] = {}
        prefixes, patterns = [], []
        for index, term in enumerate(terms):
            if term.startswith("re:"):
                patterns.append((re.compile(term[3:]), index))
                continue
            exact = term.startswith("=")
            words = _words(term)
            if len(words) == 1 and words[0].endswith("*"):
                prefixes.append((words[0].rstrip("*"), index))
                continue
            spellings: list[tuple[str, ...]] = [()]
            for position, word in enumerate(words):
                # Inner words of a phrase stay as written ("covered *in* blood").
                inflect = not exact and position in (0, len(words) - 1)
                forms = _inflections(word) if inflect else {word}
                spellings = [(*s, form) for s in spellings for form in forms]
            for spelling in spellings:
                sequences.setdefault(spelling, index)
        longest = max((len(k) for k in sequences), default=0)
        starts = frozenset(k[0] for k in sequences)
        return cls(terms, sequences, starts, tuple(prefixes), tuple(patterns), longest)

    def spans(self, tokens: Sequence[str]) -> Iterable[tuple[int, int, int]]:
        """``(start, end, term index)`` of every listed sequence among the tokens."""
        stems = tuple(prefix for prefix, _ in self.prefixes)
        for start, token in enumerate(tokens):
            if token in self.starts:
                for end in range(start + 1, min(start + self.longest, len(tokens)) + 1):
                    index = self.sequences.get(tuple(tokens[start:end]))
                    if index is not None:
                        yield start, end, index
            if stems and token.startswith(stems):
                for prefix, index in self.prefixes:
                    if token.startswith(prefix):
                        yield start, start + 1, index

    def first(self, tokens: Sequence[str]) -> str | None:
        for _, _, index in self.spans(tokens):
            return self.terms[index]
        if self.patterns:
            joined = " ".join(tokens)
            for pattern, index in self.patterns:
                if pattern.search(joined):
                    return self.terms[index]
        return None

    def mask(self, tokens: list[str]) -> list[str]:
        """The tokens with these phrases blanked out (the allowed-phrase guard)."""
        if self.patterns:
            joined = " ".join(tokens)
            for pattern, _ in self.patterns:
                joined = pattern.sub(lambda m: " ".join("_" * len(w) for w in m[0].split()), joined)
            tokens = joined.split(" ")
        masked = list(tokens)
        for start, end, _ in self.spans(tokens):
            masked[start:end] = [""] * (end - start)
        return masked


_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "0": "o", "5": "s", "$": "s", "7": "t",
                       "9": "g", "8": "b", "!": "i", "|": "l"})  # fmt: skip
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACED = re.compile(r"(?<![\w*@$])(?:[a-z0-9@$*][\s.\-_]){2,}[a-z0-9@$*](?![\w*@$])")
_MIXED_TOKEN = re.compile(
    r"(?<![a-z0-9@$!|*])(?=[a-z0-9@$!|*]*[a-z])(?=[a-z0-9@$!|*]*[0-9@$!|])[a-z0-9@$!|*]+"
)
"""A word that mixes letters with digits or symbols ("n4ked"), not a number ("2")."""
_STARRED = re.compile(r"\b[a-z]+(?:\*[a-z]*)+")
_INNER_SEPARATOR = re.compile(r"(?<=[a-z0-9])[.\-_'](?=[a-z0-9])")
_STRETCHED = re.compile(r"([a-z])\1{2,}")


def _deleet(text: str, one: str) -> str:
    def fix(match: re.Match[str]) -> str:
        return match.group(0).replace("1", one).translate(_LEET)

    return _MIXED_TOKEN.sub(fix, text)


def _expand_stars(text: str) -> str:
    """``s*x`` → ``sax sex six sox sux``: one of them is the word meant."""

    def expand(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.count("*") > 2:
            return token
        options = [token]
        while any("*" in option for option in options):
            options = [o.replace("*", v, 1) for o in options for v in _VOWELS]
        return " ".join(options)

    return _STARRED.sub(expand, text)


def _token_streams(text: str) -> list[list[str]]:
    """The text as written and undisguised, as lowercase word lists; matching runs on each.
    Hyphenated words appear split ("see through") and joined ("na-ked" → "naked")."""
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_ZERO_WIDTH).replace("’", "'")
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SPACED.sub(lambda m: re.sub(r"[\s.\-_]", "", m.group(0)), text)
    strings = [text]
    if _MIXED_TOKEN.search(text) or "*" in text:
        strings += [_expand_stars(_deleet(text, one)) for one in ("i", "l")]
    for string in list(strings):
        if _INNER_SEPARATOR.search(string):
            strings.append(_INNER_SEPARATOR.sub("", string))
        if _STRETCHED.search(string):
            strings.append(_STRETCHED.sub(r"\1", string))
    streams: dict[tuple[str, ...], None] = {}
    for string in strings:
        streams.setdefault(tuple(_words(string)), None)
    return [list(stream) for stream in streams]


@dataclass(frozen=True)
class PolicyConfig:
    """Everything the policy decides with. Build it with ``default()``, ``from_mapping()`` or
    ``from_settings()``; the compiled patterns are made once, here."""

    categories: tuple[PolicyCategory, ...]
    person_classes: frozenset[str] = DEFAULT_PERSON_CLASSES
    allowed_phrases: tuple[str, ...] = DEFAULT_ALLOWED_PHRASES
    _lists: tuple[tuple[PolicyCategory, _Terms, _Terms, _Terms], ...] = field(
        init=False, repr=False, compare=False
    )
    _allowed: _Terms = field(init=False, repr=False, compare=False)
    _people: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lists = tuple(
            (
                c,
                _Terms.build(c.any_terms),
                _Terms.build(c.person_terms),
                _Terms.build(c.negated_terms),
            )
            for c in self.categories
        )
        nouns = self.person_classes - {"me", "myself", "self"}
        people = {*nouns, *(f"{n}s" for n in nouns), "someone", "somebody", "persons", "humans"}
        object.__setattr__(self, "_lists", lists)
        object.__setattr__(self, "_allowed", _Terms.build(self.allowed_phrases))
        object.__setattr__(self, "_people", frozenset(people))

    @classmethod
    def default(cls) -> PolicyConfig:
        return cls(categories=(_SEXUAL, _VIOLENCE, _DEMEANING))

    def extended(
        self,
        *,
        person_classes: Iterable[str] = (),
        allowed_phrases: Iterable[str] = (),
        terms: Mapping[str, Iterable[str]] | None = None,
        any_terms: Mapping[str, Iterable[str]] | None = None,
        messages: Mapping[str, Mapping[str, str]] | None = None,
    ) -> PolicyConfig:
        """A copy with more: ``terms`` add person-scope entries per category (a new category
        name adds a category), ``any_terms`` entries for every subject."""
        terms, any_terms, messages = terms or {}, any_terms or {}, messages or {}
        known = [c.name for c in self.categories]
        names = known + [n for n in [*terms, *any_terms] if n not in known]
        categories = []
        for name in dict.fromkeys(names):
            base = next((c for c in self.categories if c.name == name), None)
            text = messages.get(name, {})
            generic = (
                "I can't make that picture. I'd be glad to make something else with {who} — "
                "a new place, an outfit, or an art style."
            )
            categories.append(
                PolicyCategory(
                    name=name,
                    person_terms=(*(base.person_terms if base else ()), *terms.get(name, ())),
                    any_terms=(*(base.any_terms if base else ()), *any_terms.get(name, ())),
                    person_message=text.get("person", base.person_message if base else generic),
                    other_message=text.get("other", base.other_message if base else generic),
                    negated_terms=base.negated_terms if base else (),
                )
            )
        return PolicyConfig(
            categories=tuple(categories),
            person_classes=self.person_classes | {_key(c) for c in person_classes},
            allowed_phrases=(*self.allowed_phrases, *allowed_phrases),
        )

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, base: PolicyConfig | None = None
    ) -> PolicyConfig:
        """From JSON-shaped data (a policy file)::

            {"person_classes": ["nurse"], "allowed_phrases": ["shot glass"],
             "categories": {"demeaning": {"person": ["weirdo"], "any": [],
                                         "person_message": "...", "other_message": "..."}}}

        Lists extend ``base`` (the defaults); ``"replace": true`` starts from nothing instead.
        """
        start = PolicyConfig(categories=(), person_classes=frozenset(), allowed_phrases=())
        if not data.get("replace"):
            start = base or cls.default()
        categories = data.get("categories", {})
        return start.extended(
            person_classes=data.get("person_classes", ()),
            allowed_phrases=data.get("allowed_phrases", ()),
            terms={name: spec.get("person", ()) for name, spec in categories.items()},
            any_terms={name: spec.get("any", ()) for name, spec in categories.items()},
            messages={
                name: {
                    key: spec[f"{key}_message"]
                    for key in ("person", "other")
                    if f"{key}_message" in spec
                }
                for name, spec in categories.items()
            },
        )

    @classmethod
    def from_settings(cls, settings: Any) -> PolicyConfig:
        """Defaults, then ``policy_file`` (JSON as in ``from_mapping``), then the list
        settings ``policy_person_classes``, ``policy_extra_terms`` (category → person-scope
        terms) and ``policy_allowed_phrases``. Read with ``getattr`` so older settings work."""
        config = cls.default()
        policy_file = getattr(settings, "policy_file", None)
        if policy_file:
            try:
                data = json.loads(Path(policy_file).read_text("utf-8"))
                config = cls.from_mapping(data, base=config)
            except (OSError, ValueError, AttributeError, TypeError) as exc:
                raise InvalidSettings(
                    f"DREAMCHAT_POLICY_FILE: cannot use {policy_file}: {exc}. It must be a JSON "
                    'object like {"categories": {"demeaning": {"person": ["..."]}}}.',
                    details={"path": str(policy_file)},
                ) from exc
        return config.extended(
            person_classes=getattr(settings, "policy_person_classes", None) or (),
            allowed_phrases=getattr(settings, "policy_allowed_phrases", None) or (),
            terms=getattr(settings, "policy_extra_terms", None) or {},
        )

    def is_person(self, class_noun: str) -> bool:
        """Whether subjects of this class are people: "woman", and "young woman" too."""
        key = _key(class_noun)
        return key in self.person_classes or key.rpartition(" ")[2] in self.person_classes

    def find(
        self, text: str, *, person: bool, negative: str = ""
    ) -> tuple[PolicyCategory, str, bool] | None:
        """The first category the text (or, for people, the negative prompt) falls in, the
        entry that matched and whether a person is in the picture; ``None`` when allowed."""
        streams = [self._allowed.mask(tokens) for tokens in _token_streams(text)]
        person = person or any(self._mentions_person(tokens) for tokens in streams)
        if person and negative:
            negated = [self._allowed.mask(tokens) for tokens in _token_streams(negative)]
            for category, _, _, negated_terms in self._lists:
                for tokens in negated:
                    if (term := negated_terms.first(tokens)) is not None:
                        return category, f"negative:{term}", person
        for category, any_terms, person_terms, _ in self._lists:
            for terms in (any_terms, person_terms) if person else (any_terms,):
                for tokens in streams:
                    if (term := terms.first(tokens)) is not None:
                        return category, term, person
        return None

    def _mentions_person(self, tokens: Sequence[str]) -> bool:
        for i, token in enumerate(tokens):
            if token in self._people:
                return True
            if token in ("me", "myself") and (i == 0 or tokens[i - 1] not in _COMMAND_VERBS):
                return True
        return False


_COMMAND_VERBS = frozenset("show give send make let for get draw create generate".split())


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


_CACHE: dict[int, tuple[Any, PolicyConfig]] = {}
_CACHE_SIZE = 8


def policy_config(settings: Settings) -> PolicyConfig:
    """The configuration from these settings. Building one takes ~15 ms, so it is memoized per
    settings object (a pure function of them: a process may hold a few, e.g. its own and a
    test's)."""
    cached = _CACHE.get(id(settings))
    if cached is None or cached[0] is not settings:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        cached = (settings, PolicyConfig.from_settings(settings))
        _CACHE[id(settings)] = cached
    return cached[1]


def _who(subjects: Sequence[PolicySubject], *, person: bool) -> str:
    names = [s.name for s in subjects]
    if not names:
        return "them" if person else "your subject"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def check_request(
    text: str,
    subjects_referenced: Sequence[PolicySubject] = (),
    *,
    negative_prompt: str = "",
    config: PolicyConfig,
) -> PolicyDecision:
    """Decide whether to generate ``text`` with these subjects (the ones the request resolved
    to — pass them, since "him" only says who it is after the prompt compiler ran). The
    negative prompt matters too: the prompt compiler moves "without clothes" there, which
    would otherwise turn a refusal into a nude."""
    person = any(config.is_person(s.class_noun) for s in subjects_referenced)
    found = config.find(text, person=person, negative=negative_prompt)
    if found is None:
        return PolicyDecision(allowed=True)
    category, term, person = found
    template = category.person_message if person else category.other_message
    message = template.format(who=_who(subjects_referenced, person=person))
    logger.info(
        "content policy refused a generation request",
        extra={
            "policy_category": category.name,
            "policy_term": term,
            "policy_person": person,
            "subject_ids": [s.id for s in subjects_referenced],
            "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        },
    )
    return PolicyDecision(allowed=False, category=category.name, message=message, term=term)


def enforce(
    texts: Sequence[str],
    subjects_referenced: Sequence[PolicySubject] = (),
    *,
    negative_prompt: str = "",
    config: PolicyConfig,
) -> None:
    """``check_request`` for every text of one request; the first refusal is raised as
    ``PolicyViolation`` (422 ``content_policy``) carrying the message to show the person."""
    for text in texts:
        decision = check_request(
            text, subjects_referenced, negative_prompt=negative_prompt, config=config
        )
        negative_prompt = ""  # checked once is enough
        if not decision.allowed:
            raise PolicyViolation(
                decision.message,
                details={
                    "category": decision.category,
                    "subject_ids": [s.id for s in subjects_referenced],
                },
            )
