"""The per-user lexicon: patterns that find references to the person's own subjects (names,
tokens, kinds such as "my puppy", "me", pronouns), built once per set of subjects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from ..vocabulary import (
    ANY_KIND,
    ATTRIBUTE_KIND,
    CLASS_WORDS,
    ENDEARMENTS,
    FAMILY_OF,
    FOND_WORDS,
    GENDERED,
    IRREGULAR_PLURALS,
    KIND_FAMILIES,
    OBJECT_PRONOUNS,
    PRONOUNS,
    RELATIONS,
    SCENE_WORDS,
    SELF_FAMILY,
    SELF_NAMES,
    SHAPES,
)
from .results import SubjectRef
from .text import ATTR, ATTR_RE, ATTR_SEQ, BOUNDARY, alternation, fold

_PRONOUN = "|".join(PRONOUNS)
_FOND = "|".join(FOND_WORDS)
_NOT_HEADS = frozenset("little shaped sized style and".split())
_OBJECT_PRONOUN = "|".join(OBJECT_PRONOUNS)

_GROUP_DET = (
    r"(?:(?:both|all)(?:\s+(?:of\s+)?(?:my|our|the))?|(?:my|our|the)\s+(?:two|three|four|both))"
)
"""What counts off a plural kind: "both dogs", "all my cats", "the two dogs"."""

_EVERYONE = (
    r"(?:everyone|everybody|all\s+of\s+us|the\s+(?:whole\s+)?(?:gang|crew|squad|bunch|family)"
    r"|all\s+(?:of\s+)?(?:my|our)\s+(?:pets|subjects|animals|babies|friends|guys|kids|crew|gang))"
)
"""Every one of the person's subjects: "everyone at the beach", "all my pets"."""
_PUT_ON = r"\b(?:put|place|stick)\s+(?!(?:my|our|him|her|it|them)\b)(?P<item>[^,]+?)\s+on(?:to)?\s+"


def _plural(word: str) -> str:
    head, _, last = word.rpartition(" ")
    if last in IRREGULAR_PLURALS:
        plural = IRREGULAR_PLURALS[last]
    elif last.endswith(("s", "x", "ch", "sh")):
        plural = last if last.endswith("s") else last + "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The per-user patterns, built once per set of subjects (``_lexicon`` caches them)."""

    subjects: tuple[SubjectRef, ...]
    refs: re.Pattern[str]
    forms: dict[str, tuple[str, str, bool]]
    """Kind word → (the word in the singular, family, plural)."""
    suffix: re.Pattern[str]
    put_on: re.Pattern[str]
    attrs_only: re.Pattern[str]
    protected: frozenset[str] = frozenset()
    """Lower-case words of the subjects' names and tokens: never "corrected" as typos."""
    names: tuple[str, ...] = ()
    """The subjects' one-word names, lower case: what a slipped name is read as."""

    def by_kind(self, word: str) -> tuple[list[SubjectRef], bool]:
        """The subjects a kind word can mean: those of that very class ("my puppy" when one
        is a puppy), else its family ("my pup" for a dog), narrowed by the gender the word
        says ("my husband" is not the woman) and, said of one, to a subject the person named
        by it ("my dad" when a subject is called Dad), never one named by another ("my nan"
        is not the subject called Mom)."""
        singular, family, plural = self.forms[fold(word)]
        if family == ANY_KIND:
            return list(self.subjects), plural
        found = [s for s in self.subjects if fold(s.class_noun) == singular]
        if not found:
            found = [s for s in self.subjects if family_of(s.class_noun) == family]
        if gender := GENDERED.get(singular):
            fits = [s for s in self.subjects if GENDERED.get(fold(s.class_noun), gender) == gender]
            found = [s for s in found if s in fits]
            if not found and singular in ENDEARMENTS:  # "my boy": the dog, not Anna
                found = fits
        if not plural and (named := [s for s in found if fold(s.name) == singular]):
            return named, plural
        # a subject named by another relation is that relation: "my nan" is not Mom
        return [s for s in found if fold(s.name) not in RELATIONS] or found, plural


def family_of(class_noun: str) -> str:
    key = fold(class_noun)
    return FAMILY_OF.get(key) or CLASS_WORDS.get(key, key)


@lru_cache(maxsize=512)
def lexicon_for(subjects: tuple[SubjectRef, ...]) -> Lexicon:
    forms: dict[str, tuple[str, str, bool]] = {}
    for subject in subjects:
        noun = fold(subject.class_noun)
        family = family_of(noun)
        kin = [w for w, c in CLASS_WORDS.items() if c == family] if family != SELF_FAMILY else []
        for word in (*KIND_FAMILIES.get(family, ()), *kin, noun):
            forms.setdefault(word, (word, family, False))
            forms.setdefault(_plural(word), (word, family, True))
        forms[noun] = (noun, family, False)
    if subjects:
        for word in ENDEARMENTS:
            forms.setdefault(word, (ANY_KIND, ANY_KIND, False))
    kinds = alternation(forms) or r"(?!)"
    names = alternation(fold(s.name) for s in subjects) or r"(?!)"
    tokens = alternation(fold(s.token) for s in subjects) or r"(?!)"
    refs = re.compile(
        rf"(?P<kind>\b(?P<det>{_GROUP_DET}|my|our|the|a|an|this|that)\s+"
        rf"(?P<kattrs>(?:(?:{ATTR}|{_FOND})\s+)*?)"
        rf"(?P<kword>{kinds})(?:'s|')?)(?!\w)"
        rf"|(?P<tok>\b(?P<tword>{tokens})(?:\s+(?:{kinds}))?)\b"
        rf"|(?P<name>\b(?P<nword>{names})(?:'s|')?)(?!\w)"
        r"|(?P<me>\b(?:me|myself)\b)"
        rf"|(?P<all>\b{_EVERYONE}\b)"
        rf"|(?P<pron>\b(?:{_PRONOUN})(?:\s+(?:both|all))?\b)",
        re.I,
    )
    suffix = re.compile(
        rf"\s*,?\s*(?:(?:in|as|and)\s+)?(?:(?:an?)\s+)?(?P<attrs>{ATTR_SEQ})"
        rf"(?:\s+(?:version|one|{kinds}))?(?=\s*(?:$|,|{BOUNDARY}))",
        re.I,
    )
    attrs_only = re.compile(
        rf"(?:(?:an?)\s+)?(?P<attrs>{ATTR_SEQ})(?:\s+(?:version|one|{kinds}))?", re.I
    )
    target = rf"(?P<ref>{_OBJECT_PRONOUN}|{names}|(?:my|our|the)\s+(?:{kinds}))"
    put_on = re.compile(rf"{_PUT_ON}{target}\b", re.I)
    protected = frozenset(
        w for s in subjects for w in (*fold(s.name).split(), *fold(s.token).split())
    ) | {w for form in forms for w in form.split()}
    one_word = tuple(fold(s.name) for s in subjects if " " not in fold(s.name))
    return Lexicon(subjects, refs, forms, suffix, put_on, attrs_only, protected, one_word)


@dataclass(slots=True)
class Ref:
    start: int
    end: int
    text: str
    subjects: list[SubjectRef]
    kind: Literal["kind", "tok", "name", "me", "pron"]
    attrs: list[str] = field(default_factory=list)
    article: bool = False
    """Found as "a dog"/"an X": a reference only where it leads the request."""
    plural: bool = False
    """"my dogs": all of them, never a question."""


def find_refs(text: str, lex: Lexicon) -> list[Ref]:
    refs: list[Ref] = []
    for match in lex.refs.finditer(text):
        if match.group("kind") and _compound(match, text):
            continue  # "at the dog park": a park, not the dog
        if match.group("kind"):
            found, plural = lex.by_kind(match.group("kword"))
            refs.append(
                Ref(
                    match.start(),
                    match.end(),
                    match.group(0),
                    found,
                    "kind",
                    attrs=ATTR_RE.findall(match.group("kattrs") or ""),
                    article=match.group("det").lower() in ("a", "an"),
                    plural=plural,
                )
            )
        elif match.group("tok"):
            word = fold(match.group("tword"))
            found = [s for s in lex.subjects if fold(s.token) == word]
            refs.append(Ref(match.start(), match.end(), match.group(0), found, "tok"))
        elif match.group("name"):
            word = fold(match.group("nword"))
            found = [s for s in lex.subjects if fold(s.name) == word]
            refs.append(Ref(match.start(), match.end(), match.group(0), found, "name"))
        elif match.group("all"):
            found = list(lex.subjects)
            refs.append(Ref(match.start(), match.end(), match.group(0), found, "kind", plural=True))
        elif match.group("me"):
            named = [s for s in lex.subjects if fold(s.name) in SELF_NAMES]
            found = named or [s for s in lex.subjects if family_of(s.class_noun) == SELF_FAMILY]
            refs.append(Ref(match.start(), match.end(), match.group(0), found, "me"))
        else:
            refs.append(Ref(match.start(), match.end(), match.group(0), [], "pron"))
    return _appositions(text, refs) if len(refs) > 1 else refs


_NEXT_WORD = re.compile(r"\s+([a-z]+)\b", re.I)

_COMPOUND_HEADS = frozenset(
    w
    for w in SCENE_WORDS
    if not w.endswith("ing") and w not in ATTRIBUTE_KIND and w not in _NOT_HEADS | set(SHAPES)
)
"""Nouns a kind word makes a compound with ("the dog park", "a cat tree", "my dog bed")."""


def _compound(match: re.Match[str], text: str) -> bool:
    """Whether a kind reference is the first half of a compound noun."""
    if match.group(0).endswith("'s") or match.group(0).endswith("'"):
        return False  # "the dog's bed" is the dog's
    after = _NEXT_WORD.match(text, match.end())
    return after is not None and after.group(1).lower() in _COMPOUND_HEADS


_APPOSED = re.compile(r"\s*,?\s*")
_APPOSITIVE_DET = frozenset(("my", "our", "the", "this", "that"))


def _appositions(text: str, refs: list[Ref]) -> list[Ref]:
    """A name and a kind side by side are one reference ("Waffles the corgi", "my dog
    Waffles", "Rex, my old pup,"), when the kind fits the name: the name says which one."""
    merged: list[Ref] = []
    for ref in refs:
        last = merged[-1] if merged else None
        if last is not None and _APPOSED.fullmatch(text, last.end, ref.start):
            named, kind = (last, ref) if ref.kind == "kind" else (ref, last)
            if (
                named.kind in ("name", "tok")
                and kind.kind == "kind"
                and kind.text.split()[0].lower() in _APPOSITIVE_DET
                and len(named.subjects) == 1
                and named.subjects[0] in kind.subjects
            ):
                merged[-1] = Ref(
                    last.start,
                    ref.end,
                    text[last.start : ref.end],
                    named.subjects,
                    named.kind,
                    attrs=kind.attrs,
                )
                continue
        merged.append(ref)
    return merged
