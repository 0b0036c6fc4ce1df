"""Steps 1-3 of the compiler: negatives, seed, follow-up cues, image count, aspect, then the
command and politeness words, each cut out of the request; what is left is subjects and scene."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..vocabulary import COMPARATIVES, NUMBER_WORDS, OBJECT_PRONOUNS, SHAPES
from .results import MAX_IMAGES, Aspect
from .text import (
    ATTR,
    BOUNDARY,
    STYLE_NOUN,
    STYLE_WORDS,
    WS,
    has_any,
    style_phrase,
    take,
    tidy,
)

_NUM = (
    r"(?P<n>\d{1,3}|a\s+couple(?:\s+of)?|a\s+pair\s+of|a\s+few|a\s+handful\s+of|a\s+dozen"
    r"|a\s+single|several|single|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
    r"|twelve|twenty)"
)

_LIKE_THAT = r"(?:\s+(?:just\s+)?like\s+(?:this|that|those|these|it|before|the\s+last\s+one)\b)?"
"""What may follow "one more"/"another": the last picture again."""

_COUNT_NOUN = (
    r"(?:pictures?|photos?|photographs?|images?|pics?|shots?|versions?|variations?|variants?"
    r"|options?|renders?|copies|takes|ones|selfies?|portraits?)"
)

_COUNT_PATTERNS = (
    re.compile(
        rf"\b{_NUM}\s+(?:more\s+|different\s+|new\s+|other\s+|more\s+different\s+)?"
        rf"(?:of\s+(?P<of>them|those|these|it|that|this)\b|{_COUNT_NOUN}\b(?:\s+of\b)?)",
        re.I,
    ),
    re.compile(rf"\b{_NUM}\s+more\b{_LIKE_THAT}", re.I),
    re.compile(
        rf"^(?:make|give|generate|show|create|draw|render|do)\s+(?:me\s+|us\s+)?{_NUM}"
        r"(?=\s*(?:$|,|please\b))",
        re.I,
    ),
    re.compile(r"(?:^|(?<=\s))[x×]\s?(?P<n>\d{1,2})\b", re.I),
)

_ASPECT_WORDS: dict[str, Aspect] = {
    "square": Aspect.SQUARE,
    "portrait": Aspect.PORTRAIT,
    "vertical": Aspect.PORTRAIT,
    "landscape": Aspect.LANDSCAPE,
    "horizontal": Aspect.LANDSCAPE,
    "wide": Aspect.WIDE,
    "widescreen": Aspect.WIDE,
    "panoramic": Aspect.WIDE,
    "panorama": Aspect.WIDE,
    "tall": Aspect.TALL,
}

_RATIO_WORDS: dict[str, Aspect] = {
    "1:1": Aspect.SQUARE,
    "2:3": Aspect.PORTRAIT,
    "3:4": Aspect.PORTRAIT,
    "4:5": Aspect.PORTRAIT,
    "3:2": Aspect.LANDSCAPE,
    "4:3": Aspect.LANDSCAPE,
    "5:4": Aspect.LANDSCAPE,
    "16:9": Aspect.WIDE,
    "21:9": Aspect.WIDE,
    "9:16": Aspect.TALL,
}

_ASPECT_WORD = (
    r"(?P<a>square|portrait|vertical|landscape|horizontal|widescreen|wide|panoramic|tall)"
)

_ASPECT_NOUN = (
    r"(?:format|orientation|aspect(?:\s+ratio)?|ratio|mode|image|picture|photo|shot|crop"
    r"|version|one|size|layout|frame)"
)

# Aspect words are also scene words ("tall grass", "a town square", "a mountain landscape"), so
# they count only next to an aspect noun, after "in"/"as a", or standing alone as a follow-up.
_ASPECT_PATTERNS = (
    re.compile(
        r"\b(?:in\s+|at\s+|as\s+)?(?:an?\s+)?(?P<r>1:1|2:3|3:4|4:5|3:2|4:3|5:4|16:9|21:9|9:16)"
        r"(?:\s+(?:aspect\s+ratio|aspect|ratio|format))?(?!\d)",
        re.I,
    ),
    re.compile(rf"\b(?:in\s+|as\s+)?(?:an?\s+)?{_ASPECT_WORD}\s+{_ASPECT_NOUN}\b", re.I),
    re.compile(r"\b(?:in\s+)?(?P<a>widescreen|panoramic|panorama)\b", re.I),
    re.compile(r"\bin\s+(?P<a>portrait|landscape|vertical|horizontal|square)\b(?!\s+of\b)", re.I),
    re.compile(r"\b(?:an?\s+)?(?P<a>portrait)\s+of\b", re.I),
    re.compile(
        rf"(?:^|(?<=,)|\b(?:make\s+(?:it|them|this|that)|but|and|now)\s+)\s*(?:in\s+|as\s+)?"
        rf"(?:an?\s+)?{_ASPECT_WORD}(?=\s*(?:$|,|please\b|and\b|instead\b|this\s+time\b))",
        re.I,
    ),
    re.compile(r"\b(?:as\s+an?\s+|for\s+(?:a|my)\s+)?phone\s+(?:wallpaper|background)\b", re.I),
)

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


_SHAPE_NORMAL = (
    (re.compile(r"\b(\w+)-shaped\b", re.I), r"\1 shaped"),
    (
        re.compile(
            r"\b(?:shaped\s+like|in\s+the\s+shape\s+of|as)\s+an?\s+(" + "|".join(SHAPES) + r")\b",
            re.I,
        ),
        r"\1 shaped",
    ),
    (re.compile(r"\b(?:black\s*(?:and|&|n)\s*white|b\s*&\s*w)\b", re.I), "black and white"),
)

_NEGATIVE = re.compile(
    r"(?:,\s*)?\b(?:but\s+)?(?:with\s+no|without(?:\s+any)?|no|minus|excluding"
    r"|(?:don'?t|do\s+not)\s+(?:include|show|add|put|want)(?:\s+any)?)"
    r"\s+(?P<x>[a-z0-9][^,;.]*?)"
    r"(?P<where>\s+in\s+(?:the\s+)?(?:background|frame|picture|shot|image|photo|scene))?"
    r"(?=\s*(?:$|[,;.]|\band\s+(?:no|without)\b|\b(?:please|thanks)\b"
    r"|\b(?:and|but|then)\s+(?:then\s+)?(?:make|turn|put|add|give|change|set|switch|swap"
    r"|replace|move|bring|show|let|have)\b"
    r"|\b(?:in|on|at|under|near|by|during|wearing|while|with)\b))",
    re.I,
)

_NOT_NEGATIVES = frozenset({"thanks", "thank you", "problem", "worries", "way", "more"})


_SEED = re.compile(
    r"\b(?:with\s+|using\s+)?(?:the\s+)?seed\s*(?:=|:|#|of|number)?\s*(?P<seed>\d{1,9})\b", re.I
)

_REPEAT = re.compile(
    r"\b(?:another(?:\s+(?:one|version|take|variation|variant|picture|image|photo|pic|shot|go))?"
    r"|one\s+more|once\s+more|(?:try|do\s+(?:it|that|this))\s+again|again"
    r"|re-?roll|re-?generate|re-?do(?:\s+it)?|(?:a\s+)?(?:different|new)\s+one"
    rf"|more(?=\s*(?:please\s*)?$)){_LIKE_THAT}\b"
    r"|\bmore\s+like\s+(?:this|that)\b",
    re.I,
)

_SAME = re.compile(
    r"\b(?:with\s+|using\s+)?(?:the\s+)?same(?:\s+(?:one|thing|picture|image|photo|scene|prompt"
    r"|(?P<seed>seed)))?\b",
    re.I,
)

_MAKE_IT = re.compile(
    r"\b(?:make|turn|change|set|switch|do)\s+(?:it|this|that|them|those|these"
    r"|the\s+(?:image|picture|photo|last\s+one|scene|background))(?:\s+(?:to|into|be|look))?\b",
    re.I,
)

_MODIFY = re.compile(
    r"\b(?:now|instead|this\s+time|but|(?:what|how)\s+about|rather|change\s+to)\b", re.I
)

_ALSO = re.compile(r"\b(?:too|as\s+well|also)\b", re.I)

_INSTEAD_OF = re.compile(
    r"\b(?:instead\s+of|rather\s+than)\s+(?P<old>\S.*?)"
    rf"(?=\s*(?:$|[,;])|\s+(?:and|but|please|now|{BOUNDARY}))",
    re.I,
)
"""What a follow-up replaces ("Luna instead of Rex", "a crown instead of the hat")."""


_COMMANDS = re.compile(
    r"^(?:"
    r"(?:hey|hi|hello|ok(?:ay)?|so|um+|uh+|yes|yeah|yep|sure|cool|great|nice|awesome|perfect"
    r"|wow|lovely|alright|thanks|thank\s+you|hmm+|actually|oh|oops|sorry|wait)\b[\s,!.]*"
    r"|(?:no|nah|nope|well)\s*,\s*"
    r"|(?P<only>just|only)\b(?!\s+(?:like|as|a\s+bit|a\s+little|slightly)\b)"
    r"|(?:please|pls|plz|kindly|just|only|maybe|quickly|then|and|or)\b"
    r"|(?:could|can|would|will)\s+(?:you|u)\b"
    r"|(?:could|can|may)\s+(?:i|we)\s+(?:please\s+)?(?:get|have|see)\b"
    r"|(?:could|can|shall)\s+we\b(?:\s+please\b)?"
    r"|(?:i(?:'d|\s+would)\s+(?:like|love)|i\s+(?:want|wanna|need)|we(?:'d|\s+would)\s+like)"
    r"(?:\s+to\s+(?:see|get|have))?\b"
    r"|(?:let\s+me|let'?s)\s+(?:see|get|have|try|do|make|put)\b"
    r"|(?:i\s+)?(?:love|like|adore)\s+(?:it|this|that)\b|that'?s\s+(?:so\s+)?(?:great|cute|nice"
    r"|perfect|awesome|amazing|lovely|cool|funny|good)\b"
    r"|(?:what|imagine)\s+if\b"
    r"|(?:that|this)(?:\s+(?:one|picture|image|photo|pic))?"
    r"(?=\s+(?:again|with|but|in|at|as|on|without)\b)"
    r"|(?:a\s+)?(?:new\s+)?one\s+(?=(?:at|in|on|with|where|wearing|by|under|near|next)\b)"
    r"|(?P<verb>show|make|give|send|get|generate|create|draw|render|paint|sketch|imagine|picture"
    r"|depict|produce|visuali[sz]e|design|put|place|dress(?:\s+up)?|take(?!\s+(?:off|away|out)\b)"
    r"|snap|try|do|(?:turn|transform)(?=\s+(?:\S+\s+){1,3}?into\s))"
    r"(?:\s+(?:me|us)(?!\s+(?:in|on|at|as|wearing|with|dressed|under|near|by|next|\w+ing)\b))?\b"
    r"|(?P<how>(?:what|how)\s+(?:would|might|will|does|do|could))\b"
    r"|(?:(?:some|a|an|the|one|new|quick|nice|cool|cute|fun|funny|great|beautiful|lovely|good)"
    r"\s+)*(?:pictures?|photos?|photographs?|images?|pics?|snaps?|shots?|renders?|renderings?"
    r"|selfies?)(?:\s+(?:of|with|where|featuring|showing))?\b"
    r"|(?:one|some|a\s+couple)\s+(?=of\s+(?:him|her|it|them|me|us|my|our|the)\b)"
    r"|(?:of|for)\b"
    r")[\s,]*",
    re.I,
)

_TRAILING = re.compile(
    r"[\s,]*\b(?:please|pls|plz|thanks|thank\s+you|thx|ty|for\s+me|for\s+us|if\s+you\s+can"
    r"|if\s+possible|real\s+quick)\s*$",
    re.I,
)

_LOOK = re.compile(r"\blooks?(?:\s+like)?\b", re.I)


_ERA = r"(?:'?\d0s|\d{4}s|old[\s-]school|classic)"
"""When a style is from ("a 90s cartoon of Rex", "an old-school poster of Tom")."""

_LEAD_STYLE = re.compile(
    rf"^(?:an?\s+)?(?P<style>(?:(?:{STYLE_WORDS}|{ATTR}|{_ERA})\s+){{0,2}}{STYLE_NOUN}|{STYLE_WORDS}"
    r"(?:\s+(?:art|style))?)\s+of\s+",
    re.I,
)

_BARE_MEDIUM = re.compile(
    r"watercolou?r|oil|acrylic|gouache|(?P<dry>pencil|charcoal|pastel|crayon|ink)", re.I
)
"""A medium said alone where a work goes ("a watercolor of Rex"): a painting or a drawing."""

_ARTICLE = re.compile(r"^(?:an?|the|any)\s+", re.I)


_LIST_SEPARATOR = re.compile(r"\s*(?:\band\b|,|&)\s*", re.I)


@dataclass(slots=True)
class Request:
    """What step 1–3 found; ``text`` is what is left for subjects and scene."""

    text: str
    negatives: list[str] = field(default_factory=list)
    seed: int | None = None
    count: int | None = None
    aspect: Aspect | None = None
    notes: list[str] = field(default_factory=list)
    repeat: bool = False
    repeat_one: bool = False
    same: bool = False
    same_seed: bool = False
    modify: bool = False
    also: bool = False
    instead: bool = False
    """Said "instead" (or "rather"): what it names takes the place of its like."""
    instead_of: str = ""
    """What the request says it replaces ("instead of the hat"), cut out of ``text``."""
    commanded: bool = False
    only: bool = False
    """Said "just"/"only" before who it names, or "alone"/"on her own" after: after a picture,
    only those named stay in it ("now just her on a paddleboard")."""

    @property
    def cued(self) -> bool:
        return self.repeat or self.same or self.modify or self.also

    @property
    def bare(self) -> bool:
        """Only settings were given ("4 of them", "square", "seed 7", "without people")."""
        return not self.text


_SHAPE_CUES = ("shape", " as a", "black", "&")

_SENTENCE_END = re.compile(r"[?!;]+")


_SYMBOLS = frozenset(("So", "Sk", "Cf", "Co", "Cs"))
"""Emoji, their skin tones and joiners: decoration, never part of the picture."""

_CHAT_NOISE = re.compile(
    r"(?:^|(?<=[\s,.!?]))(?:l+o+l+(?:o+l+)*|lmf?a+o+|rofl|(?:h+a+){2,}h*|(?:h+e+){2,}h*|x+d+|omf?g+"
    r"|jk|ngl|tbh|ugh+|welp|meh|nah+|nope|naw|[:;]-?[()dpo3]+|<3)(?=$|[\s,.!?])",
    re.I,
)
"""Laughter, chat interjections and emoticons ("lol", "hahaha", "nah", ":)") wherever they
are: they colour the message, never the picture."""

_NOISE_CUES = ("lol", "lma", "rofl", "haha", "hehe", "xd", "omg", "omfg", "jk", "ngl", "tbh",
               "ugh", "welp", "meh", "nah", "nope", "naw", ":", ";", "<3")  # fmt: skip


_CONTRACTIONS = re.compile(r"\b(?P<verb>lem|gim)me\b", re.I)
""""lemme see him in the snow", "gimme Rex on a skateboard": "let me …", "give me …"."""

_COMPARATIVE = re.compile(
    r"\b(?:(?:a\s+(?:bit|little|lot)|slightly|much|even|way|a\s+tad)\s+)?"
    rf"(?:more\s+(?P<attr>{ATTR})|(?P<cmp>{'|'.join(COMPARATIVES)})\b)",
    re.I,
)
"""An attribute said as a change ("fluffier", "more sparkly") is that attribute."""

_DEGREE_MORE = re.compile(
    r"\b(?:a\s+(?:bit|little|lot|tad)|slightly|much|even|way|somewhat)\s+more\s+"
    r"(?!(?:to|of|like|than|the|a|an|in|on|at|with|room|space|time|of\s+it)\b)(?=[a-z])",
    re.I,
)
"""A change of degree ("make it a bit more dramatic"): what it should be ("dramatic"); a
degree word is not a thing ("a bit" is not a place)."""

_KEEP = re.compile(
    r"\b(?:keep|leave)\s+(?:everything(?:\s+else)?|it\s+all|all\s+(?:of\s+)?(?:it|that)"
    r"|the\s+rest|the\s+(?:scene|background|picture|setting)|it)(?:\s+(?:the\s+)?same"
    r"|\s+as\s+(?:it\s+is|is))?\b",
    re.I,
)
""""keep everything but make it night": the last picture, changed only as it says."""


ALONE = re.compile(
    r"(?:,\s*)?\b(?:(?:all\s+)?alone|solo|by\s+(?:him|her|it|them)sel(?:f|ves)"
    r"|on\s+(?:his|her|its|their)\s+own)\b",
    re.I,
)
"""Who is named is all there is ("Rex on his own in the snow"): after a picture of more, only
they stay in it (``followup``, which cuts the words then)."""

_WITHOUT_OTHERS = re.compile(
    r"(?:,\s*)?\bwithout\s+(?:the\s+)?(?:others|other\s+one|anyone\s+else|everyone\s+else)\b",
    re.I,
)
"""The same said as who goes ("just Rex, without the others"): never a negative prompt."""

_VERDICT = re.compile(
    r"(?:^|(?<=[,.!?]))\s*(?:(?:that'?s|thats|it'?s|its|this\s+is|hmm+|ok(?:ay)?|nah|no|yeah)"
    r"[\s,]+)*(?:(?:way|a\s+bit|a\s+little|slightly|just|kinda|much|far)\s+)?"
    r"(?:too\s+(?:much|far|busy|crazy|intense|cluttered|over\s+the\s+top)|overkill|over\s+the\s+top"
    r"|a\s+bit\s+much|not\s+quite(?:\s+right)?|not\s+what\s+i\s+(?:meant|wanted|had\s+in\s+mind))"
    r"(?=\s*(?:$|[,.!?]))",
    re.I,
)
"""A verdict on the last picture ("hmm too much,", "not quite"): what the person thinks of it,
not what to draw; "too" here is not "as well"."""

_LIKE_CLAUSE = re.compile(
    r"\b(?:look(?:s|ing)?\s+)?(?:like|as\s+if|as\s+though)\s+it(?:'s|\s+is|\s+was)\s+(?=\S)",
    re.I,
)
""""make it look like it's on fire", "as if it's floating": the state itself ("on fire");
"he's"/"she's" read as the pronoun and what follows (``_CONTRACTED``)."""


def _normalize(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
        text = "".join(
            " " if unicodedata.category(c) in _SYMBOLS or "\ufe00" <= c <= "\ufe0f" else c
            for c in text
        )
    text = text.replace('"', "")
    if has_any(text, _NOISE_CUES):
        text = _CHAT_NOISE.sub(" ", text)
    if has_any(text, ("mme",)):
        text = _CONTRACTIONS.sub(
            lambda m: "let me" if m["verb"].lower() == "lem" else "give me", text
        )
    if has_any(text, ("more ", "er")):
        text = _COMPARATIVE.sub(lambda m: m["attr"] or COMPARATIVES[m["cmp"].lower()], text)
    if has_any(text, ("more ",)):
        text = _DEGREE_MORE.sub("", text)
    if has_any(text, _SHAPE_CUES):
        for pattern, replacement in _SHAPE_NORMAL:
            text = pattern.sub(replacement, text)
    if has_any(text, ("too ", "overkill", "over the top", "much", "not ")):
        text = _VERDICT.sub(" ", text)
    if has_any(text, ("it's", "it is", "it was")):
        text = _LIKE_CLAUSE.sub("", text)
    if "?" in text or "!" in text or ";" in text:
        text = _SENTENCE_END.sub(",", text)
    return WS.sub(" ", text).strip(" .,…")


def _number(raw: str) -> int:
    raw = WS.sub(" ", raw.lower())
    return int(raw) if raw.isdigit() else NUMBER_WORDS[raw]


_PUT_CUES = ("put", "place", "stick")

_OF_THEM = re.compile(
    r"\b(?:(?:the\s+(?:two|three|four)|both|all(?:\s+(?:two|three))?)\s+of\s+them"
    r"|(?:those|these|(?:the\s+)?same)\s+(?:two|three|four|pair|duo|trio)"
    r"(?!\s+(?:more|of|pictures?|photos?)\b)"
    r"|the\s+(?:pair|duo|trio)(?:\s+of\s+them)?(?!\s+of\b))\b",
    re.I,
)
"""A group said by its number ("both of them", "those two", "the same pair"): "them"."""

_MOVE_TO = re.compile(
    r"\b(?:move|take|bring|send|teleport|transport|carry)\s+(?P<who>\S+(?:\s+\S+)?)\s+to\s+"
    r"(?P<place>(?P<det>the|a|an)\s+|(?=[A-Z]))",
    re.I,
)


def _moved(match: re.Match[str]) -> str:
    preposition = "at" if match.group("det") else "in"  # "to the beach", "to Paris"
    return f"{match.group('who')} {preposition} {match.group('det') or ''} ".replace("  ", " ")


_GIVE = re.compile(
    r"\bgive\s+(?P<who>him|her|it|them)\s+"
    r"(?=(?:an?|some|the)\s|(?!(?:\d|more|another|one|two|three|four|again)\b)[a-z])",
    re.I,
)
"""Giving the subject a thing ("give him sunglasses"), not asking for pictures ("give them 2
more")."""

_CONTRACTED = re.compile(r"\b(?P<who>he|she|they)(?:'s|'re)\b", re.I)
""""now he's on a skateboard": the subject and what follows, as "he on a skateboard"."""

_CAN_THEY = re.compile(
    r"^(?:can|could|would|will|may)\s+(?P<who>he|she|it|they)\s+(?:be\s+|(?P<have>have)\s+)?",
    re.I,
)
"""A request asked as a question about the subject: "can he be holding a ball"."""


def _asked(match: re.Match[str]) -> str:
    return f"{match.group('who')} {'with ' if match.group('have') else ''}"


_ALONE_CUES = ("alone", "solo", "self", "selves", " own")

_PURPOSE = re.compile(
    r"(?:,\s*)?\b(?:to\s+use\s+)?for\s+(?:(?:my|his|her|our|their|a|an|the|your)\s+)?"
    r"(?:[\w']+\s+){0,2}?(?:cards?|invitations?|invites?|profile\s+(?:pic|picture|photo)s?|pfp"
    r"|avatar|screensaver|(?:instagram|insta|tiktok|facebook)(?:\s+(?:post|story|feed))?)\b",
    re.I,
)
"""What the picture is for ("for his birthday card", "for my profile pic"): not in it. "As a
card" is a rendition ("Rex as a trading card"), not a purpose."""

_PURPOSE_CUES = ("card", "invit", "profile", "pfp", "avatar", "screensaver", "insta", "tiktok",
                 "facebook")  # fmt: skip

_NEGATIVE_CUES = ("no ", "without", "minus", "excluding", "don't", "dont", "do not")


_REPEAT_CUES = ("another", "more", "again", "roll", "regenerate", "redo", "re-do", "different",
                "new one")  # fmt: skip


_MAKE_IT_CUES = ("make", "turn", "change", "set", "switch", "do ")

_MODIFY_CUES = ("now", "instead", "this time", "but", "about", "rather", "change to")


_COUNT_CUES = (*"0123456789", "x", "×", "one", "two", "three", "four", "five", "six", "seven",
               "eight", "nine", "ten", "eleven", "twelve", "twenty", "couple", "pair", "few",
               "handful", "dozen", "single", "several")  # fmt: skip


_ASPECT_CUES = ("square", "portrait", "vertical", "landscape", "horizontal", "wide", "panoram",
                "tall", ":", "phone")  # fmt: skip


def _take_negatives(text: str, req: Request) -> str:
    while has_any(text, _NEGATIVE_CUES) and (match := _NEGATIVE.search(text)):
        phrase = tidy(_ARTICLE.sub("", match.group("x")))
        if phrase.lower() in _NOT_NEGATIVES:
            break
        req.negatives.extend(p for p in _LIST_SEPARATOR.split(phrase) if p)
        text = tidy(text[: match.start()] + " " + text[match.end() :])
    return text


def _kept_reference(match: re.Match[str], text: str, rest: str) -> str:
    """ "one of them together at the beach": the count goes, the pronoun stays the reference
    when more of the request follows it ("4 of them" alone is only a count)."""
    pronoun = match.groupdict().get("of")
    if pronoun and pronoun.lower() in OBJECT_PRONOUNS and re.search(r"\w", text[match.end() :]):
        return tidy(f"{text[: match.start()]} {pronoun} {text[match.end() :]}")
    return rest


def _take_count(text: str, req: Request) -> str:
    for pattern in _COUNT_PATTERNS if has_any(text, _COUNT_CUES) else ():
        match, rest = take(pattern, text)
        if match:
            text = _kept_reference(match, text, rest)
            requested = _number(match.group("n"))
            req.repeat = req.repeat or " more" in match[0].lower()  # "2 more": new ones
            req.count = min(max(requested, 1), MAX_IMAGES)
            if requested > MAX_IMAGES:
                req.notes.append(
                    f"You asked for {requested} images; I make at most {MAX_IMAGES} at a time, "
                    f"so here are {MAX_IMAGES}."
                )
            break
    return text


def _take_cues(text: str, req: Request, *, has_previous: bool) -> str:
    match, text = take(_REPEAT, text, _REPEAT_CUES)
    if match:
        req.repeat = True
        req.repeat_one = "one" in match[0].lower()
    match, text = take(_SAME, text, ("same",))
    req.same = match is not None
    req.same_seed = bool(match and match.group("seed"))
    if has_previous and (kept := take(_KEEP, text, ("keep", "leave")))[0]:
        text, req.same = kept[1], True
    if has_previous:  # "make it …" is about the last picture only when there is one
        match, text = take(_MAKE_IT, text, _MAKE_IT_CUES)
        req.modify = match is not None
    match, text = take(_INSTEAD_OF, text, ("instead of", "rather than"))
    if match:
        req.instead_of, req.modify = tidy(match.group("old")), True
    while True:
        match, text = take(_MODIFY, text, _MODIFY_CUES)
        if match is None:
            break
        req.modify = True
        req.instead = req.instead or match[0].lower() in ("instead", "rather")
    match, text = take(_ALSO, text, ("too", "as well", "also"))
    req.also = match is not None
    return text


_STYLED = re.compile(rf"\b{STYLE_WORDS}\s+$", re.I)
"""A style word right before "portrait": an art rendition ("a renaissance portrait of Pepper")
whose word stays in the prompt."""


def _take_aspect(text: str, req: Request) -> str:
    for pattern in _ASPECT_PATTERNS if has_any(text, _ASPECT_CUES) else ():
        match, rest = take(pattern, text)
        if match:
            groups = match.groupdict()
            word = (groups.get("a") or "").lower()
            if word == "portrait" and _STYLED.search(text, 0, match.start("a")):
                req.aspect = Aspect.PORTRAIT  # the rendition keeps its word
                break
            text = rest
            if groups.get("r"):
                req.aspect = _RATIO_WORDS[groups["r"]]
            elif groups.get("a"):
                req.aspect = _ASPECT_WORDS[word]
            else:  # a phone wallpaper
                req.aspect = Aspect.TALL
            break
    return text


def _strip_commands(text: str, req: Request) -> str:
    previous = None
    while previous != text:
        previous = text
        match = _COMMANDS.match(text)
        if match and match.end():
            req.commanded = req.commanded or bool(match.group("verb") or match.group("how"))
            req.only = req.only or bool(match.group("only"))
            if match.group("how"):  # "what would Rex look like in …"
                text = _LOOK.sub("", text, count=1)
            text = tidy(text[match.end() :])
        if trailing := _TRAILING.search(text, max(0, len(text) - 24)):
            text = tidy(text[: trailing.start()])
    if style := _LEAD_STYLE.match(text):  # "a watercolor painting of Rex" → "Rex as a …"
        words = style.group("style")
        if medium := _BARE_MEDIUM.fullmatch(words):  # "a watercolor of Rex": a painting
            words = f"{words} {'drawing' if medium.group('dry') else 'painting'}"
        text = tidy(f"{text[style.end() :]} {style_phrase(words)}")
    return text


def parse_request(raw: str, *, has_previous: bool, put_on: re.Pattern[str]) -> Request:
    """Steps 1–3 of the module docstring."""
    req = Request(text="")
    text = _normalize(raw)
    if has_any(text, _PUT_CUES):  # "put a santa hat on Rex" → "Rex wearing a santa hat"
        text = put_on.sub(lambda m: f"{m.group('ref')} wearing {m.group('item')}", text)
    if has_any(text, (" of them", "two", "three", "four", "pair", "duo", "trio")):
        text = _OF_THEM.sub("them", text)
    if " to " in text.lower():  # "move her to the beach" → "her at the beach"
        text = _MOVE_TO.sub(_moved, text)
    if "give" in text.lower():  # "give him a crown" → "him with a crown"
        text = _GIVE.sub(r"\g<who> with ", text)
    if "'" in text:  # "he's on a skateboard" → "he on a skateboard"
        text = _CONTRACTED.sub(r"\g<who>", text)
    text = _CAN_THEY.sub(_asked, text)  # "can he be holding a ball" → "he holding a ball"
    text = take(_PURPOSE, text, _PURPOSE_CUES)[1]
    if has_previous and has_any(text, ("without",)):
        if (others := take(_WITHOUT_OTHERS, text))[0]:
            text, req.only = others[1], True
    if has_previous and has_any(text, _ALONE_CUES) and ALONE.search(text):
        req.only = True
    text = _take_negatives(text, req)
    match, text = take(_SEED, text, ("seed",))
    if match:
        req.seed = int(match.group("seed"))
    text = _take_count(text, req)
    text = _take_cues(text, req, has_previous=has_previous)
    text = _take_aspect(text, req)
    req.text = _strip_commands(text, req)
    return req
