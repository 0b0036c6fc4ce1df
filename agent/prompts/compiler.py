"""``compile_prompt``: runs the steps, handles follow-ups against the previous generation, and
renders the prompt."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..vocabulary import ARTISTS
from .draft import ask_who, draft_request, implicit_draft
from .followup import Cast, edit_of_last, edited_scene
from .lexicon import Lexicon, lexicon_for
from .request import Request, parse_request
from .results import (
    DEFAULT_BASE_SIZE,
    DEFAULT_NEGATIVE_PROMPT,
    PHOTO_LEAD,
    Aspect,
    Clarify,
    CompiledPrompt,
    PromptResult,
    SubjectRef,
    UnknownSubject,
    size_for,
)
from .scenes import (
    STARTERS,
    name_artists,
)
from .spelling import correct, lexicon_hits
from .text import BOUNDARY, WS, alternation, fold, tidy

_RENDITION = re.compile(
    rf"(?:^|\s|,)as\s+(?P<what>an?\s+(?:(?!(?:{BOUNDARY}|and|of)\b)[\w-]+\s+){{0,3}}"
    r"(?:painting|drawing|sketch|illustration|portrait|render|rendering|woodcut|linocut|caricature"
    r"|watercolou?r|etching|engraving|woodblock\s+print|print|cartoon|comic(?:\s+(?:book|strip))?"
    r"|poster|mosaic|mural|sculpture|statue|figurine|doodle))\b"
    rf"(?=\s*(?:$|,|and\b|{BOUNDARY}))",
    re.I,
)
"""An art medium that heads its phrase: "as a comic book hero" is a hero, not a comic."""

_STYLE_OF = re.compile(rf"\bin\s+the\s+style\s+of\s+(?:{alternation(ARTISTS.values())})\b", re.I)
"""An artist's style: DreamBench renders it as a painting."""


def _rendition(lead: str, scene: str) -> tuple[str, str]:
    """DreamBench's art renditions lead with the medium: ``a watercolor painting of sks dog``,
    ``a painting of sks dog in the style of Monet``."""
    if match := _RENDITION.search(scene):
        return f"{match.group('what')} of", tidy(scene[: match.start()] + scene[match.end() :])
    if _STYLE_OF.search(scene):
        return "a painting of", scene
    return lead, scene


def _render(lead: str, subjects: Sequence[SubjectRef], attrs: Sequence[str], scene: str) -> str:
    """The subjects the scene does not already place ("playing with zwx cat") lead the prompt;
    an art rendition replaces the lead (``a watercolor painting of sks dog``)."""
    lead, scene = _rendition(lead, scene)
    in_scene = set(re.findall(r"\S+", scene.casefold()))
    leading = [s for s in subjects if fold(s.token) not in in_scene] or list(subjects[:1])
    phrases = [subject.phrase for subject in leading]
    phrases[0] = " ".join([*attrs, phrases[0]])
    group = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    head = f"{lead} {group}".strip()
    if not scene:
        return head
    joiner = " " if STARTERS.match(scene) else ", "
    return f"{head}{joiner}{scene}"


def _negative(base: str, extra: Iterable[str]) -> str:
    parts = [p.strip() for p in base.split(",") if p.strip()]
    seen = {fold(p) for p in parts}
    for phrase in extra:
        if fold(phrase) not in seen:
            seen.add(fold(phrase))
            parts.append(phrase)
    return ", ".join(parts)


def _unclear(req: Request) -> bool:
    """Nothing in a request that names nobody says what to draw: no picture word, no place
    ("in Paris"), no command, no follow-up cue ("asdf qwerty")."""
    return bool(
        req.text
        and not (req.cued or req.commanded or req.count or req.aspect or req.negatives)
        and not STARTERS.match(req.text)
        and not lexicon_hits(req.text)
    )


def _ask_what(
    pool: Sequence[SubjectRef], focused: SubjectRef | None, before: Sequence[SubjectRef]
) -> Clarify:
    """A short question instead of a guess: "Where should Rex be?"."""
    who = [focused] if focused else list(before) or (list(pool) if len(pool) == 1 else [])
    if not who:
        return ask_who(pool)
    names = " and ".join(s.name for s in who)
    return Clarify(
        f"Sorry, I didn't get that. Where should {names} be? For example: "
        f"“{names} on the beach at sunset”.",
        options=tuple(s.name for s in who),
        option_ids=tuple(s.id for s in who),
        reason="unclear",
    )


def compile_prompt(
    text: str,
    subjects: Sequence[SubjectRef],
    *,
    focus: str | None = None,
    previous: CompiledPrompt | None = None,
    base_size: int = DEFAULT_BASE_SIZE,
    base_negative: str = DEFAULT_NEGATIVE_PROMPT,
    lead: str = PHOTO_LEAD,
) -> PromptResult:
    """Compile one request.

    ``subjects`` are the user's own subjects (nobody else's can be reached: only these are
    searched); ``focus`` is the id of the subject the conversation is about, for "him"/"it";
    ``previous`` is the last generation, for follow-ups. ``lead`` starts every prompt:
    ``PHOTO_LEAD`` (``a photo of sks dog in Paris``) or ``BENCH_LEAD`` (``a sks dog in the
    jungle``, DreamBench's own form). ``base_size`` and ``base_negative`` are the served
    model's defaults (``core/recipe.py``): the image side and the negative prompt. A request
    that names nobody uses ``focus``, else the previous generation's subjects, else the user's
    only subject, else asks.
    """
    pool = tuple(subjects)
    by_id = {s.id: s for s in pool}
    focused = by_id.get(focus) if focus else None
    before = [by_id[i] for i in previous.subject_ids if i in by_id] if previous else []
    if not WS.sub("", text):
        return Clarify("What would you like me to make?", reason="empty")
    lex = lexicon_for(pool)
    text = name_artists(correct(text, lex.protected, lex.names), lex.protected)
    req = parse_request(text, has_previous=previous is not None, put_on=lex.put_on)

    drafted = draft_request(req, lex, focused, before)
    if isinstance(drafted, (Clarify, UnknownSubject)):
        return drafted  # with no subjects at all, still the one it names ("my dog", "Rex")
    if not pool:
        return ask_who(pool)

    if previous is not None and before:
        cast = edit_of_last(req, lex, drafted, before)
        if isinstance(cast, Clarify):
            return cast
        if cast is not None:
            return _follow_up(req, lex, previous, before, cast, base_size, lead)

    if drafted is None and _unclear(req):
        return _ask_what(pool, focused, before)
    if drafted is None:
        if req.repeat and previous is None:
            return Clarify(
                "There's no earlier picture in this conversation yet — what would you like "
                "me to make?",
                options=tuple(s.name for s in pool),
                option_ids=tuple(s.id for s in pool),
                reason="nothing_to_repeat",
            )
        fallback = [focused] if focused else before or (list(pool) if len(pool) == 1 else [])
        if not fallback:
            return ask_who(pool)
        drafted = implicit_draft(req, lex, fallback)

    count = req.count or 1
    aspect = req.aspect or Aspect.SQUARE
    width, height = size_for(aspect, base_size)
    return CompiledPrompt(
        prompt=_render(lead, drafted.subjects, drafted.attrs, drafted.scene),
        negative_prompt=_negative(base_negative, req.negatives),
        count=count,
        width=width,
        height=height,
        aspect=aspect,
        seed=req.seed,
        subject_ids=tuple(s.id for s in drafted.subjects),
        scene=drafted.scene,
        attributes=tuple(drafted.attrs),
        notes=tuple(req.notes),
    )


def _follow_up(
    req: Request,
    lex: Lexicon,
    previous: CompiledPrompt,
    before: list[SubjectRef],
    cast: Cast,
    base_size: int,
    lead: str,
) -> CompiledPrompt:
    """Rebuild the previous generation with this request's changes."""
    subjects = cast.subjects
    attrs, scene = edited_scene(req, lex, previous, before, cast)
    settings_only = req.bare and not req.same and (req.count is not None) and not req.aspect
    if req.seed is not None:
        seed: int | None = req.seed
    elif req.same_seed:
        seed = previous.seed
    elif req.repeat or settings_only or previous.seed is None:
        seed = None
    else:
        seed = previous.seed
    count = req.count or (1 if req.repeat_one else previous.count)
    aspect = req.aspect or previous.aspect
    width, height = size_for(aspect, base_size)
    return CompiledPrompt(
        prompt=_render(lead, subjects, attrs, scene),
        negative_prompt=_negative(previous.negative_prompt, req.negatives),
        count=count,
        width=width,
        height=height,
        aspect=aspect,
        seed=seed,
        subject_ids=tuple(s.id for s in subjects),
        scene=scene,
        attributes=attrs,
        notes=tuple(req.notes),
    )
