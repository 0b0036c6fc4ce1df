"""Renaming: the ways people ask to rename a subject, as a table of forms.

Each form is a verb phrase with two slots, ``{old}`` (the subject as the person refers to it)
and ``{new}`` (the new name), and what each slot may hold. The table compiles into one regex
with a named group per slot (``old_3``, ``new_3``); the leftmost match wins and, at the same
position, the form listed first — so order matters, as in any alternation. Add a form with an
example sentence; the tests check every example against its own form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .patterns import NAME_AFTER, RENAME_WORDS
from .slots import names_in, pronoun, strip_ref

NAME = r"[A-Z][\w'-]*"
"""One capitalised word."""
NAMES = rf"{NAME}(?: {NAME})*"
"""Capitalised words in a row: "Earl Grey"."""
NAME_RUN = r"[A-Z][\w' -]*"
"""A capitalised start that runs to the end of its slot: "Sir Wags A Lot"."""
WORDS = r"[\w' -]+?"
"""As few words as the rest of the form allows."""
SOME = r".+?"
REST = r".+"


@dataclass(frozen=True, slots=True)
class RenameForm:
    example: str
    pattern: str
    """The verb phrase, with ``{old}`` and ``{new}`` where the slots go."""
    old: str = SOME
    new: str = NAME_RUN

    def compiled(self, index: int) -> str:
        return self.pattern.replace("{old}", f"(?P<old_{index}>{self.old})").replace(
            "{new}", f"(?P<new_{index}>{self.new})"
        )


RENAME_FORMS: tuple[RenameForm, ...] = (
    RenameForm(
        "rename Rex to Max",
        r"\b(?i:rename|re-name)\s+{old}\s+(?:to|as|into|->|=>|→)\s+{new}$",
        old=r"[^?!]+?",
        new=REST,
    ),
    RenameForm(
        "change Rex's name to Max",
        r"\b(?i:change)\s+{old}(?:'s|’s)?\s+(?i:name)\s+(?i:to)\s+{new}$",
        new=REST,
    ),
    RenameForm(
        "call my dog Max instead",
        r"\b(?i:call|name)\s+{old}\s+['\"]?{new}['\"]?\s+(?:instead|from now on|now)\b",
        old=r"(?i:my|our|the)\s+\w+",
        new=WORDS,
    ),
    RenameForm(
        "call him Max from now on",
        r"\b(?i:call|name)\s+{old}\s+['\"]?{new}['\"]?\s+(?:instead|from now on|now)\b",
        old=rf"{NAMES}|\w+",
        new=WORDS,
    ),
    RenameForm(
        "Rex's new name is Max",
        r"\b{old}(?:'s|’s)\s+(?:new\s+)?name\s+(?:is|should be)\s+(?:now\s+|actually\s+)?"
        r"{new}(?:[,.!]|$)",
        new=WORDS,
    ),
    RenameForm(
        "change the name of Rex to Max",
        r"\b(?i:change (?:the )?name of)\s+{old}\s+(?i:to|into)\s+{new}$",
        new=REST,
    ),
    RenameForm(
        "change his name to Max",
        r"\b(?i:change) {old} (?i:name to)\s+{new}$",
        old=r"(?i:his|her|its|their)",
        new=REST,
    ),
    RenameForm("Rex goes by Max", r"\b{old} goes by {new}", old=NAMES, new=NAMES),
    RenameForm(
        "he should be called Max, not Rex",
        r"\bshould be (?:named|called) {new},? not {old}",
        old=NAMES,
        new=NAMES,
    ),
    RenameForm(
        "actually call Rex Max instead",
        r"^(?i:(?:actually,? )?call)\s+{old}\s+['\"]?{new}['\"]?\s+(?i:from now on|instead|now)\b",
        old=NAME,
        new=NAME,
    ),
    RenameForm(
        "change Rex to Max", r"^(?i:(?:please )?change)\s+{old}\s+(?i:to|into)\s+{new}$", old=NAMES
    ),
    RenameForm(
        "Rex should be called Max",
        r"\b{old}\s+(?i:should be (?:called|named)|should now be called)\s+{new}$",
        old=r"[A-Za-z][\w'-]*",
    ),
    RenameForm(
        "'Rex' needs a new name: Max",
        r"['\"]{old}['\"]\s+(?i:needs a new name)[:\s]+{new}",
        old=NAME_RUN,
    ),
    RenameForm(
        "rename Rex? let's call him Max",
        r"\b(?i:rename)\s+{old}\?\s.*(?i:to be called|be named|call (?:it|him|her))\s+{new}",
        old=NAMES,
    ),
    RenameForm("Rex renamed to Max", r"\b{old}\s+(?i:renamed (?:to|as))\s+{new}", old=NAMES),
    RenameForm(
        "change the name Rex to Max",
        r"\b(?i:change the name)\s+{old}\s+(?i:to|into)\s+{new}",
        old=NAMES,
    ),
    RenameForm(
        "Rex needs a new name: Max", r"\b{old}\s+(?i:needs a new name)[:\s]+{new}", old=NAME
    ),
    RenameForm(
        "update Rex's name to Max", r"\b(?i:update)\s+{old}(?:'s|’s)\s+name\s+to\s+{new}$", new=REST
    ),
    RenameForm(
        "oops, Rex should be Max",
        r"^(?:.*?[!,:]\s*)?{old}\s+(?:should be|->|=>|→)\s+{new}$",
        old=NAMES,
    ),
    RenameForm(
        "from now on Rex is called Max",
        r"\b(?:from now on\s+)?{old}\s+is (?:now )?called\s+{new}(?: from now on)?[.!]*$",
        old=NAME,
        new=r"[A-Z][\w' -]*?",
    ),
)

RENAME = re.compile("|".join(form.compiled(i) for i, form in enumerate(RENAME_FORMS)))

_INTRODUCTION = re.compile(r"\b(called|named)\b.*\b(my|a)\b")
"""'a dog called Rex', 'my cat named Luna': introducing a subject, not renaming one ..."""
_RENAME_CUES = re.compile(
    r"\b(rename|renamed|name of|the name|is called|is now called|should be|goes by|"
    r"new name|from now on)\b"
)
"""... unless the message also says it is about a name change."""
_AFTER_NEW_NAME = re.compile(r"\s+(now|please|instead|from now on|thanks)\b.*$", re.I)


def rename_args(original: str, norm: str) -> dict[str, Any] | None:
    """``subject`` and ``new_name`` when the message has one of the forms above."""
    if _INTRODUCTION.search(norm) and not _RENAME_CUES.search(norm):
        return None
    match = RENAME.search(original)
    if match is None:
        return None
    groups = match.groupdict()
    old = next(v for k, v in groups.items() if k.startswith("old") and v)
    new = next(v for k, v in groups.items() if k.startswith("new") and v)
    new = _AFTER_NEW_NAME.sub("", new.strip())
    new = re.split(r",|\s[^\w\s'-]", new)[0].strip()
    return {"subject": strip_ref(old), "new_name": new.strip(" .!?\"'")}


def loose_rename_args(original: str, norm: str) -> dict[str, Any] | None:
    """No form matched but the message talks about a name ("typo in Rex, it's Rexy"): the
    names it mentions, the last being the new one."""
    if not (
        RENAME_WORDS.search(norm)
        and not NAME_AFTER.search(original)
        or re.search(r"\brename", norm)
    ):
        return None
    names = names_in(original)
    if not names:
        return None
    subject = names[0] if len(names) > 1 else pronoun(norm)
    return {"subject": subject, "new_name": names[-1]} if subject else {"new_name": names[-1]}
