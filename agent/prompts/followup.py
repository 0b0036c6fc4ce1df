"""Follow-ups: whether a request edits the last picture, and what it edits it into — who is in
it (the cast), the first subject's attributes, the scene.

A request edits the last picture when it names nobody new and only adjusts, cues or edits
("now at night", "add a scarf", "without the hat"), when it is led by a pronoun for the
subjects already there ("put him in a forest instead"), when it only changes the cast
("add Bella too", "remove the cat", "Luna instead of Rex"; ``edits.cast_edit`` reads the request
with each subject reference as ``@``), or when it says who alone should be in it ("just her on
a paddleboard", "Rex on his own"), which changes the cast and the scene at once. Anything else
is a new picture.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..vocabulary import ATTRIBUTE_KIND
from .draft import Draft
from .edits import (
    Edit,
    cast_edit,
    drop_mentions,
    is_edit,
    is_worn,
    placed,
    recolored,
    split_edits,
    swap_mention,
    with_article,
    with_item,
    worn_change,
)
from .lexicon import Lexicon, Ref, find_refs
from .request import ALONE, Request
from .results import Clarify, CompiledPrompt, SubjectRef
from .scenes import (
    STARTERS,
    clean_attrs,
    join_scene,
    merge_attrs,
    normalize_scene,
    split_modifiers,
    unstyled,
)
from .text import ATTR_RE, fold, tidy

__all__ = ["Cast", "edit_of_last", "edited_scene"]


def _is_adjustment(text: str, lex: Lexicon) -> bool:
    """Whether the text only adjusts a picture ("at night", "purple", "as a watercolor")."""
    if not text:
        return True
    if lex.attrs_only.fullmatch(text):
        return True
    base, _ = split_modifiers(text)
    return not base


@dataclass(frozen=True, slots=True)
class Cast:
    """Who is in the edited picture, and whether the request's words edit its scene."""

    subjects: list[SubjectRef]
    edits_scene: bool = True


def edit_of_last(
    req: Request, lex: Lexicon, drafted: Draft | None, before: list[SubjectRef]
) -> Cast | Clarify | None:
    """How the request edits the last picture, or ``None`` when it asks for a new one."""
    if drafted is None:  # "now at night", "without the hat", "without the cat"
        gone = [s for n in req.negatives for s in _named(n, lex, before)]
        if gone:
            req.negatives = [n for n in req.negatives if not _named(n, lex, before)]
            return _recast(before, [], gone)
        if req.cued or _is_adjustment(req.text, lex) or is_edit(req.text):
            return Cast(before)
        return None
    if req.only and drafted.subjects and set(drafted.subjects) < set(before):
        scene = ALONE.sub(" ", drafted.scene)  # "now just her on a …", "Rex on his own"
        req.text = tidy(" ".join([*drafted.attrs, scene]))
        return Cast(list(drafted.subjects))
    if drafted.pronoun:  # "make him wear a scarf", "put him in a forest instead"
        if (
            set(drafted.subjects) <= set(before)
            and (drafted.scene or drafted.attrs)
            and (req.cued or is_edit(drafted.scene) or _is_adjustment(drafted.scene, lex))
        ):
            req.text = tidy(" ".join([*drafted.attrs, drafted.scene]))
            return Cast(before)
        return None
    if drafted.attrs:
        return None
    if (recast := _subject_cast(req, lex, drafted, before)) is not None:
        return recast  # "add Bella too", "remove the cat", "Luna instead of Rex"
    if req.cued and not drafted.scene:  # "now Luna instead", "Luna too"
        people = [*before, *drafted.subjects] if req.also else drafted.subjects
        return Cast(list(dict.fromkeys(people)), edits_scene=False)
    return None


def _frame(text: str, lex: Lexicon) -> tuple[str, list[Ref]]:
    """The text with each subject reference as ``@`` ("add @ too"), and those references."""
    refs = [r for r in find_refs(text, lex) if r.kind != "pron"]
    pieces, cursor = [], 0
    for ref in refs:
        pieces += [text[cursor : ref.start], " @ "]
        cursor = ref.end
    pieces.append(text[cursor:])
    return tidy("".join(pieces)), refs


_ONLY_REFS = re.compile(r"@(?:\s*(?:,|and|&)\s*@)*")


def _named(phrase: str, lex: Lexicon, among: Sequence[SubjectRef]) -> list[SubjectRef]:
    """The subjects of ``among`` a phrase is nothing but a reference to ("the cat", "cat",
    "Rex and Tom"); none for "Rex's hat"."""
    key = fold(phrase)
    if key in lex.forms:  # a kind said bare, as a negative is ("without the cat" → "cat")
        return [s for s in lex.by_kind(key)[0] if s in among]
    frame, refs = _frame(phrase, lex)
    if not _ONLY_REFS.fullmatch(frame):
        return []
    return [s for ref in refs for s in ref.subjects if s in among]


def _subject_cast(
    req: Request, lex: Lexicon, drafted: Draft, before: list[SubjectRef]
) -> Cast | Clarify | None:
    """A request that only adds subjects to the last picture or takes them out of it."""
    replaced = _named(req.instead_of, lex, before) if req.instead_of else []
    frame, refs = _frame(req.text, lex)
    roles = cast_edit(frame)
    if roles is None or len(roles) != len(refs):
        if replaced and _ONLY_REFS.fullmatch(frame):  # "Luna instead of Rex"
            return _recast(before, drafted.subjects, replaced)
        return None
    added: list[SubjectRef] = []
    removed: list[SubjectRef] = [*replaced]
    for role, ref in zip(roles, refs, strict=True):
        leaving = role == "remove"
        who = ref.subjects
        if len(who) > 1 and not ref.plural:  # "the dog": the one in the picture, or not
            who = [s for s in who if (s in before) == leaving]
        if len(who) != 1 and not ref.plural:
            return None
        (removed if leaving else added).extend(who)
    return _recast(before, added, removed)


def _recast(
    before: list[SubjectRef], added: Sequence[SubjectRef], removed: Sequence[SubjectRef]
) -> Cast | Clarify:
    people = [s for s in dict.fromkeys([*before, *added]) if s not in removed]
    if not people:
        names = " and ".join(s.name for s in removed)
        return Clarify(
            f"{names} {'is' if len(removed) == 1 else 'are'} all there is in the last picture. "
            f'Who should be in it instead? (To delete {names} for good, say "delete {names}".)',
            options=tuple(s.name for s in removed),
            option_ids=tuple(s.id for s in removed),
            reason="no_subject",
        )
    return Cast(people, edits_scene=False)


_ADDITION = re.compile(r"(?:with|wearing|holding|plus|and)\b", re.I)
"""What a change starts with when it adds to the picture rather than moving it."""


_STATE = re.compile(
    r"(?:on\s+fire|in\s+flames|ablaze|aflame|covered\s+in|dripping\s+with|splattered\s+with"
    r"|soaking\s+wet|in\s+a\s+(?:hurry|rush))\b",
    re.I,
)
"""A state the subject is in, said like a place ("on fire", "covered in snow"): it is added
to the place, not put in its stead."""


def _changed(scene: str, change: str) -> str:
    """A new place replaces the old one, a modifier the old one of its kind."""
    old_base, old_mods = split_modifiers(scene)
    new_base, new_mods = split_modifiers(normalize_scene(change))
    new_base = placed(new_base)  # "change the background to a forest"
    if new_base and old_base and not STARTERS.match(new_base):
        new_base = f"{old_base}, {new_base}"  # "more colorful": not a new place
    elif new_base and old_base and (_ADDITION.match(new_base) or _STATE.match(new_base)):
        new_base = f"{old_base} {new_base}"  # "with a tree behind them": added to the place
    if new_base and not old_base:
        old_mods = []  # the old scene *was* its modifiers ("in the rain"): replace it
    kinds = {kind for kind, _ in new_mods}
    kept = [(kind, phrase) for kind, phrase in old_mods if kind not in kinds]
    return join_scene(new_base or old_base, [*kept, *new_mods])


def _edits(req: Request) -> list[Edit]:
    """The follow-up's edits; a thing said to replace another ("a crown instead of the hat")
    replaces it."""
    edits = split_edits(req.text) if req.text else []
    if req.instead_of and len(edits) == 1 and edits[0].kind == "change":
        if not STARTERS.match(edits[0].text):  # not a place ("at the park instead of …")
            return [Edit("replace", edits[0].text, req.instead_of)]
    return edits


def _kept(edit: Edit, scene: str) -> Edit:
    """ "keep the hat" keeps what the picture has; what it has not ("leave the house") is
    words of the scene."""
    if edit.kind == "keep" and drop_mentions(scene, [edit.text]) == scene:
        return Edit("change", edit.old)
    return edit


def edited_scene(
    req: Request,
    lex: Lexicon,
    previous: CompiledPrompt,
    before: list[SubjectRef],
    cast: Cast,
) -> tuple[tuple[str, ...], str]:
    """The previous picture's attributes and scene with this request's edits."""
    subjects = cast.subjects
    attrs: tuple[str, ...] = previous.attributes if subjects[0] == before[0] else ()
    gone = [s.token for s in before if s not in subjects]  # "playing with zwx cat"
    edits = [_kept(e, previous.scene) for e in _edits(req)] if cast.edits_scene else []
    keep = [e.text for e in edits if e.kind == "keep"]  # "but keep the top hat"
    scene = drop_mentions(previous.scene, [*req.negatives, *gone], keep)  # "without the hat"
    for said in edits:
        edit = worn_change(said, scene, instead=req.instead)  # "a red hat instead"
        if edit.kind == "keep":
            continue
        if edit.kind == "restore":  # "back to normal colours", "in colour again"
            scene = unstyled(scene, only_monochrome=edit.text.lower().startswith(("in ", "col")))
            if "colo" in edit.text.lower():  # and the subject's own colour goes too
                attrs = tuple(a for a in attrs if ATTRIBUTE_KIND.get(fold(a)) != "color")
        elif edit.kind == "remove":  # "take off the sunglasses"
            scene = drop_mentions(scene, [edit.text], keep)
            attrs = tuple(a for a in attrs if fold(a) not in fold(edit.text).split())
        elif edit.kind == "add":  # "add a scarf"
            scene = with_item(scene, edit.text)
        elif edit.kind == "replace":  # "replace the hat with a crown"
            dropped = drop_mentions(scene, [edit.old])
            if is_worn(edit.text):
                scene = with_item(dropped, edit.text)
            elif (swapped_in := swap_mention(scene, edit.old, edit.text)) is not None:
                scene = swapped_in  # "change the sofa to a bed": "on a bed by the window"
            else:  # "change the background to a forest": a new place
                scene = _changed(dropped, placed(with_article(edit.text)))
        elif edit.kind == "recolor":  # "make the hat red", "dye his fur blue"
            scene = recolored(scene, edit.old, edit.text)
        elif edit.kind == "resize":  # "a bit bigger"
            attrs = merge_attrs(attrs, ["small" if edit.text.lower() == "smaller" else "big"])
        elif adjust := lex.attrs_only.fullmatch(edit.text):  # "purple"
            attrs = merge_attrs(attrs, clean_attrs(ATTR_RE.findall(adjust.group("attrs"))))
        else:
            scene = _changed(scene, edit.text)
    return attrs, scene
