"""Step 4 of the compiler: which subjects the request names, the attributes next to them, and
the scene around them, or why it cannot say (a subject the person does not have, or which of
two dogs)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..vocabulary import FOND_WORDS, GENDERED, PRONOUN_GENDER, SELF_FAMILY
from .lexicon import Lexicon, Ref, family_of, find_refs
from .request import Request
from .results import Clarify, SubjectRef, UnknownSubject
from .scenes import STARTERS, clean_attrs, normalize_scene
from .spelling import LEXICON_WORDS
from .text import ATTR, ATTR_RE, ATTR_SEQ, BOUNDARY, STYLE_WORDS, fold, style_phrase, tidy

_PREFIX = re.compile(
    rf"(?:(?:a|an|the|one)\s+)?(?:(?P<attrs>{ATTR_SEQ})\s+)?"
    rf"(?:(?P<style>{STYLE_WORDS}(?:[\s-]+(?:art|style))?)\s+)?"
    r"(?:(?:version|variant|copy|edition)\s+of\s+)?",
    re.I,
)

_GAP = re.compile(
    r"\s*,?\s*(?:(?:and|&|plus|with|together\s+with|along\s+with|alongside|as\s+well\s+as)\s+)?"
    rf"(?:(?:a|an|the)\s+)?(?:{ATTR_SEQ}\s+)?",
    re.I,
)

_CONNECTOR_BEFORE = re.compile(
    r"(?:\b(?:with|and|of|featuring|starring|plus|including)\s*|&\s*)$", re.I
)

_UNKNOWN = re.compile(
    rf"(?P<ref>(?:my|our)\s+(?:(?:{ATTR}|{'|'.join(FOND_WORDS)})\s+)*"
    rf"(?P<noun>[a-z][a-z'-]*(?:\s+(?!{BOUNDARY}|and\b|{ATTR})[a-z][a-z'-]*){{0,2}}))",
    re.I,
)

_MAKE_THEM = re.compile(
    r"(?:make|turn|paint|colou?r|dye)\s+(?:him|her|it|them)\s+(?:into\s+|look\s+)?", re.I
)

_AS_A = re.compile(rf"an?\s+(?!{ATTR_SEQ}\s*$)(?!(?:{BOUNDARY}))\w", re.I)
"""A scene that is "a something" right after the subject: what the subject is made into."""

_GAP_AND = re.compile(r"\s*(?:,\s*|(?:,\s*)?(?:and|&|plus)\s+)", re.I)


_LIST_GOES_ON = re.compile(r"\s*(?:$|(?:,\s*)?(?:and|&)\b)", re.I)
"""After a name that follows a bare comma: a list of names, not a place ("Luna, Venice, on a
gondola")."""

_NAME_LIKE = re.compile(rf"(?P<word>[A-Z][\w'-]*)(?:'s)?(?=\s*(?:$|,|{BOUNDARY}|and\b))")

_NOT_NAMES = frozenset(
    "a an the this that these those it its in on at with my our your i me please "
    "some any one".split()
)


_CAST_VERB = re.compile(r"(?:also\s+)?(?:add|include|bring(?:\s+in)?|throw\s+in)\s+", re.I)
"""A verb that puts someone in the picture: who follows it is a subject, known or not."""


def _prefix_end(text: str) -> int:
    match = _PREFIX.match(text)
    return match.end() if match else 0


@dataclass(slots=True)
class Draft:
    subjects: list[SubjectRef]
    scene: str
    attrs: list[str] = field(default_factory=list)
    pronoun: bool = False
    """Led by "him"/"her"/"it"/"them": about the picture just made, when there is one."""


def _ask_which(ref: Ref) -> Clarify:
    names = tuple(s.name for s in ref.subjects)
    nouns = {s.class_noun for s in ref.subjects}
    noun = ref.subjects[0].class_noun if ref.kind == "kind" and len(nouns) == 1 else "one"
    listed = ", ".join(names[:-1]) + " or " + names[-1]
    return Clarify(
        question=f"Which {noun} do you mean — {listed}?",
        options=names,
        option_ids=tuple(s.id for s in ref.subjects),
        reason="ambiguous_subject",
    )


def ask_who(subjects: Sequence[SubjectRef]) -> Clarify:
    if not subjects:
        return Clarify(
            question="You don't have any subjects yet. Would you like to set one up? "
            "Tell me who or what it is and send me 3 or more photos.",
            reason="no_subjects",
        )
    names = tuple(s.name for s in subjects)
    return Clarify(
        question="Who should be in the picture? You have " + ", ".join(names) + ".",
        options=names,
        option_ids=tuple(s.id for s in subjects),
        reason="no_subject",
    )


_Resolved = list[SubjectRef] | Clarify | UnknownSubject


def _resolve(
    ref: Ref, lex: Lexicon, focus: SubjectRef | None, previous: Sequence[SubjectRef]
) -> _Resolved:
    if ref.kind == "pron":
        word = ref.text.lower().split()[0]
        plural = word in ("them", "they")
        if plural and previous:
            return list(previous)
        fits = [s for s in lex.subjects if _may_be(s, word)]  # "him" is not Maya the woman
        if word == "it" and not fits:  # only people: "it" still means one of them
            fits = list(lex.subjects)
        if focus is not None and focus in fits:
            return [focus]
        if previous and all(s in fits for s in previous):
            return list(previous)
        if not plural and len(among := [s for s in previous if s in fits]) == 1:
            return among  # "her" after a picture of Anna and Sam
        if len(fits) == 1 or (plural and fits):  # "him" with only Rex; "them": all of them
            return fits
        return ask_who(fits or lex.subjects)
    if not ref.subjects:
        if ref.kind == "me":
            return UnknownSubject("you", SELF_FAMILY)
        return UnknownSubject(ref.text)
    if len(ref.subjects) > 1 and not ref.plural:
        if focus is not None and focus in ref.subjects:
            return [focus]
        return _ask_which(ref)
    return list(ref.subjects)


def _may_be(subject: SubjectRef, pronoun: str) -> bool:
    """Whether a pronoun can mean the subject: "him" is not a woman, "her" not a man, "it"
    not a person."""
    if pronoun == "it":
        return family_of(subject.class_noun) != SELF_FAMILY
    gender = PRONOUN_GENDER.get(pronoun)
    return gender is None or GENDERED.get(fold(subject.class_noun), gender) == gender


@dataclass(slots=True)
class _Lead:
    """The references a request starts with ("a red Rex and my cat …"), their attributes and
    where they end."""

    refs: list[Ref]
    attrs: list[str]
    end: int
    style: str = ""
    """A style they are led by ("pixel art Bruno"), as the scene ends it."""


def _lead_group(text: str, refs: list[Ref]) -> _Lead | None:
    """``None`` when the request starts with something else ("in Paris with Rex")."""
    if not refs:
        return None
    prefix = _PREFIX.fullmatch(text[: refs[0].start])
    if prefix is None:
        return None
    attrs = ATTR_RE.findall(prefix.group("attrs") or "") + refs[0].attrs
    group = [refs[0]]
    for ref in refs[1:]:
        gap = text[group[-1].end : ref.start]
        if ref.kind == "pron" or ref.article or not _GAP.fullmatch(gap):
            break
        group.append(ref)
    style = style_phrase(prefix.group("style")) if prefix.group("style") else ""
    return _Lead(group, attrs, group[-1].end, style)


def _unknown_after(text: str, start: int, lex: Lexicon, *, leading: bool) -> UnknownSubject | None:
    """A subject the user does not have where one is expected: leading the request ("my
    horse on the beach") or joined to the subjects it starts with ("Rex and Bella")."""
    rest = text[start:]
    if not leading:
        gap = _GAP_AND.match(rest)
        if gap is None:
            return None
        rest = rest[gap.end() :]
        name = _NAME_LIKE.match(rest)
        listed = "," not in gap.group(0) or _LIST_GOES_ON.match(rest, name.end() if name else 0)
        if name is not None and listed and _is_name(name.group("word"), lex):
            return UnknownSubject(name.group("word"))  # "Rex and Bella", "Rex, Bella and Tom"
    match = _UNKNOWN.match(rest)
    if match is None:
        return None
    return UnknownSubject(tidy(match.group("ref")), fold(match.group("noun")))


def _is_name(word: str, lex: Lexicon) -> bool:
    return word.lower() not in _NOT_NAMES and fold(word) not in lex.forms


def _distinct(refs: list[Ref]) -> list[Ref]:
    """References in one request are to different subjects: in "me and my dad" or "Rex and
    the other dog" the kind that could mean either means the one not already named."""
    named = {s.id for r in refs if len(r.subjects) == 1 for s in r.subjects}
    for ref in refs:
        if len(ref.subjects) > 1 and not ref.plural:
            ref.subjects = [s for s in ref.subjects if s.id not in named] or ref.subjects
    return refs


def draft_request(
    req: Request, lex: Lexicon, focus: SubjectRef | None, previous: Sequence[SubjectRef]
) -> Draft | Clarify | UnknownSubject | None:
    """Subjects, attributes and scene of the request; ``None`` when it names no subject."""
    text = req.text
    refs = _distinct(find_refs(text, lex))
    lead = _lead_group(text, refs)
    in_lead = {id(r) for r in lead.refs} if lead else set()
    # "a dog" counts only where it leads; "me" only where it leads or resolves.
    explicit = [
        r
        for r in refs
        if r.kind != "pron"
        and (id(r) in in_lead or not (r.article or (r.kind == "me" and len(r.subjects) != 1)))
    ]
    if lead is not None and lead.refs[0].kind == "pron":
        if explicit:  # "it" in "sunflowers around it" is scene, not a subject
            lead = None
        else:  # "him wearing a red hat"
            lead = _Lead(lead.refs[:1], lead.attrs, lead.refs[0].end, lead.style)
    if not explicit and lead is None:
        cast = _CAST_VERB.match(text)  # "add my cat too", "bring Bella in"
        start = cast.end() if cast else _prefix_end(text)
        unknown = _unknown_after(text, start, lex, leading=True)
        name = _NAME_LIKE.match(text, start)
        if (
            unknown is None
            and name
            and (req.commanded or (cast and fold(name.group("word")) not in LEXICON_WORDS))
            and _is_name(name.group("word"), lex)
        ):
            unknown = UnknownSubject(name.group("word"))
        return unknown
    if lead is not None:
        drafted = _draft_in_place(text, lead, explicit, lex, focus, previous)
        if isinstance(drafted, Draft) and lead.refs[0].kind == "pron":
            drafted.pronoun = True
        return drafted
    return _draft_lifted(text, explicit, lex, focus, previous)


def _draft_in_place(
    text: str,
    lead: _Lead,
    explicit: list[Ref],
    lex: Lexicon,
    focus: SubjectRef | None,
    previous: Sequence[SubjectRef],
) -> Draft | Clarify | UnknownSubject:
    """The request starts with its subjects: what follows is the scene, with any other
    subject it mentions kept where it is ("Rex playing with zwx cat")."""
    subjects: list[SubjectRef] = []
    for ref in lead.refs:
        resolved = _resolve(ref, lex, focus, previous)
        if not isinstance(resolved, list):
            return resolved
        subjects.extend(s for s in resolved if s not in subjects)
    unknown = _unknown_after(text, lead.end, lex, leading=False)
    if unknown is not None:
        return unknown
    attrs, cursor = list(lead.attrs), lead.end
    if suffix := lex.suffix.match(text, lead.end):  # "Rex, but shiny", "Rex a cube shaped dog"
        attrs += ATTR_RE.findall(suffix.group("attrs"))
        cursor = suffix.end()
    pieces = []
    in_lead = {id(r) for r in lead.refs}
    for ref in explicit:
        if id(ref) in in_lead:
            continue
        resolved = _resolve(ref, lex, focus, previous)
        if not isinstance(resolved, list):
            return resolved
        pieces += [text[cursor : ref.start], " and ".join(s.phrase for s in resolved)]
        subjects.extend(s for s in resolved if s not in subjects)
        cursor = ref.end
    pieces.append(text[cursor:])
    scene = normalize_scene("".join(pieces))
    if made := _MAKE_THEM.match(scene):  # "Rex but make him purple"
        scene = scene[made.end() :]
    if _AS_A.match(scene):  # "make Rex a superhero": Rex as a superhero
        scene = f"as {scene}"
    if scene and (only := lex.attrs_only.fullmatch(scene)):
        attrs += ATTR_RE.findall(only.group("attrs"))
        scene = ""
    return Draft(subjects, tidy(f"{scene} {lead.style}"), clean_attrs(attrs))


def _draft_lifted(
    text: str,
    explicit: list[Ref],
    lex: Lexicon,
    focus: SubjectRef | None,
    previous: Sequence[SubjectRef],
) -> Draft | Clarify | UnknownSubject:
    """The subjects come later ("in Paris with Rex"): lift them out, keep the rest."""
    subjects: list[SubjectRef] = []
    pieces, cursor, attrs = [], 0, []
    for ref in explicit:
        resolved = _resolve(ref, lex, focus, previous)
        if not isinstance(resolved, list):
            return resolved
        subjects.extend(s for s in resolved if s not in subjects)
        attrs.extend(ref.attrs)
        pieces.append(_CONNECTOR_BEFORE.sub("", text[cursor : ref.start]))
        cursor = ref.end
    pieces.append(text[cursor:])
    scene = normalize_scene(" ".join(pieces))
    if scene[:1].isupper() and not STARTERS.match(scene):
        scene = f"in {scene}"  # "Paris with Rex" → "in Paris"
    return Draft(subjects, scene, clean_attrs(attrs))


def implicit_draft(req: Request, lex: Lexicon, subjects: list[SubjectRef]) -> Draft:
    """The request names nobody ("on the beach", "a red one"): the scene is all of it."""
    rest = req.text
    attrs: list[str] = []
    suffix = lex.suffix.match(rest)
    if suffix is not None:
        attrs = ATTR_RE.findall(suffix.group("attrs"))
        rest = rest[suffix.end() :]
    return Draft(subjects, normalize_scene(rest), clean_attrs(attrs))
