"""Pulling slots out of a message: the normalised text, the class noun, a new subject's name,
the subject a command is about, an image count, and whether it is a question about the service."""

from __future__ import annotations

import re
from typing import Any

from ..prompts.spelling import making_verb
from ..vocabulary import (
    CLASS_WORDS,
    COMMAND_WORDS,
    COUNT_WORDS,
    NOT_SUBJECT_WORDS,
    OBJECT_PRONOUNS,
    PERSONAL_WORDS,
    PRONOUNS,
    SENTENCE_CAPS,
    SHORTHAND,
    STOP_NAMES,
    TITLES,
)
from .patterns import NAME_AFTER, QUESTION, SCENE_PREP, SERVICE_WORDS

_PRONOUN = re.compile(rf"\b({'|'.join(PRONOUNS)})\b")
_OBJECT_PRONOUN = re.compile(rf"\b({'|'.join(OBJECT_PRONOUNS)})\b")


def normalize(text: str) -> str:
    """Lower case, one space, texting shorthand expanded and a slipped verb of making read as
    the verb ("can u draaw …")."""
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    words = re.sub(r"\s+", " ", text.strip().lower()).split(" ")
    return " ".join(SHORTHAND.get(w) or making_verb(w) or w for w in words)


def class_of(text: str) -> str | None:
    """The class noun the message names; things and animals win over person words, and "me"
    or "I" count only when nothing else is named ("a model of myself")."""
    words = re.findall(r"[a-z][a-z-]*", text)
    found = [CLASS_WORDS[w] for w in words if w in CLASS_WORDS and w not in PERSONAL_WORDS]
    for noun in found:
        if noun != "person":
            return noun
    if found:
        return found[0]
    if re.search(r"\b(me|myself|my face|selfies?)\b", text):
        return "person"
    return None


def cap_name(original: str, skip: set[str]) -> str | None:
    """The first capitalised word (with the capitalised words right after it: "Earl Grey",
    "Mr. Buttons") that isn't the sentence's first word or a common word."""
    words = re.findall(r"[A-Za-z][\w'.-]*", original)
    for i, word in enumerate(words):
        bare = word.rstrip(".").removesuffix("'s")
        if not (bare[0].isupper() and (i > 0 or len(words) == 1)):
            continue
        if (
            bare.lower() in STOP_NAMES
            or bare.lower() in skip
            or bare.lower() in CLASS_WORDS
            or bare in SENTENCE_CAPS
        ):
            continue
        parts = [bare]
        for nxt in words[i + 1 :]:
            nb = nxt.rstrip(".!,?").removesuffix("'s")
            if nb and nb[0].isupper() and nb.lower() not in STOP_NAMES and nb not in SENTENCE_CAPS:
                parts.append(nb)
            else:
                break
        name = " ".join(parts)
        if parts[0].lower() in TITLES and len(parts) > 1:
            name = name.replace(parts[0], parts[0] + ".", 1) if word.endswith(".") else name
        return name.strip("'")
    return None


def first_sentence_name(raw: str) -> str:
    """Cut a captured name at a sentence end ("Bolt. It's a toy") unless it is a title ("Mr.")."""
    parts = raw.split(". ")
    name = parts[0]
    if name.lower().rstrip(".") in TITLES and len(parts) > 1:
        name = f"{name}. {parts[1].split('.')[0]}"
    return name.strip().rstrip(".!,").strip("'\"")


def name_of(original: str, norm: str) -> str | None:
    match = NAME_AFTER.search(original)
    if match:
        name = first_sentence_name(match.group("name"))
        return name.title() if name.islower() else name
    intro = re.search(
        r"\b(?i:meet|say hi to|this is|introducing|here'?s)\s+([A-Z][\w'-]*(?:\.? [A-Z][\w'-]*)*)",
        original,
    )
    if intro and intro.group(1).lower() not in STOP_NAMES and intro.group(1) not in SENTENCE_CAPS:
        return first_sentence_name(intro.group(1))
    low = re.search(
        r"\b(?i:meet|this is|say hi to)\s+([a-z][\w'-]*)[,!.]?\s+(?i:my|our|she|he|it)\b", original
    )
    if low and low.group(1) not in STOP_NAMES:
        return low.group(1).title()
    paren = re.search(
        r"\b(?i:new subject|add|meet)\b[:\s-]+([\w'-]+(?: [\w'-]+)?)\s*\((?i:my|our)\s", original
    )
    if paren:
        return paren.group(1)
    # "my dog Rex", "my cat, Luna"
    m = re.search(
        r"\b(?i:my|our)\s+(?:\w+\s+)?(?i:(" + "|".join(map(re.escape, CLASS_WORDS)) + r"))\s*,?\s+"
        r"([A-Za-z][\w'-]+(?:\.? [A-Z][\w'-]+)*)",
        original,
    )
    if m and m.group(2).lower() not in STOP_NAMES and not SCENE_PREP.fullmatch(m.group(2).lower()):
        word = m.group(2)
        return word if word[0].isupper() else word.title()
    # "Rex, my dog", "Rex is my dog", "Luna the cat", "Mr Whiskers, he's a kitten"
    m = re.search(
        r"\b((?:[A-Z][\w'.-]*\s+)*[A-Z][\w'-]+)\s*(?:,|is|the)\s*(?:(?:my|our)\s+)?"
        r"(?:[\w']+\s+){0,2}(" + "|".join(map(re.escape, CLASS_WORDS)) + r")\b",
        original,
    )
    words = m.group(1).split() if m else []
    while words and (words[0] in _NOT_LEADING_NAMES or words[0].lower() in STOP_NAMES):
        words = words[1:]
    if words:
        return " ".join(words)
    return cap_name(original, set())


_NOT_LEADING_NAMES = SENTENCE_CAPS | {"This", "Meet", "Here", "That", "It", "I"}
"""Capitalised words a name that comes before its kind does not start with ("Meet Rex, my
dog")."""


def subject_ref(original: str, norm: str, *, after: re.Pattern[str] | None = None) -> str | None:
    """A subject reference as the person wrote it: a name, "my dog", or a pronoun."""
    m = re.search(r"\b(my|our) (?:\w+ )?(" + "|".join(map(re.escape, CLASS_WORDS)) + r")\b", norm)
    if m:
        return f"my {m.group(2)}"
    name = cap_name(original, {"train", "cancel", "delete", "stop", "status", "how", "is", "show"})
    if name:
        return name
    m = _PRONOUN.search(norm)
    if m:
        return m.group(1)
    if after is not None:
        m = after.search(norm)
        if m:
            end = m.end()
            while end < len(norm) and norm[end].isalnum():  # the match ended inside a word
                end += 1
            tail = norm[end:].strip(" ?.!")
            tail = re.sub(
                r"^(the |training (of |for )?|model (of |for )?|for |of |on |'s )", "", tail
            )
            word = re.match(r"([a-z][\w'-]*)", tail)
            if word and word.group(1) not in STOP_NAMES and word.group(1) not in NOT_SUBJECT_WORDS:
                return word.group(1).removesuffix("'s")
    return None


def count_of(norm: str) -> int | None:
    m = re.search(
        r"\b([1-9])\b|\b(one|two|three|four|a couple|a few)\b(?= (of them|more|pictures|pics|images|photos|versions|shots|variations|please))",
        norm,
    )
    if not m:
        return None
    return int(m.group(1)) if m.group(1) else COUNT_WORDS[m.group(2)]


def names_in(original: str) -> list[str]:
    """Names a message mentions, in order: quoted strings, then capitalised words."""
    quoted = re.findall(r"['\"]([^'\"]{1,40})['\"]", original)
    if len(quoted) >= 2:
        return quoted
    found = []
    for match in re.finditer(r"(?<![\w'])([A-Z][\w'-]*(?:\.? [A-Z][\w'-]*)*)", original):
        words = match.group(1).split()
        while words and (
            words[0] in SENTENCE_CAPS
            or words[0].lower() in STOP_NAMES
            or words[0].lower() in TITLES
            and len(words) == 1
        ):
            words = words[1:]
        if (
            words
            and match.start() > 0
            or (
                words
                and words[0] not in SENTENCE_CAPS
                and match.start() == 0
                and words[0].lower() not in COMMAND_WORDS
            )
        ):
            name = " ".join(words).removesuffix("'s")
            if name and name.lower() not in STOP_NAMES and name not in found:
                found.append(name)
    if len(found) < 2:
        m = re.search(r"\brename\s+([a-z][\w'-]*)", original, re.I)
        if m and m.group(1).lower() not in STOP_NAMES and m.group(1) not in found:
            found.insert(0, m.group(1))
    return quoted[:1] + [f for f in found if f not in quoted] if quoted else found


def pronoun(norm: str) -> str | None:
    m = _OBJECT_PRONOUN.search(norm)
    return m.group(1) if m else None


def about_the_service(original: str, norm: str) -> bool:
    """A question about how dreamchat works rather than a request: question form, about
    photos/data/training/limits, naming no subject and no scene."""
    if not (QUESTION.search(norm) and SERVICE_WORDS.search(norm)):
        return False
    names = [n for n in names_in(original) if n.lower() not in ("dreambooth", "ai")]
    if names or re.search(
        r"\b(him|her|them|he|she)\b|\b(my|our) (" + "|".join(map(re.escape, CLASS_WORDS)) + r")\b",
        norm,
    ):
        return False
    return not re.search(
        r"\b(show|draw|paint|make (a|an|me|some)|generate (a|an|me|some|\d)|give me)\b", norm
    )


def strip_ref(text: str) -> str:
    return re.sub(r"^(my|the|our)\s+", "", text.strip(" .!?\"'"), flags=re.I)


def maybe_subject(original: str, norm: str, after: re.Pattern[str] | None) -> dict[str, Any]:
    ref = subject_ref(original, norm, after=after)
    return {"subject": ref} if ref else {}
