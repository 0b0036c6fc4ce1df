"""Which of the person's subjects a tool argument means: "Rex", "my dog", "him", or nothing.

Resolution only ever looks at the session's own subjects, so no wording reaches anyone else's.
"""

from __future__ import annotations

import re

from core.domain import Subject
from core.subjects import list_subjects

from .session import ChatSession
from .vocabulary import PRONOUNS as SUBJECT_PRONOUNS

__all__ = ["PRONOUNS", "SubjectNotResolved", "resolve_subject", "subject_list_text"]

PRONOUNS = frozenset((*SUBJECT_PRONOUNS, "this", "that"))
_FILLER = re.compile(r"^(?:my|our|the|a|an)\s+|'s$|’s$")


class SubjectNotResolved(Exception):
    def __init__(self, message: str, options: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.options = options or []


def subject_list_text(subjects: list[Subject]) -> str:
    return ", ".join(f"{s.name} ({s.class_noun}, {s.status})" for s in subjects)


def _clean(reference: str) -> str:
    text = reference.strip().lower()
    previous = None
    while previous != text:
        previous, text = text, _FILLER.sub("", text).strip()
    return text


def resolve_subject(session: ChatSession, reference: str | None) -> Subject:
    subjects = list_subjects(session.ctx.store, scope=session.scope)
    if not subjects:
        raise SubjectNotResolved('You have no subjects yet. Tell me about one, e.g. "my dog Rex".')
    focus = next((s for s in subjects if s.id == session.state.focus_subject_id), None)
    text = _clean(reference or "")
    if not text or text in PRONOUNS:
        if focus is not None:
            return focus
        if len(subjects) == 1:
            return subjects[0]
        raise SubjectNotResolved(
            f"Which one do you mean? {subject_list_text(subjects)}.", [s.name for s in subjects]
        )
    for subject in subjects:
        if text in (subject.name.lower(), subject.id, subject.token):
            return subject
    by_class = [
        s for s in subjects if s.class_noun.lower() == text or s.class_noun.lower() + "s" == text
    ]
    if len(by_class) == 1:
        return by_class[0]
    if len(by_class) > 1:
        if focus in by_class:
            return focus
        names = [s.name for s in by_class]
        raise SubjectNotResolved(
            f"You have {len(names)} {text}s: {', '.join(names)}. Which one?", names
        )
    raise SubjectNotResolved(
        f"You don't have a subject called {reference!r}. Your subjects: {subject_list_text(subjects)}.",
        [s.name for s in subjects],
    )
