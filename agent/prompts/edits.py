"""Follow-up edits of the last picture, as a small grammar: a follow-up is clauses joined by
"and"/","/"then", each clause one edit —

    edit    := remove | add | replace | resize | recolor | keep | restore | change
    remove  := ("remove" | "take off" | "take away" | "get rid of" | "lose" | "drop"
                | "no more" | "without") thing | ["take"] thing ("off" | "away" | "out")
    add     := ("add" | "give him/her/it/them" | "throw in" | "include" | "with" | "wearing"
                | "holding") thing | ("in" | "dressed in") worn-thing
    replace := ("replace" | "swap" | "change") thing ("with" | "for" | "to") thing
    resize  := [degree] ("bigger" | "larger" | "smaller")
    recolor := [("make" | "turn" | "paint" | "dye" | "change")] ("the" | "his" | …) thing attrs
    keep    := ("keep" | "leave") ("the" | "his" | …) thing ["on" | "there" | "as it is"]
    restore := ["go"] "back" ["to"] [plain] [look] | ["as" | "in"] [a] plain look ["again"]
             | "not" ["as" | "in"] [a] [style] medium | "in" ["full"] "colo(u)r"
    plain   := "normal" | "regular" | "real" | "realistic" | "original" | "plain" | "usual" | …
    look    := "photo" | "photograph" | "picture" | "colo(u)rs" | "style" | "look" | "version"
    change  := anything else: a new place or a modifier (time, weather, season, style, light)

A thing that is worn (``ACCESSORIES``) is added as ``wearing a scarf``, anything else as
``with a ball``; removing a thing drops the part of the scene that mentions it ("in a santa
hat", "wearing sunglasses") and keeps the rest ("by the fireplace"), and a thing the follow-up
says to keep ("remove the bow tie but keep the top hat") is never dropped with it. ``restore``
takes the picture back to a photo: every style and art medium goes ("back to normal colours",
"as a normal photo, not a painting").

The same verbs said of the person's own subjects change who is in the picture
(``cast_edit``, read on the request with each subject reference as ``@``):

    cast    := add-verb @ [there] | @ ("in it" | "along")      → @ joins the picture
             | [add-verb] @ beside (@ | pronoun)               → both are in the picture
             | remove-verb @ [there] | ["take"] @ "out" [there] → @ leaves it
             | ("swap" | "replace" | "change") @ ("for" | "with") @  → the first for the second
    add-verb    := "add" | "include" | "bring [in]" | "throw in" | "put in" | "and" | "plus"
    remove-verb := "remove" | "get rid of" | "drop" | "lose" | "without" | "take out" | "leave out"
    there   := ("to" | "into" | "from" | "out of") ("the" | "this") ("picture" | "photo" | ...)
    beside  := "next to" | "beside" | "by" | "near" | "with" | "behind" | "in front of" | …

"@ too", "@ instead" and "@ instead of @" are cues the request step reads
(``Request.also``, ``Request.instead_of``); "same but with @" swaps the subject, as "now @"
does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..vocabulary import ACCESSORIES
from .text import ATTR, ATTR_SEQ, BOUNDARY, tidy

__all__ = [
    "Edit",
    "drop_mentions",
    "is_edit",
    "is_worn",
    "placed",
    "recolored",
    "cast_edit",
    "split_edits",
    "with_article",
    "with_item",
    "worn_change",
]

_WORN = rf"(?:{'|'.join(sorted(ACCESSORIES, key=len, reverse=True))})"

_THING = r"(?:(?:the|his|her|its|their|that|this|those|these|a|an|some)\s+)?(?P<x>.+)"

_OF_HIM = r"(?:\s+(?:of\s+)?(?:him|her|it|them))?"

_PLAIN = (
    r"(?:normal|regular|real|realistic|original|usual|plain|ordinary|proper|natural|standard"
    r"|photographic|photo-?realistic)"
)
_LOOK = r"(?:photo(?:graph)?|picture|pic|colou?rs?|style|look|version|one|image)"
_MEDIUM = (
    r"(?:painting|drawing|sketch|illustration|cartoon|watercolou?r|render|rendering|artwork"
    r"|art|comic|anime|drawn|painted|sketched)"
)

_RESTORE = (
    r"(?:(?:go|went|going|change(?:\s+it)?|switch(?:\s+it)?|turn\s+it|set\s+it|put\s+it)\s+)?"
    rf"back\s+to\s+(?:(?:a|an|the|its|his|her|their)\s+)?(?:{_PLAIN}(?:\s+{_LOOK})?|{_LOOK})"
    r"(?:\s+again)?"
    rf"|(?:(?:as|in|into)\s+)?(?:(?:a|an|the)\s+)?{_PLAIN}\s+{_LOOK}(?:\s+again)?"
    rf"|(?:(?:as|in|into)\s+)?an?\s+photo(?:graph)?(?:\s+again)?|photo(?:graph)?\s+again"
    rf"|(?:{_PLAIN})\s+again"
    rf"|not\s+(?:as\s+|in\s+)?(?:(?:a|an|the)\s+)?(?:[\w-]+\s+){{0,2}}{_MEDIUM}(?:\s+style)?"
    r"|(?:in\s+)?(?:full\s+)?colou?r(?:\s+again)?"
)
"""Back to a photo: "back to normal colours", "as a normal photo", "not a painting"."""

_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "remove",
        re.compile(
            r"^(?:remove|take\s+(?:off|away|out)|get\s+rid\s+of|lose|drop|ditch|no\s+more"
            rf"|without)\s+{_THING}$",
            re.I,
        ),
    ),
    (
        "remove",
        re.compile(rf"^take\s+{_THING}\s+(?:off|away|out){_OF_HIM}$", re.I),
    ),
    (
        "remove",
        re.compile(
            r"^(?:the|his|her|its|their|that|those|these)\s+(?P<x>.+?)\s+(?:off|away|out)"
            rf"{_OF_HIM}$",
            re.I,
        ),
    ),  # "take the hat off", "get the collar off him": the verb is read as a command and gone
    (
        "recolor",
        re.compile(
            r"^(?:(?:make|turn|paint|dye|colou?r|change)\s+)?(?:the|his|her|its|their)\s+"
            rf"(?P<old>[a-z]+)\s+(?:to\s+|into\s+|(?:should|could|must|can|needs?\s+to|has\s+to)\s+be"
            rf"\s+|is\s+|(?:'s|is)\s+)?(?:an?\s+)?(?P<x>{ATTR_SEQ})$",
            re.I,
        ),
    ),  # "make the hat red", "dye his fur blue", "the sky purple", "the hat should be green"
    (
        "replace",
        re.compile(
            r"^(?:replace|swap|switch|change)\s+(?:the\s+|his\s+|her\s+|its\s+)?(?P<old>.+?)"
            rf"\s+(?:with|for|to|into)\s+{_THING}$",
            re.I,
        ),
    ),
    (
        "replace",
        re.compile(
            r"^(?:the|his|her|its|their)\s+(?P<old>[a-z]+)\s+(?:should|could|can|must|needs?\s+to"
            rf"|has\s+to)\s+be\s+(?=an?\s|some\s|the\s){_THING}$",
            re.I,
        ),
    ),  # "the hat should be a crown"
    (
        "add",
        re.compile(
            r"^(?:add|also\s+add|give\s+(?:him|her|it|them)|throw\s+in|include|put\s+on"
            rf"|with|wearing|wear|holding)\s+{_THING}$",
            re.I,
        ),
    ),
    (
        "add",
        re.compile(rf"^(?:in|dressed\s+in)\s+(?P<x>(?:an?\s+|some\s+)?[\w\s-]*\b{_WORN})$", re.I),
    ),
    (
        "keep",
        re.compile(
            r"^(?:keep|leave)\s+(?:the|his|her|its|their)\s+(?P<x>.+?)"
            r"(?:\s+(?:on|in|there|as\s+(?:it\s+)?is|too|the\s+same|alone|be|in\s+(?:it|there)))?$",
            re.I,
        ),
    ),  # "… but keep the top hat": a removal in the same follow-up leaves it
    ("restore", re.compile(rf"^(?P<x>{_RESTORE})$", re.I)),
    (
        "resize",
        re.compile(
            r"^(?:(?:a\s+(?:bit|little)|slightly|much|even|way)\s+)?"
            r"(?P<x>bigger|larger|smaller)$",
            re.I,
        ),
    ),
)

_BESIDE = (
    r"(?:next\s+to|beside|by|near|with|alongside|behind|in\s+front\s+of|close\s+to|right\s+next\s+to"
    r"|on\s+(?:his|her|its|their)\s+(?:lap|back|shoulder|head))"
)
"""Where a subject that joins goes, said by who is already there ("next to him")."""

_THERE = (
    r"(?:\s+(?:to|into|in|from|of|out\s+of|off)\s+(?:the\s+|this\s+|that\s+)?"
    r"(?:picture|photo|image|pic|scene|shot|one|it|frame))?"
)

_IN_IT = r"(?:\s+(?:in|back|along|over|in\s+(?:it|there|this\s+one)))?"

_CAST_FORMS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (
        ("add",),
        re.compile(
            r"^(?:also\s+)?(?:add|include|bring(?:\s+in)?|throw\s+in|put\s+in|squeeze\s+in"
            r"|invite|plus|and|(?:together|along)\s+with|alongside|next\s+to|beside)"
            rf"\s+@{_IN_IT}{_THERE}$",
            re.I,
        ),
    ),
    (("add",), re.compile(r"^@\s+(?:in\s+(?:it|there|this\s+one)|along|as\s+well)$", re.I)),
    (
        ("add",),
        re.compile(
            r"^(?:(?:also\s+)?(?:add|include|bring(?:\s+in)?|throw\s+in|put|squeeze\s+in)\s+)?"
            rf"@\s+{_BESIDE}\s+(?:him|her|it|them|me|us)$",
            re.I,
        ),
    ),  # "add Luna next to him", "put Luna beside her"
    (
        ("add", "add"),
        re.compile(
            r"^(?:(?:also\s+)?(?:add|include|bring(?:\s+in)?|throw\s+in|put|squeeze\s+in)\s+)?"
            rf"@\s+{_BESIDE}\s+@$",
            re.I,
        ),
    ),  # "add my dog next to me", "put Luna by Rex"
    (
        ("remove",),
        re.compile(
            r"^(?:remove|get\s+rid\s+of|drop|lose|ditch|without|minus|no|leave\s+out"
            rf"|take\s+out|kick\s+out|cut\s+out)\s+@(?:\s+(?:out|away))?{_THERE}$",
            re.I,
        ),
    ),
    (
        ("remove",),
        re.compile(rf"^(?:(?:take|leave|kick|cut)\s+)?@\s+(?:out|away|off){_THERE}$", re.I),
    ),  # "take the cat out": "take" is read as a command and gone
    (
        ("remove", "add"),
        re.compile(
            r"^(?:swap|replace|switch|change|trade|substitute|exchange)\s+@\s+"
            r"(?:for|with|to|by|into)\s+@$",
            re.I,
        ),
    ),
)


def cast_edit(frame: str) -> tuple[str, ...] | None:
    """What a request does to each subject it names, when that is all it does: ``frame`` is
    the request with each subject reference replaced by ``@`` ("add @ too" → ``("add",)``,
    "swap @ for @" → ``("remove", "add")``); ``None`` when it says more than that."""
    for roles, pattern in _CAST_FORMS if "@" in frame else ():
        if pattern.match(frame):
            return roles
    return None


_CLAUSE_SPLIT = re.compile(
    r"(\s*(?:,\s*(?:and\s+|then\s+)?|\band\s+(?:then\s+)?|\bthen\s+|;)\s*"
    r"|\s+(?=(?:but\s+)?(?:keep|leave)\s+(?:the|his|her|its|their)\s))",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Edit:
    kind: str
    """``remove``, ``add``, ``replace``, ``resize``, ``recolor``, ``keep``, ``restore`` or
    ``change``."""
    text: str
    old: str = ""
    """What a ``replace`` takes out ("replace the hat with a crown": ``hat``); for ``keep``,
    the clause as said."""


_CLAUSE_VERB = re.compile(
    r"^(?:put|place|move|bring|send|show|have|let|get|make|turn)\s+(?:him|her|it|them)\s+"
    r"(?!(?:off|away|out|back)\b)(?:(?:be|look|into)\s+)?",
    re.I,
)
"""A later clause's own verb and pronoun ("… and put him on a boat", "… then make it rain"):
the request step cuts them only where the request starts."""


def _read(clause: str) -> Edit:
    for kind, pattern in _FORMS:
        if match := pattern.match(clause):
            old = clause if kind == "keep" else match.groupdict().get("old")
            return Edit(kind, tidy(match.group("x")), tidy(old) if old else "")
    return Edit("change", clause)


def split_edits(text: str) -> list[Edit]:
    """The follow-up's clauses, each read as one edit; neighbouring changes stay one change in
    the person's own words ("on a table with bread and butter")."""
    parts = _CLAUSE_SPLIT.split(text)
    edits: list[Edit] = []
    pending = ""  # a change being collected, separators included
    for i in range(0, len(parts), 2):
        if i and (verb := _CLAUSE_VERB.match(parts[i])):
            parts[i] = parts[i][verb.end() :]
        clause = tidy(parts[i])
        edit = _read(clause) if clause else None
        if edit is None or edit.kind == "change":
            pending += (parts[i - 1] if i and pending else "") + parts[i]
            continue
        if tidy(pending):
            edits.append(Edit("change", tidy(pending)))
        pending = ""
        edits.append(edit)
    if tidy(pending):
        edits.append(Edit("change", tidy(pending)))
    return edits


def is_edit(text: str) -> bool:
    """Whether the text starts with an add/remove/resize edit ("add a scarf")."""
    edits = split_edits(text)
    return bool(edits) and edits[0].kind != "change"


_SEGMENT = re.compile(
    r"\s*,\s*|\s+(?=\b(?:in|on|at|by|with|wearing|under|near|next\s+to|beside|behind|holding"
    r"|dressed|and|while|during|inside|outside|under)\b)|(?<!dressed)\s+(?=as\s+an?\b)",
    re.I,
)
"""Where a scene splits into parts that can go one by one: "on a hiking trail | as a pencil
sketch"."""


_FILLER = frozenset("the a an his her its their that this some any more".split())


def _content(thing: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", thing.lower()) if w not in _FILLER]


def _mentions(words: set[str], thing: list[str]) -> bool:
    """Whether a segment's words mention the thing, singular or plural ("hats", "the hat")."""
    forms = [{w, w + "s", w[:-1] if w.endswith("s") else w} for w in thing]
    worn = [f for f in forms if f & ACCESSORIES]
    if worn and any(f & words for f in worn):  # "the hat" is in "a santa hat"
        return True
    return bool(forms) and all(f & words for f in forms)


_LEAD_VERB = re.compile(r"(?:wearing|holding|with)\s+", re.I)
_AND = re.compile(r"and\s+", re.I)


def drop_mentions(scene: str, things: Sequence[str], keep: Sequence[str] = ()) -> str:
    """The scene without the parts that mention any of the things ("without the hat"), except
    those that mention a thing to ``keep``; a verb the dropped part led with goes on to the
    part it had joined ("wearing a bow tie and a top hat" without the bow tie is "wearing a
    top hat")."""
    if not things or not scene:
        return scene
    wanted = [c for t in things if (c := _content(t))]
    kept_things = [c for t in keep if (c := _content(t))]
    kept: list[str] = []
    verb = ""
    for segment in _SEGMENT.split(scene):
        words = set(re.findall(r"[a-z]+", segment.lower()))
        if any(_mentions(words, thing) for thing in wanted) and not any(
            _mentions(words, thing) for thing in kept_things
        ):
            lead = _LEAD_VERB.match(segment)
            verb = lead.group(0) if lead else ""
            continue
        if verb and (joined := _AND.match(segment)):
            segment = verb + segment[joined.end() :]
        verb = ""
        kept.append(segment)
    return tidy(" ".join(kept))


def swap_mention(scene: str, old: str, new: str) -> str | None:
    """The scene with the old thing's words replaced by the new thing ("on a sofa" → "on a
    bed"), or ``None`` when the scene does not mention it."""
    words = _content(old)
    if not words:
        return None
    phrase = r"\s+".join(rf"{re.escape(w)}s?" for w in words)
    pattern = re.compile(rf"\b(?:(?:the|a|an|his|her|its|their|some)\s+)?{phrase}\b", re.I)
    if not pattern.search(scene):
        return None
    return tidy(pattern.sub(with_article(new).replace("\\", ""), scene, count=1))


def recolored(scene: str, thing: str, attrs: str) -> str:
    """The scene with a thing in it given new attributes ("wearing a blue hat" → "wearing a red
    hat"), or with the thing added so ("with blue fur", "with a purple sky") when it has none."""
    pattern = re.compile(
        rf"\b(?:(?P<det>the|an?|his|her|its|their|some)\s+)?(?:{ATTR}\s+)*"
        rf"(?P<thing>{re.escape(thing)}s?)\b",
        re.I,
    )
    if match := pattern.search(scene):
        det = match.group("det") or ""
        new = f"{attrs} {match.group('thing')}"
        new = with_article(new) if det.lower() in ("a", "an") else f"{det} {new}"
        return tidy(f"{scene[: match.start()]} {new}{scene[match.end() :]}")
    if thing.lower() in _MASS:
        return tidy(f"{scene} with {attrs} {thing}")
    return with_item(scene, f"{attrs} {thing}")


_MASS = frozenset("fur hair skin feathers whiskers eyes ears paws water grass sand snow".split())
"""Things said without an article: "with blue fur", "with green eyes"."""


def worn_change(edit: Edit, scene: str, *, instead: bool = False) -> Edit:
    """A follow-up that only names a worn thing ("a red hat instead", "the blue scarf") puts it
    on, as does giving one: in place of the worn thing of that kind when there is one ("give
    him a red hat"), in place of all that is worn when it says "instead" ("a crown instead"),
    else in addition."""
    noun = edit.text.split()[-1] if edit.text else ""
    if (
        edit.kind not in ("change", "add")
        or not is_worn(noun)
        or not _ONLY_THING.fullmatch(edit.text)
    ):
        return edit
    if drop_mentions(scene, [noun]) != scene:
        return Edit("replace", edit.text, noun)
    if instead and (worn := _WEARING.search(scene)):
        return Edit("replace", edit.text, worn.group(0).split(None, 1)[1])
    return Edit("add", edit.text)


_ONLY_THING = re.compile(
    rf"(?!(?:{BOUNDARY}|and\b))(?:(?:an?|some|the|his|her)\s+)?(?:[a-z-]+\s+){{0,2}}[a-z]+", re.I
)
"""A thing and nothing else: no preposition, no clause ("a red hat", "the blue scarf")."""


def is_worn(thing: str) -> bool:
    words = set(re.findall(r"[a-z]+", thing.lower()))
    return bool((words | {w[:-1] for w in words if w.endswith("s")}) & ACCESSORIES)


def placed(place: str) -> str:
    """A place said without its preposition ("a forest") as a scene says it ("in a forest")."""
    return f"in {place}" if re.match(r"(?:an?|the|some)\s", place, re.I) else place


def with_article(thing: str) -> str:
    return thing if re.match(r"(?:an?|some|the)\s", thing, re.I) else _article(thing)


def with_item(scene: str, thing: str) -> str:
    """The scene with a thing added: worn ("wearing a scarf") or beside ("with a ball")."""
    item = with_article(thing)
    if not is_worn(thing):
        return tidy(f"{scene} with {item}")
    if worn := _WEARING.search(scene):  # "wearing a hat" → "wearing a hat and a scarf"
        return tidy(f"{scene[: worn.end()]} and {item}{scene[worn.end() :]}")
    return tidy(f"{scene} wearing {item}")


_WEARING = re.compile(
    r"\bwearing\s+.+?(?=\s+(?:in|on|at|by|with|under|near|beside|behind|holding|while|during)\b"
    r"|\s*,|$)",
    re.I,
)


_HEAD = re.compile(r"[\w-]+(?:\s+(?!(?:in|on|at|with|of|for|by|from)\b)[\w-]+)*")
"""The words before the first preposition: the thing itself, whose last word is its noun."""


def _article(thing: str) -> str:
    head = _HEAD.match(thing)
    noun = head.group(0).split()[-1].lower() if head else ""
    if noun.endswith("s") and not noun.endswith("ss"):
        return thing  # "add sunglasses", "party hats", "fireworks in the background"
    return f"{'an' if thing[:1].lower() in 'aeiou' else 'a'} {thing}"
