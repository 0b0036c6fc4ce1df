"""Scenes: tidying what is left after the subjects, splitting it into a base and modifiers
(time, weather, season, style, lighting), and merging a follow-up's modifiers and attributes
into the previous generation's."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..vocabulary import ARTISTS, ATTRIBUTE_KIND, BARE_MODIFIERS
from .text import BOUNDARY, STYLE_NOUNS, STYLE_WORDS, WS, alternation, fold, style_phrase, tidy

# Scene modifiers, by kind: a follow-up's modifier replaces the previous one of the same kind.
_MODIFIERS: dict[str, re.Pattern[str]] = {
    "time": re.compile(
        r"\b(?:(?:at|during|by)\s+(?:the\s+)?(?:night\s*time|night|sunset|sunrise|dawn|dusk|noon"
        r"|midday|midnight|twilight|daybreak|golden\s+hour|blue\s+hour|day\s*time|day"
        r"|moonlight)"
        r"|in\s+the\s+(?:early\s+|late\s+)?(?:morning|afternoon|evening|night|dark|moonlight"
        r"|sunlight|sunshine)"
        r"|in\s+(?:broad\s+)?daylight|after\s+dark"
        r"|under\s+(?:the\s+|a\s+)?(?:stars|starry\s+sky|night\s+sky|full\s+moon|moonlight|moon"
        r"|midday\s+sun|northern\s+lights)"
        r"|on\s+a\s+(?:sunny|bright|clear)\s+(?:day|morning|afternoon))\b",
        re.I,
    ),
    "weather": re.compile(
        r"\b(?:in\s+(?:the\s+|a\s+)?(?:heavy\s+|light\s+|pouring\s+)?(?:rain|fog|mist|storm"
        r"|thunderstorm|blizzard|snowstorm|sandstorm|drizzle|hail)"
        r"|during\s+(?:a|the)\s+(?:rainstorm|rain|snowfall|snowstorm|snow|storm|thunderstorm"
        r"|blizzard)"
        r"|on\s+a\s+(?:rainy|snowy|foggy|misty|stormy|cloudy|windy|overcast|grey|gray)\s+day"
        r"|(?:while\s+)?(?:it(?:'s|\s+is)\s+)?(?:raining|snowing|pouring)(?:\s+outside)?"
        r"|under\s+a\s+rainbow)\b",
        re.I,
    ),
    "season": re.compile(
        r"\b(?:(?:in|during)\s+(?:the\s+)?(?:winter|summer|spring|autumn|fall)(?:\s*time)?"
        r"|(?:on|at|for)\s+(?:christmas|halloween|easter|thanksgiving)(?:\s*time)?"
        r"(?:\s+(?:day|eve|night|morning))?)\b",
        re.I,
    ),
    "style": re.compile(
        r"\b(?:in\s+the\s+style\s+of\s+[^,]+?(?=\s*(?:$|,|\b(?:at|during|on|with|under)\b))"
        rf"|(?:as|in)\s+(?:an?\s+)?{STYLE_WORDS}(?:\s+{STYLE_NOUNS})?"
        rf"|(?:in\s+)?(?:an?\s+)?{STYLE_WORDS}\s+style"
        r"|in\s+(?:black\s+and\s+white|sepia|monochrome|gr[ae]yscale|technicolou?r)"
        r"|as\s+(?:an?\s+)?(?:painting|drawing|sketch|cartoon|caricature|illustration|sculpture"
        r"|statue|figurine|plushie|action\s+figure|emoji|sticker|comic|movie\s+poster|poster"
        r"|render))\b",
        re.I,
    ),
    "lighting": re.compile(
        r"\b(?:with\s+(?:dramatic|soft|studio|neon|warm|cold|moody|cinematic|natural|rim"
        r"|golden)\s+light(?:ing|s)?"
        r"|in\s+(?:neon|soft|warm|dramatic|natural|golden)\s+light(?:s|ing)?"
        r"|by\s+(?:candle|fire)light)\b",
        re.I,
    ),
}

_BARE_STYLE = re.compile(
    rf"(?:an?\s+)?(?:{STYLE_WORDS}(?:\s+{STYLE_NOUNS})?"
    r"|painting|drawing|sketch|cartoon|illustration|sculpture|statue)",
    re.I,
)

_SCENE_VERBS = (
    (re.compile(r"^(?:is|are|was|gets|getting)\s+", re.I), ""),
    (re.compile(r"^(?:wears?|to\s+wear)\b", re.I), "wearing"),
    (re.compile(r"^into\s+(?=an?\s)", re.I), "as "),  # "turn Rex into a statue"
    (
        re.compile(
            r"^(?:built|made|crafted|constructed|carved|sculpted)\s+(?:entirely\s+|completely"
            r"\s+|all\s+)?(?:out\s+of|from|of)\b",
            re.I,
        ),
        "made of",
    ),
    (re.compile(r"^with\s+(?P<item>(?:an?|some|the)\s+[^,]+?)\s+on$", re.I), r"wearing \g<item>"),
)

STARTERS = re.compile(rf"(?:{BOUNDARY}|and\b|with\b|without\b|made\b|\w+ed\b|,)", re.I)


_LIKE_STYLE = re.compile(
    rf"(?:^|(?<=,)|(?<=\s))(?:but\s+)?(?:just\s+)?(?:look(?:s|ing)?\s+)?like\s+(?:an?\s+)?"
    rf"(?P<style>{STYLE_WORDS}(?:\s+[\w-]+){{0,2}}?|(?:[\w-]+\s+)?(?:painting|drawing|sketch"
    r"|cartoon|illustration|statue|sculpture))(?=\s*(?:$|,))",
    re.I,
)
"""A style said as a likeness ("like an anime character") reads as one: ``as an anime
character``."""


_IN_MEDIUM = re.compile(
    r"(?:\b(?P<verb>painted|drawn|done|rendered|sketched|made|illustrated|created)\s+)?"
    r"\bin\s+(?P<medium>watercolou?r|oil|acrylic|gouache|pencil|charcoal|ink|crayon|pastel"
    r"|colou?red\s+pencil)(?:s|\s+paints?)?\b"
    rf"(?=\s*(?:$|,|and\b|{BOUNDARY}))",
    re.I,
)
"""A medium said as what it is made in ("painted in watercolors", "drawn in pencil", "in
oils"): an art rendition, ``as a watercolor painting``."""

_IN_A_WORK = re.compile(
    rf"\bin\s+(?P<work>an?\s+(?:{STYLE_WORDS}\s+)?(?:painting|drawing|sketch|illustration"
    rf"|cartoon))\b(?=\s*(?:$|,|and\b|{BOUNDARY}))",
    re.I,
)
"""Being in a work of art is being drawn as one: "Rex in an oil painting"."""

_MADE_AS = {"painted": "painting", "drawn": "drawing", "sketched": "sketch",
            "illustrated": "illustration"}  # fmt: skip
_WET_MEDIA = ("watercolor", "watercolour", "oil", "acrylic", "gouache")


def _rendered(match: re.Match[str]) -> str:
    medium = WS.sub(" ", match.group("medium").lower())
    verb = (match.group("verb") or "").lower()
    noun = _MADE_AS.get(verb) or ("painting" if medium in _WET_MEDIA else "drawing")
    return f" {style_phrase(f'{medium} {noun}')} "


def normalize_scene(scene: str) -> str:
    scene = tidy(scene)
    for pattern, replacement in _SCENE_VERBS:
        scene = pattern.sub(replacement, scene)
    if " in " in f" {scene.lower()}":
        scene = _IN_MEDIUM.sub(_rendered, scene)
        scene = _IN_A_WORK.sub(r"as \g<work>", scene)
    if "like" in scene:
        scene = _LIKE_STYLE.sub(lambda m: style_phrase(m.group("style")), scene)
    return tidy(scene)


_LIKE = re.compile(
    rf"^(?:looks?\s+)?like\s+(?=(?:an?\s+)?(?:{'|'.join(BARE_MODIFIERS)}|{STYLE_WORDS}"
    r"|painting|drawing|sketch|cartoon|illustration|sculpture|statue)\s*$)",
    re.I,
)
"""A likeness that is a modifier ("like winter") reads as that modifier."""


_A_DAY = re.compile(r"(?:an?\s+)?(?P<w>\w+)\s+(?P<when>day|morning|afternoon|evening|night)", re.I)


def split_modifiers(scene: str) -> tuple[str, list[tuple[str, str]]]:
    """``"on the beach at sunset"`` → ``("on the beach", [("time", "at sunset")])``."""
    found: list[tuple[int, str, str]] = []
    rest = scene
    for kind, pattern in _MODIFIERS.items():
        for match in pattern.finditer(rest):
            found.append((match.start(), kind, tidy(match.group(0))))
        rest = pattern.sub(lambda m: " " * len(m.group(0)), rest)
    base = _LIKE.sub("", tidy(rest))  # "like winter", "look like a painting"
    bare = BARE_MODIFIERS.get(fold(base))
    if bare is None and (day := _A_DAY.fullmatch(base)):  # "make it a rainy day"
        weather = BARE_MODIFIERS.get(fold(day.group("w")))
        if weather is not None and weather[0] == "weather":
            bare = ("weather", f"on a {fold(day.group('w'))} {fold(day.group('when'))}")
    if bare is not None:
        found.append((len(scene), *bare))
        base = ""
    elif base and _BARE_STYLE.fullmatch(base):
        found.append((len(scene), "style", style_phrase(base)))
        base = ""
    found.sort()
    return base, [(kind, phrase) for _, kind, phrase in found]


_AS_A_WORK = re.compile(
    r"(?:^|\s|,)(?:as|in)\s+an?\s+(?:[\w-]+\s+){0,3}?(?:painting|drawing|sketch|illustration"
    r"|portrait|render|rendering|woodcut|linocut|caricature|watercolou?r|etching|engraving|print"
    r"|cartoon|comic|poster|mosaic|mural|sculpture|statue|figurine|doodle)\b",
    re.I,
)


_MONOCHROME = re.compile(r"black\s+and\s+white|sepia|monochrome|gr[ae]yscale", re.I)


def unstyled(scene: str, *, only_monochrome: bool = False) -> str:
    """The scene as a photo: without its styles and art media ("on a hill as a pencil sketch"
    → "on a hill"); ``only_monochrome``: in colour again, but in the same medium ("in
    black and white" goes, "as a watercolor painting" stays)."""
    base, modifiers = split_modifiers(scene)
    if only_monochrome:
        kept = [(k, p) for k, p in modifiers if k != "style" or not _MONOCHROME.search(p)]
        return join_scene(base, kept)
    base = tidy(_AS_A_WORK.sub(" ", base))
    return join_scene(base, [(kind, phrase) for kind, phrase in modifiers if kind != "style"])


def join_scene(base: str, modifiers: Sequence[tuple[str, str]]) -> str:
    return tidy(" ".join([base, *(phrase for _, phrase in modifiers)]))


def merge_attrs(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    replaced = {ATTRIBUTE_KIND.get(fold(a), a) for a in new}
    kept = [a for a in old if ATTRIBUTE_KIND.get(fold(a), a) not in replaced]
    return tuple(dict.fromkeys([*kept, *new]))


def clean_attrs(words: Iterable[str]) -> list[str]:
    return [WS.sub(" ", w.lower()) for w in words]


_ARTIST = re.compile(
    r"(?:\b(?:painted|drawn|done|sketched|styled|made|rendered)\s+)?"
    r"(?:\b(?:(?:just\s+)?like|the\s+way|by|in\s+the\s+style\s+of|in|as)\s+)?(?:how\s+)?"
    rf"\b(?P<artist>{alternation(ARTISTS)})(?:'s)?"
    r"(?:\s+(?:would(?:\s+have)?(?:\s+(?:painted|drawn|done|made)(?:\s+(?:it|him|her|them))?)?"
    r"|style|painting))?\b",
    re.I,
)


def name_artists(text: str, protected: frozenset[str]) -> str:
    """An artist named anyhow ("painted the way Monet would have", "van gogh style") becomes
    DreamBench's ``in the style of Monet`` — unless the name is one of the person's subjects."""

    def styled(match: re.Match[str]) -> str:
        key = fold(match.group("artist")).replace(".", "")
        if set(key.split()) & protected:
            return match.group(0)
        return f" in the style of {ARTISTS[key]} "

    return tidy(_ARTIST.sub(styled, text)) if _ARTIST.search(text) else text
