"""The prompt compiler: a casual request ("show my dog in Paris", "make it at night") becomes
the exact parameters of one generation.

Why a hand-written compiler instead of letting the chat model write prompts: it runs on every
generation turn for both the offline and the OpenAI-compatible model, so it must be
deterministic, fast (a tenth of a millisecond or so) and identical for both; and a DreamBooth adapter only
answers to its rare token followed by the class noun it was trained with (``sks dog``), which a
model paraphrasing the request easily breaks. The result is plain data the agent stores as "the
last generation", which is what makes follow-ups ("another one", "same but square") work.

The request goes through these steps, each consuming what it recognises:

1. negatives ("without people", "no text") → the negative prompt;
2. an explicit seed, follow-up cues ("another one", "same", "make it", "now"), the image count
   and the aspect;
3. command and politeness words ("can you show me a picture of");
4. subject references — names ("Rex", "Rex's"), kinds ("my dog", "the cat", "my puppies"), the
   token itself, "me", and pronouns ("him", "them") for the subject in focus — and attributes
   that sit right next to one ("a red Rex", "make Rex a cube shaped dog", "my teapot, but shiny");
5. what is left is the scene, kept in the user's words and order ("on the beach at sunset").

Follow-ups rebuild from the previous ``CompiledPrompt``: scene modifiers (time of day, weather,
season, style, lighting) replace those of the same kind ("at night" replaces "at sunset"), a new
location replaces the old one, and the seed is kept unless the person asked for new pictures
("another one", "again", "4 of them"), so "same but square" reproduces the picture.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

__all__ = [
    "BENCH_LEAD",
    "DEFAULT_BASE_SIZE",
    "DEFAULT_NEGATIVE_PROMPT",
    "MAX_IMAGES",
    "PHOTO_LEAD",
    "Aspect",
    "Clarify",
    "ClarifyReason",
    "CompiledPrompt",
    "PromptResult",
    "SubjectRef",
    "UnknownSubject",
    "compile_prompt",
    "size_for",
]

MAX_IMAGES = 4
"""More images per request than this would hold the GPU queue for everyone else."""
DEFAULT_BASE_SIZE = 512
PHOTO_LEAD = "a photo of"
"""How prompts start by default, matching the instance prompt the adapters are trained with."""
BENCH_LEAD = "a"
"""The DreamBench style: ``a sks dog in the jungle``."""
DEFAULT_NEGATIVE_PROMPT = "blurry, low quality, deformed, watermark, text"


# --- results -------------------------------------------------------------------------------


class Aspect(StrEnum):
    SQUARE = "square"
    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"
    WIDE = "wide"
    TALL = "tall"


_RATIOS: dict[Aspect, tuple[int, int]] = {
    Aspect.SQUARE: (1, 1),
    Aspect.PORTRAIT: (2, 3),
    Aspect.LANDSCAPE: (3, 2),
    Aspect.WIDE: (16, 9),
    Aspect.TALL: (9, 16),
}


def _round8(value: float) -> int:
    return max(8, round(value / 8) * 8)


def size_for(aspect: Aspect | str, base_size: int = DEFAULT_BASE_SIZE) -> tuple[int, int]:
    """``(width, height)`` whose short side is ``base_size`` (the resolution the adapter was
    trained at, where it looks best) and whose long side follows the ratio; both are multiples
    of 8 because the VAE works on 8×8 blocks."""
    if base_size < 64:
        raise ValueError(f"base_size must be at least 64 pixels, not {base_size}")
    short = _round8(base_size)
    across, down = _RATIOS[Aspect(aspect)]
    if across == down:
        return short, short
    long = _round8(short * max(across, down) / min(across, down))
    return (long, short) if across > down else (short, long)


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """What the compiler needs to know about one of the user's subjects."""

    id: str
    name: str
    class_noun: str
    token: str

    @classmethod
    def of(cls, subject: Any) -> SubjectRef:
        """From any record with these four attributes, e.g. ``core.domain.Subject``."""
        return cls(subject.id, subject.name, subject.class_noun, subject.token)

    @property
    def phrase(self) -> str:
        return f"{self.token} {self.class_noun}"


@dataclass(frozen=True, slots=True)
class CompiledPrompt:
    """One generation's parameters. The agent stores it (``to_dict``) as the conversation's last
    generation, with ``seed`` set to the seed actually used, so that "same but square" can
    reproduce the picture."""

    prompt: str
    negative_prompt: str
    count: int
    width: int
    height: int
    aspect: Aspect
    seed: int | None
    """``None``: pick a new one."""
    subject_ids: tuple[str, ...]
    scene: str
    """The request's own words after the subjects ("on the beach at sunset"); may be empty."""
    attributes: tuple[str, ...] = ()
    """Properties of the (first) subject itself, as in ``a red sks dog``."""
    notes: tuple[str, ...] = ()
    """Things the agent should tell the person, e.g. that a count was capped."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "count": self.count,
            "width": self.width,
            "height": self.height,
            "aspect": self.aspect.value,
            "seed": self.seed,
            "subject_ids": list(self.subject_ids),
            "scene": self.scene,
            "attributes": list(self.attributes),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompiledPrompt:
        return cls(
            prompt=str(data["prompt"]),
            negative_prompt=str(data.get("negative_prompt", "")),
            count=int(data.get("count", 1)),
            width=int(data["width"]),
            height=int(data["height"]),
            aspect=Aspect(data.get("aspect", Aspect.SQUARE)),
            seed=None if data.get("seed") is None else int(data["seed"]),
            subject_ids=tuple(data.get("subject_ids", ())),
            scene=str(data.get("scene", "")),
            attributes=tuple(data.get("attributes", ())),
            notes=tuple(data.get("notes", ())),
        )

    def with_seed(self, seed: int | None) -> CompiledPrompt:
        return replace(self, seed=seed)


ClarifyReason = Literal[
    "ambiguous_subject", "no_subject", "no_subjects", "nothing_to_repeat", "empty"
]


@dataclass(frozen=True, slots=True)
class Clarify:
    """The request cannot be compiled without asking: which of two dogs, which subject at all.
    ``options`` are subject names to offer, ``option_ids`` the matching ids."""

    question: str
    options: tuple[str, ...] = ()
    option_ids: tuple[str, ...] = ()
    reason: ClarifyReason = "no_subject"


@dataclass(frozen=True, slots=True)
class UnknownSubject:
    """The request names a subject the user does not have ("my horse", "Bella"), so the agent
    can say so instead of generating someone else."""

    reference: str
    """As the person wrote it: ``my horse``, ``Bella``."""
    class_noun: str | None = None
    """The kind they named, when they named one (``horse``)."""


PromptResult = CompiledPrompt | Clarify | UnknownSubject


# --- vocabulary ----------------------------------------------------------------------------

_NUMBERS: dict[str, int] = {
    "one": 1, "a single": 1, "single": 1, "two": 2, "a couple": 2, "a couple of": 2,
    "a pair of": 2, "three": 3, "a few": 3, "several": 3, "four": 4, "a handful of": 5,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "a dozen": 12, "twenty": 20,
}  # fmt: skip
_NUM = (
    r"(?P<n>\d{1,3}|a\s+couple(?:\s+of)?|a\s+pair\s+of|a\s+few|a\s+handful\s+of|a\s+dozen"
    r"|a\s+single|several|single|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
    r"|twelve|twenty)"
)
_COUNT_NOUN = (
    r"(?:pictures?|photos?|photographs?|images?|pics?|shots?|versions?|variations?|variants?"
    r"|options?|renders?|copies|takes|ones|selfies?|portraits?)"
)
_COUNT_PATTERNS = (
    re.compile(
        rf"\b{_NUM}\s+(?:more\s+|different\s+|new\s+|other\s+|more\s+different\s+)?"
        rf"(?:of\s+(?:them|those|these|it|that|this)\b|{_COUNT_NOUN}\b(?:\s+of\b)?)",
        re.I,
    ),
    re.compile(rf"\b{_NUM}\s+more\b", re.I),
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

_COLORS = (
    "red orange yellow green blue purple pink violet black white gold golden silver brown grey "
    "gray teal turquoise beige magenta cyan crimson navy rainbow multicolored multicoloured"
).split()
_FINISHES = (
    "shiny glossy metallic matte wet transparent translucent glowing sparkly glittery chrome "
    "rusty muddy wooden fluffy furry frozen"
).split()
_SIZES = "tiny giant huge gigantic miniature".split()
_SHAPES = "cube sphere heart star pyramid cylinder ball egg donut".split()
_ATTR_CATEGORY: dict[str, str] = {
    **dict.fromkeys(_COLORS, "color"),
    **dict.fromkeys(_FINISHES, "finish"),
    **dict.fromkeys(_SIZES, "size"),
    **{f"{shape} shaped": "shape" for shape in _SHAPES},
}
_ATTR = (
    r"(?:(?:"
    + "|".join(_SHAPES)
    + r")\s+shaped|"
    + "|".join(sorted((*_COLORS, *_FINISHES, *_SIZES), key=len, reverse=True))
    + r")\b"
)
_ATTR_SEQ = rf"{_ATTR}(?:(?:\s*,\s*|\s+){_ATTR})*"
_ATTR_RE = re.compile(_ATTR, re.I)
_BOUNDARY = (
    r"(?:in|on|at|with|without|under|over|near|by|from|for|to|into|onto|inside|outside|behind"
    r"|beside|next|against|among|through|across|around|above|below|while|during|wearing"
    r"|dressed|as|\w+ing)\b"
)

# Kinds people use for the class noun they gave: "my puppy" finds a subject of class "dog".
_FAMILIES: dict[str, list[str]] = {
    "dog": (
        "dog puppy pup doggy doggie doggo pooch hound retriever labrador lab poodle beagle "
        "bulldog terrier corgi husky dachshund shepherd pug chihuahua spaniel collie schnauzer "
        "doberman rottweiler greyhound pomeranian"
    ).split(),
    "cat": "cat kitty kitten tabby siamese ragdoll sphynx".split(),
    "person": (
        "person man woman boy girl child kid baby toddler guy lady gentleman human son daughter "
        "wife husband mom mum mother dad father brother sister grandma grandpa grandmother "
        "grandfather friend partner boyfriend girlfriend"
    ).split(),
    "stuffed animal": ["stuffed animal", "plushie", "plush", "plush toy", "stuffed toy", "teddy",
                       "teddy bear", "soft toy"],
    "sneaker": "sneaker shoe trainer".split(),
    "glasses": ["glasses", "sunglasses", "shades", "spectacles"],
    "backpack": "backpack bag rucksack".split(),
}  # fmt: skip
_FAMILY_OF: dict[str, str] = {word: family for family, words in _FAMILIES.items() for word in words}
_IRREGULAR_PLURALS = {
    "person": "people", "man": "men", "woman": "women", "child": "children",
    "mouse": "mice", "goose": "geese", "foot": "feet", "tooth": "teeth",
}  # fmt: skip
_SELF_FAMILY = "person"
_SELF_NAMES = frozenset({"me", "myself", "i"})

# Scene modifiers, by kind: a follow-up's modifier replaces the previous one of the same kind.
_STYLE_WORDS = (
    r"(?:watercolou?r|oil|acrylic|pastel|pencil|charcoal|ink|crayon|anime|manga|cartoon"
    r"|comic(?:\s+book)?|pixel\s+art|3d|claymation|clay|origami|lego|low[\s-]poly|cyberpunk"
    r"|steampunk|vaporwave|synthwave|pop\s+art|impressionist|cubist|surrealist|renaissance"
    r"|baroque|ukiyo[\s-]e|art\s+deco|art\s+nouveau|stained\s+glass|mosaic|graffiti|vintage"
    r"|retro|film\s+noir|noir|polaroid|cinematic|photorealistic|hyperrealistic|realistic"
    r"|studio\s+ghibli|ghibli|pixar|disney|minimalist)"
)
_STYLE_NOUNS = (
    r"(?:style|painting|drawing|sketch|illustration|render|rendering|art|artwork|photo"
    r"|photograph|film|movie|poster|cartoon|comic|sculpture|figure|figurine|character)"
)
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
        r"\b(?:in\s+(?:the\s+|a\s+)?(?:heavy\s+|light\s+|pouring\s+)?(?:rain|snow|fog|mist|storm"
        r"|thunderstorm|blizzard|snowstorm|sandstorm|drizzle|hail)"
        r"|during\s+(?:a|the)\s+(?:rainstorm|rain|snowfall|snowstorm|snow|storm|thunderstorm"
        r"|blizzard)"
        r"|on\s+a\s+(?:rainy|snowy|foggy|misty|stormy|cloudy|windy|overcast|grey|gray)\s+day"
        r"|while\s+it(?:'s|\s+is)\s+(?:raining|snowing)|under\s+a\s+rainbow)\b",
        re.I,
    ),
    "season": re.compile(
        r"\b(?:(?:in|during)\s+(?:the\s+)?(?:winter|summer|spring|autumn|fall)(?:\s*time)?"
        r"|on\s+(?:christmas|halloween)(?:\s+(?:day|eve|night|morning))?)\b",
        re.I,
    ),
    "style": re.compile(
        r"\b(?:in\s+the\s+style\s+of\s+[^,]+?(?=\s*(?:$|,|\b(?:at|during|on|with|under)\b))"
        rf"|(?:as|in)\s+(?:an?\s+)?{_STYLE_WORDS}(?:\s+{_STYLE_NOUNS})?"
        rf"|(?:in\s+)?(?:an?\s+)?{_STYLE_WORDS}\s+style"
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
_BARE_MODIFIERS: dict[str, tuple[str, str]] = {
    **{w: ("time", "at night") for w in ("night", "nighttime", "night time", "dark")},
    **{w: ("time", f"at {w}") for w in ("sunset", "sunrise", "dawn", "dusk", "noon",
                                          "midnight", "twilight", "golden hour")},
    **{w: ("time", f"in the {w}") for w in ("morning", "afternoon", "evening")},
    **{w: ("time", "during the day") for w in ("day", "daytime", "daylight")},
    **{w: ("weather", f"on a {w} day") for w in ("rainy", "snowy", "foggy", "stormy",
                                                 "cloudy", "sunny", "misty", "windy")},
    **{w: ("season", f"in {s}") for w, s in (("winter", "winter"), ("wintery", "winter"),
                                             ("wintry", "winter"), ("summer", "summer"),
                                             ("summery", "summer"), ("spring", "spring"),
                                             ("autumn", "autumn"), ("fall", "autumn"),
                                             ("autumnal", "autumn"))},
    **{w: ("style", f"in {w}") for w in ("black and white", "sepia", "monochrome",
                                         "grayscale", "greyscale")},
}  # fmt: skip
_BARE_STYLE = re.compile(
    rf"(?:an?\s+)?(?:{_STYLE_WORDS}(?:\s+{_STYLE_NOUNS})?"
    r"|painting|drawing|sketch|cartoon|illustration|sculpture|statue)",
    re.I,
)

# --- request parsing ----------------------------------------------------------------------

_WS = re.compile(r"\s+")
_VOWELS = "aeiou"
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_SHAPE_NORMAL = (
    (re.compile(r"\b(\w+)-shaped\b", re.I), r"\1 shaped"),
    (
        re.compile(
            r"\b(?:shaped\s+like|in\s+the\s+shape\s+of|as)\s+an?\s+(" + "|".join(_SHAPES) + r")\b",
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
    r"|\b(?:in|on|at|under|near|by|during|wearing|while|with)\b))",
    re.I,
)
_NOT_NEGATIVES = frozenset({"thanks", "thank you", "problem", "worries", "way", "more"})
_SEED = re.compile(
    r"\b(?:with\s+|using\s+)?(?:the\s+)?seed\s*(?:=|:|#|of|number)?\s*(?P<seed>\d{1,9})\b", re.I
)
_REPEAT = re.compile(
    r"\b(?:another(?:\s+one)?|one\s+more|(?:try|do\s+(?:it|that|this))\s+again|again"
    r"|re-?roll|re-?generate|re-?do(?:\s+it)?|(?:a\s+)?(?:different|new)\s+one"
    r"|more\s+like\s+(?:this|that)|more(?=\s*(?:please\s*)?$))\b",
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
_PUT_ON = r"\b(?:put|place|stick)\s+(?!(?:my|our|him|her|it|them)\b)(?P<item>[^,]+?)\s+on(?:to)?\s+"
_COMMANDS = re.compile(
    r"^(?:"
    r"(?:hey|hi|hello|ok(?:ay)?|so|um+|uh+|yes|yeah|yep|sure|cool|great|nice|awesome|perfect"
    r"|wow|lovely|alright|thanks|thank\s+you|hmm+)\b[\s,!.]*"
    r"|(?:please|pls|plz|kindly|just|maybe|quickly|then|and|or)\b"
    r"|(?:could|can|would|will)\s+(?:you|u)\b"
    r"|(?:could|can|may)\s+(?:i|we)\s+(?:please\s+)?(?:get|have|see)\b"
    r"|(?:i(?:'d|\s+would)\s+(?:like|love)|i\s+(?:want|wanna|need)|we(?:'d|\s+would)\s+like)"
    r"(?:\s+to\s+(?:see|get|have))?\b"
    r"|(?:let\s+me|let'?s)\s+(?:see|get|have)\b"
    r"|(?P<verb>show|make|give|send|get|generate|create|draw|render|paint|sketch|imagine|picture"
    r"|depict|produce|visuali[sz]e|design|put|place|dress(?:\s+up)?|take|snap|try|do)"
    r"(?:\s+(?:me|us)(?!\s+(?:in|on|at|as|wearing|with|dressed|under|near|by|next|\w+ing)\b))?\b"
    r"|(?P<how>(?:what|how)\s+(?:would|might|will|does|do|could))\b"
    r"|(?:(?:some|a|an|the|one|new|quick|nice|cool|cute|fun|funny|great|beautiful|lovely|good)"
    r"\s+)*(?:pictures?|photos?|photographs?|images?|pics?|snaps?|shots?|renders?|renderings?"
    r"|selfies?)(?:\s+(?:of|with|where|featuring|showing))?\b"
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
_STYLE_NOUN = (
    r"(?:painting|drawing|sketch|illustration|render|rendering|photo|photograph|poster|cartoon"
    r"|comic|sculpture|statue|figure|figurine|character|caricature)"
)
_LEAD_STYLE = re.compile(
    rf"^(?:an?\s+)?(?P<style>(?:{_STYLE_WORDS}\s+)?{_STYLE_NOUN}|{_STYLE_WORDS}"
    r"(?:\s+(?:art|style))?)\s+of\s+",
    re.I,
)
_ENDS_WITH_STYLE_NOUN = re.compile(rf"\b{_STYLE_NOUN}$", re.I)
_ARTICLE = re.compile(r"^(?:an?|the|any)\s+", re.I)
_LIST_SEPARATOR = re.compile(r"\s*(?:\band\b|,|&)\s*", re.I)


def _style_phrase(words: str) -> str:
    """How a style reads at the end of a prompt: "a watercolor" → "as a watercolor",
    "oil painting" → "as an oil painting", "anime style" → "in anime style"."""
    words = _tidy(words)
    if re.match(r"an?\s", words, re.I):
        return f"as {words}"
    words = re.sub(r"\s+style$", "", words, flags=re.I)
    if _ENDS_WITH_STYLE_NOUN.search(words):
        return f"as {'an' if words[:1].lower() in _VOWELS else 'a'} {words}"
    return f"in {words} style"


_TIDY_BEFORE_PUNCT = re.compile(r"\s+([,;])")
_TIDY_REPEATED_PUNCT = re.compile(r"([,;])(?:\s*[,;])+")
_EDGE_PUNCT = " ,;:-&."
_LEADING_JUNK = frozenset({"and", "or", "of", "plus"})
_TRAILING_JUNK = frozenset({"and", "or", "of", "with", "plus", "to"})


def _tidy(text: str) -> str:
    """Whitespace and punctuation left behind when a phrase is cut out of the middle."""
    if "  " in text or "\t" in text or "\n" in text:
        text = _WS.sub(" ", text)
    if "," in text or ";" in text:
        text = _TIDY_BEFORE_PUNCT.sub(r"\1", text)
        text = _TIDY_REPEATED_PUNCT.sub(r"\1", text)
    while True:
        text = text.strip(_EDGE_PUNCT)
        head, _, rest = text.partition(" ")
        if head.lower() in _LEADING_JUNK:
            text = rest
            continue
        rest, _, tail = text.rpartition(" ")
        if rest and tail.lower() in _TRAILING_JUNK:
            text = rest
            continue
        return text


@dataclass(slots=True)
class _Request:
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
    commanded: bool = False

    @property
    def cued(self) -> bool:
        return self.repeat or self.same or self.modify or self.also

    @property
    def bare(self) -> bool:
        """Only settings were given ("4 of them", "square", "seed 7", "without people")."""
        return not self.text


_SHAPE_CUES = ("shape", " as a", "black", "&")
_SENTENCE_END = re.compile(r"[?!;]+")


def _normalize(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = text.replace('"', "")
    if _has(text, _SHAPE_CUES):
        for pattern, replacement in _SHAPE_NORMAL:
            text = pattern.sub(replacement, text)
    if "?" in text or "!" in text or ";" in text:
        text = _SENTENCE_END.sub(",", text)
    return _WS.sub(" ", text).strip(" .,…")


def _number(raw: str) -> int:
    raw = _WS.sub(" ", raw.lower())
    return int(raw) if raw.isdigit() else _NUMBERS[raw]


def _take(
    pattern: re.Pattern[str], text: str, cues: tuple[str, ...] = ()
) -> tuple[re.Match[str] | None, str]:
    """Cut the first match out of the text. ``cues``: substrings one of which every match
    contains; checking them first skips most regex scans (the compiler runs every turn)."""
    if cues:
        lowered = text.lower()
        if not any(cue in lowered for cue in cues):
            return None, text
    match = pattern.search(text)
    if match is None:
        return None, text
    return match, _tidy(text[: match.start()] + " " + text[match.end() :])


_PUT_CUES = ("put", "place", "stick")
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


def _has(text: str, cues: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(cue in lowered for cue in cues)


def _take_negatives(text: str, req: _Request) -> str:
    while _has(text, _NEGATIVE_CUES) and (match := _NEGATIVE.search(text)):
        phrase = _tidy(_ARTICLE.sub("", match.group("x")))
        if phrase.lower() in _NOT_NEGATIVES:
            break
        req.negatives.extend(p for p in _LIST_SEPARATOR.split(phrase) if p)
        text = _tidy(text[: match.start()] + " " + text[match.end() :])
    return text


def _take_count(text: str, req: _Request) -> str:
    for pattern in _COUNT_PATTERNS if _has(text, _COUNT_CUES) else ():
        match, text = _take(pattern, text)
        if match:
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


def _take_cues(text: str, req: _Request, *, has_previous: bool) -> str:
    match, text = _take(_REPEAT, text, _REPEAT_CUES)
    if match:
        req.repeat = True
        req.repeat_one = "one" in match[0].lower()
    match, text = _take(_SAME, text, ("same",))
    req.same = match is not None
    req.same_seed = bool(match and match.group("seed"))
    if has_previous:  # "make it …" is about the last picture only when there is one
        match, text = _take(_MAKE_IT, text, _MAKE_IT_CUES)
        req.modify = match is not None
    while True:
        match, text = _take(_MODIFY, text, _MODIFY_CUES)
        if match is None:
            break
        req.modify = True
    match, text = _take(_ALSO, text, ("too", "as well", "also"))
    req.also = match is not None
    return text


def _take_aspect(text: str, req: _Request) -> str:
    for pattern in _ASPECT_PATTERNS if _has(text, _ASPECT_CUES) else ():
        match, text = _take(pattern, text)
        if match:
            groups = match.groupdict()
            if groups.get("r"):
                req.aspect = _RATIO_WORDS[groups["r"]]
            elif groups.get("a"):
                req.aspect = _ASPECT_WORDS[groups["a"].lower()]
            else:  # a phone wallpaper
                req.aspect = Aspect.TALL
            break
    return text


def _strip_commands(text: str, req: _Request) -> str:
    previous = None
    while previous != text:
        previous = text
        match = _COMMANDS.match(text)
        if match and match.end():
            req.commanded = req.commanded or bool(match.group("verb") or match.group("how"))
            if match.group("how"):  # "what would Rex look like in …"
                text = _LOOK.sub("", text, count=1)
            text = _tidy(text[match.end() :])
        if trailing := _TRAILING.search(text, max(0, len(text) - 24)):
            text = _tidy(text[: trailing.start()])
    if style := _LEAD_STYLE.match(text):  # "a watercolor painting of Rex" → "Rex as a …"
        text = _tidy(f"{text[style.end() :]} {_style_phrase(style.group('style'))}")
    return text


def _parse_request(raw: str, *, has_previous: bool, put_on: re.Pattern[str]) -> _Request:
    """Steps 1–3 of the module docstring."""
    req = _Request(text="")
    text = _normalize(raw)
    if _has(text, _PUT_CUES):  # "put a santa hat on Rex" → "Rex wearing a santa hat"
        text = put_on.sub(lambda m: f"{m.group('ref')} wearing {m.group('item')}", text)
    text = _take_negatives(text, req)
    match, text = _take(_SEED, text, ("seed",))
    if match:
        req.seed = int(match.group("seed"))
    text = _take_count(text, req)
    text = _take_cues(text, req, has_previous=has_previous)
    text = _take_aspect(text, req)
    req.text = _strip_commands(text, req)
    return req


# --- the user's subjects -------------------------------------------------------------------


def _plural(word: str) -> str:
    head, _, last = word.rpartition(" ")
    if last in _IRREGULAR_PLURALS:
        plural = _IRREGULAR_PLURALS[last]
    elif last.endswith(("s", "x", "ch", "sh")):
        plural = last if last.endswith("s") else last + "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural


def _alternation(words: Iterable[str]) -> str:
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered)


def _key(text: str) -> str:
    return _WS.sub(" ", text.strip().casefold())


@dataclass(frozen=True, slots=True)
class _Lexicon:
    """The per-user patterns, built once per set of subjects (``_lexicon`` caches them)."""

    subjects: tuple[SubjectRef, ...]
    refs: re.Pattern[str]
    forms: dict[str, tuple[str, str, bool]]
    """Kind word → (exact class it names, family, plural)."""
    suffix: re.Pattern[str]
    put_on: re.Pattern[str]
    attrs_only: re.Pattern[str]

    def by_kind(self, word: str) -> tuple[list[SubjectRef], bool]:
        exact, family, plural = self.forms[_key(word)]
        found = [s for s in self.subjects if _key(s.class_noun) == exact]
        if not found:
            found = [s for s in self.subjects if _family(s.class_noun) == family]
        return found, plural


def _family(class_noun: str) -> str:
    key = _key(class_noun)
    return _FAMILY_OF.get(key, key)


@lru_cache(maxsize=512)
def _lexicon(subjects: tuple[SubjectRef, ...]) -> _Lexicon:
    forms: dict[str, tuple[str, str, bool]] = {}
    for subject in subjects:
        noun = _key(subject.class_noun)
        family = _family(noun)
        for word in (*_FAMILIES.get(family, ()), noun):
            forms.setdefault(word, (noun, family, False))
            forms.setdefault(_plural(word), (noun, family, True))
        forms[noun] = (noun, family, False)
    kinds = _alternation(forms) or r"(?!)"
    names = _alternation(_key(s.name) for s in subjects) or r"(?!)"
    tokens = _alternation(_key(s.token) for s in subjects) or r"(?!)"
    refs = re.compile(
        rf"(?P<kind>\b(?P<det>my|our|the|a|an|this|that)\s+(?P<kattrs>(?:{_ATTR}\s+)*?)"
        rf"(?P<kword>{kinds})(?:'s|')?)(?!\w)"
        rf"|(?P<tok>\b(?P<tword>{tokens})(?:\s+(?:{kinds}))?)\b"
        rf"|(?P<name>\b(?P<nword>{names})(?:'s|')?)(?!\w)"
        r"|(?P<me>\b(?:me|myself)\b)"
        r"|(?P<pron>\b(?:him|her|it|them|he|she|they)\b)",
        re.I,
    )
    suffix = re.compile(
        rf"\s*,?\s*(?:(?:in|as|and)\s+)?(?:(?:an?)\s+)?(?P<attrs>{_ATTR_SEQ})"
        rf"(?:\s+(?:version|one|{kinds}))?(?=\s*(?:$|,|{_BOUNDARY}))",
        re.I,
    )
    attrs_only = re.compile(
        rf"(?:(?:an?)\s+)?(?P<attrs>{_ATTR_SEQ})(?:\s+(?:version|one|{kinds}))?", re.I
    )
    target = rf"(?P<ref>him|her|it|them|{names}|(?:my|our|the)\s+(?:{kinds}))"
    put_on = re.compile(rf"{_PUT_ON}{target}\b", re.I)
    return _Lexicon(subjects, refs, forms, suffix, put_on, attrs_only)


@dataclass(slots=True)
class _Ref:
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


def _find_refs(text: str, lex: _Lexicon) -> list[_Ref]:
    refs: list[_Ref] = []
    for match in lex.refs.finditer(text):
        if match.group("kind"):
            found, plural = lex.by_kind(match.group("kword"))
            refs.append(
                _Ref(
                    match.start(),
                    match.end(),
                    match.group(0),
                    found,
                    "kind",
                    attrs=_ATTR_RE.findall(match.group("kattrs") or ""),
                    article=match.group("det").lower() in ("a", "an"),
                    plural=plural,
                )
            )
        elif match.group("tok"):
            word = _key(match.group("tword"))
            found = [s for s in lex.subjects if _key(s.token) == word]
            refs.append(_Ref(match.start(), match.end(), match.group(0), found, "tok"))
        elif match.group("name"):
            word = _key(match.group("nword"))
            found = [s for s in lex.subjects if _key(s.name) == word]
            refs.append(_Ref(match.start(), match.end(), match.group(0), found, "name"))
        elif match.group("me"):
            named = [s for s in lex.subjects if _key(s.name) in _SELF_NAMES]
            found = named or [s for s in lex.subjects if _family(s.class_noun) == _SELF_FAMILY]
            refs.append(_Ref(match.start(), match.end(), match.group(0), found, "me"))
        else:
            refs.append(_Ref(match.start(), match.end(), match.group(0), [], "pron"))
    return refs


# --- scenes --------------------------------------------------------------------------------

_PREFIX = re.compile(
    rf"(?:(?:a|an|the|one)\s+)?(?:(?P<attrs>{_ATTR_SEQ})\s+)?"
    r"(?:(?:version|variant|copy|edition)\s+of\s+)?",
    re.I,
)
_GAP = re.compile(
    r"\s*,?\s*(?:(?:and|&|plus|with|together\s+with|along\s+with|alongside|as\s+well\s+as)\s+)?"
    rf"(?:(?:a|an|the)\s+)?(?:{_ATTR_SEQ}\s+)?",
    re.I,
)
_CONNECTOR_BEFORE = re.compile(
    r"(?:\b(?:with|and|of|featuring|starring|plus|including)\s*|&\s*)$", re.I
)
_UNKNOWN = re.compile(
    rf"(?P<ref>(?:my|our)\s+(?:(?:{_ATTR}|little|old|new|best|cute|sweet|beloved|favou?rite"
    r"|lovely|big|small)\s+)*"
    rf"(?P<noun>[a-z][a-z'-]*(?:\s+(?!{_BOUNDARY}|and\b|{_ATTR})[a-z][a-z'-]*){{0,2}}))",
    re.I,
)
_GAP_AND = re.compile(r"\s*(?:,\s*|(?:,\s*)?(?:and|&|plus)\s+)", re.I)
_SCENE_VERBS = (
    (re.compile(r"^(?:is|are|was|gets|getting)\s+", re.I), ""),
    (re.compile(r"^(?:wears?|to\s+wear)\b", re.I), "wearing"),
    (re.compile(r"^with\s+(?P<item>(?:an?|some|the)\s+[^,]+?)\s+on$", re.I), r"wearing \g<item>"),
)
_STARTERS = re.compile(rf"(?:{_BOUNDARY}|and\b|with\b|without\b|\w+ed\b|,)", re.I)
_NAME_LIKE = re.compile(rf"(?P<word>[A-Z][\w'-]*)(?:'s)?(?=\s*(?:$|,|{_BOUNDARY}|and\b))")
_NOT_NAMES = frozenset(
    "a an the this that these those it its in on at with my our your i me please "
    "some any one".split()
)


def _prefix_end(text: str) -> int:
    match = _PREFIX.match(text)
    return match.end() if match else 0


def _normalize_scene(scene: str) -> str:
    scene = _tidy(scene)
    for pattern, replacement in _SCENE_VERBS:
        scene = pattern.sub(replacement, scene)
    return _tidy(scene)


def _split_modifiers(scene: str) -> tuple[str, list[tuple[str, str]]]:
    """``"on the beach at sunset"`` → ``("on the beach", [("time", "at sunset")])``."""
    found: list[tuple[int, str, str]] = []
    rest = scene
    for kind, pattern in _MODIFIERS.items():
        for match in pattern.finditer(rest):
            found.append((match.start(), kind, _tidy(match.group(0))))
        rest = pattern.sub(lambda m: " " * len(m.group(0)), rest)
    base = _tidy(rest)
    bare = _BARE_MODIFIERS.get(_key(base))
    if bare is not None:
        found.append((len(scene), *bare))
        base = ""
    elif base and _BARE_STYLE.fullmatch(base):
        found.append((len(scene), "style", _style_phrase(base)))
        base = ""
    found.sort()
    return base, [(kind, phrase) for _, kind, phrase in found]


def _join_scene(base: str, modifiers: Sequence[tuple[str, str]]) -> str:
    return _tidy(" ".join([base, *(phrase for _, phrase in modifiers)]))


def _merge_attrs(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    replaced = {_ATTR_CATEGORY.get(_key(a), a) for a in new}
    kept = [a for a in old if _ATTR_CATEGORY.get(_key(a), a) not in replaced]
    return tuple(dict.fromkeys([*kept, *new]))


def _clean_attrs(words: Iterable[str]) -> list[str]:
    return [_WS.sub(" ", w.lower()) for w in words]


# --- compiling -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    subjects: list[SubjectRef]
    scene: str
    attrs: list[str] = field(default_factory=list)


def _render(lead: str, subjects: Sequence[SubjectRef], attrs: Sequence[str], scene: str) -> str:
    """The subjects the scene does not already place ("playing with zwx cat") lead the prompt."""
    in_scene = set(re.findall(r"\S+", scene.casefold()))
    leading = [s for s in subjects if _key(s.token) not in in_scene] or list(subjects[:1])
    phrases = [subject.phrase for subject in leading]
    phrases[0] = " ".join([*attrs, phrases[0]])
    group = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    head = f"{lead} {group}".strip()
    if not scene:
        return head
    joiner = " " if _STARTERS.match(scene) else ", "
    return f"{head}{joiner}{scene}"


def _negative(base: str, extra: Iterable[str]) -> str:
    parts = [p.strip() for p in base.split(",") if p.strip()]
    seen = {_key(p) for p in parts}
    for phrase in extra:
        if _key(phrase) not in seen:
            seen.add(_key(phrase))
            parts.append(phrase)
    return ", ".join(parts)


def _ask_which(ref: _Ref) -> Clarify:
    names = tuple(s.name for s in ref.subjects)
    noun = ref.subjects[0].class_noun if ref.kind == "kind" else "one"
    listed = ", ".join(names[:-1]) + " or " + names[-1]
    return Clarify(
        question=f"Which {noun} do you mean — {listed}?",
        options=names,
        option_ids=tuple(s.id for s in ref.subjects),
        reason="ambiguous_subject",
    )


def _ask_who(subjects: Sequence[SubjectRef]) -> Clarify:
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
    ref: _Ref, lex: _Lexicon, focus: SubjectRef | None, previous: Sequence[SubjectRef]
) -> _Resolved:
    if ref.kind == "pron":
        plural = ref.text.lower() in ("them", "they")
        if plural and previous:
            return list(previous)
        if focus is not None:
            return [focus]
        if previous:
            return list(previous)
        return _ask_who(lex.subjects)
    if not ref.subjects:
        if ref.kind == "me":
            return UnknownSubject("you", _SELF_FAMILY)
        return UnknownSubject(ref.text)
    if len(ref.subjects) > 1 and not ref.plural:
        if focus is not None and focus in ref.subjects:
            return [focus]
        return _ask_which(ref)
    return list(ref.subjects)


@dataclass(slots=True)
class _Lead:
    """The references a request starts with ("a red Rex and my cat …"), their attributes and
    where they end."""

    refs: list[_Ref]
    attrs: list[str]
    end: int


def _lead_group(text: str, refs: list[_Ref]) -> _Lead | None:
    """``None`` when the request starts with something else ("in Paris with Rex")."""
    if not refs:
        return None
    prefix = _PREFIX.fullmatch(text[: refs[0].start])
    if prefix is None:
        return None
    attrs = _ATTR_RE.findall(prefix.group("attrs") or "") + refs[0].attrs
    group = [refs[0]]
    for ref in refs[1:]:
        gap = text[group[-1].end : ref.start]
        if ref.kind == "pron" or ref.article or not _GAP.fullmatch(gap):
            break
        group.append(ref)
    return _Lead(group, attrs, group[-1].end)


def _unknown_after(text: str, start: int, lex: _Lexicon, *, leading: bool) -> UnknownSubject | None:
    """A subject the user does not have where one is expected: leading the request ("my
    horse on the beach") or joined to the subjects it starts with ("Rex and Bella")."""
    rest = text[start:]
    if not leading:
        gap = _GAP_AND.match(rest)
        if gap is None:
            return None
        rest = rest[gap.end() :]
        name = _NAME_LIKE.match(rest)
        if name is not None and _is_name(name.group("word"), lex):
            return UnknownSubject(name.group("word"))
    match = _UNKNOWN.match(rest)
    if match is None:
        return None
    return UnknownSubject(_tidy(match.group("ref")), _key(match.group("noun")))


def _is_name(word: str, lex: _Lexicon) -> bool:
    return word.lower() not in _NOT_NAMES and _key(word) not in lex.forms


def _draft(
    req: _Request, lex: _Lexicon, focus: SubjectRef | None, previous: Sequence[SubjectRef]
) -> _Draft | Clarify | UnknownSubject | None:
    """Subjects, attributes and scene of the request; ``None`` when it names no subject."""
    text = req.text
    refs = _find_refs(text, lex)
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
            lead = _Lead(lead.refs[:1], lead.attrs, lead.refs[0].end)
    if not explicit and lead is None:
        unknown = _unknown_after(text, _prefix_end(text), lex, leading=True)
        name = _NAME_LIKE.match(text)
        if unknown is None and name and req.commanded and _is_name(name.group("word"), lex):
            unknown = UnknownSubject(name.group("word"))
        return unknown
    if lead is not None:
        return _draft_in_place(text, lead, explicit, lex, focus, previous)
    return _draft_lifted(text, explicit, lex, focus, previous)


def _draft_in_place(
    text: str,
    lead: _Lead,
    explicit: list[_Ref],
    lex: _Lexicon,
    focus: SubjectRef | None,
    previous: Sequence[SubjectRef],
) -> _Draft | Clarify | UnknownSubject:
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
        attrs += _ATTR_RE.findall(suffix.group("attrs"))
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
    return _Draft(subjects, _normalize_scene("".join(pieces)), _clean_attrs(attrs))


def _draft_lifted(
    text: str,
    explicit: list[_Ref],
    lex: _Lexicon,
    focus: SubjectRef | None,
    previous: Sequence[SubjectRef],
) -> _Draft | Clarify | UnknownSubject:
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
    scene = _normalize_scene(" ".join(pieces))
    if scene[:1].isupper() and not _STARTERS.match(scene):
        scene = f"in {scene}"  # "Paris with Rex" → "in Paris"
    return _Draft(subjects, scene, _clean_attrs(attrs))


def _implicit_draft(req: _Request, lex: _Lexicon, subjects: list[SubjectRef]) -> _Draft:
    """The request names nobody ("on the beach", "a red one"): the scene is all of it."""
    rest = req.text
    attrs: list[str] = []
    suffix = lex.suffix.match(rest)
    if suffix is not None:
        attrs = _ATTR_RE.findall(suffix.group("attrs"))
        rest = rest[suffix.end() :]
    return _Draft(subjects, _normalize_scene(rest), _clean_attrs(attrs))


def _is_adjustment(text: str, lex: _Lexicon) -> bool:
    """Whether the text only adjusts a picture ("at night", "purple", "as a watercolor")."""
    if not text:
        return True
    if lex.attrs_only.fullmatch(text):
        return True
    base, _ = _split_modifiers(text)
    return not base


def compile_prompt(
    text: str,
    subjects: Sequence[SubjectRef],
    *,
    focus: str | None = None,
    previous: CompiledPrompt | None = None,
    base_size: int = DEFAULT_BASE_SIZE,
    lead: str = PHOTO_LEAD,
) -> PromptResult:
    """Compile one request.

    ``subjects`` are the user's own subjects (nobody else's can be reached: only these are
    searched); ``focus`` is the id of the subject the conversation is about, for "him"/"it";
    ``previous`` is the last generation, for follow-ups. ``lead`` starts every prompt:
    ``PHOTO_LEAD`` (``a photo of sks dog in Paris``) or ``BENCH_LEAD`` (``a sks dog in the
    jungle``, DreamBench's own form). A request that names nobody uses ``focus``, else the
    previous generation's subjects, else the user's only subject, else asks.
    """
    pool = tuple(subjects)
    by_id = {s.id: s for s in pool}
    focused = by_id.get(focus) if focus else None
    before = [by_id[i] for i in previous.subject_ids if i in by_id] if previous else []
    if not _WS.sub("", text):
        return Clarify("What would you like me to make?", reason="empty")
    if not pool:
        return _ask_who(pool)
    lex = _lexicon(pool)
    req = _parse_request(text, has_previous=previous is not None, put_on=lex.put_on)

    drafted = _draft(req, lex, focused, before)
    if isinstance(drafted, (Clarify, UnknownSubject)):
        return drafted

    if previous is not None and before:
        follow = drafted is None and (req.cued or _is_adjustment(req.text, lex))
        swap = drafted is not None and req.cued and not drafted.scene and not drafted.attrs
        if follow or swap:
            if swap:
                assert drafted is not None
                people = [*before, *drafted.subjects] if req.also else drafted.subjects
                drafted = _Draft(list(dict.fromkeys(people)), "")
            return _follow_up(
                req, lex, previous, before, drafted if swap else None, base_size, lead
            )

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
            return _ask_who(pool)
        drafted = _implicit_draft(req, lex, fallback)

    count = req.count or 1
    aspect = req.aspect or Aspect.SQUARE
    width, height = size_for(aspect, base_size)
    return CompiledPrompt(
        prompt=_render(lead, drafted.subjects, drafted.attrs, drafted.scene),
        negative_prompt=_negative(DEFAULT_NEGATIVE_PROMPT, req.negatives),
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
    req: _Request,
    lex: _Lexicon,
    previous: CompiledPrompt,
    before: list[SubjectRef],
    swapped: _Draft | None,
    base_size: int,
    lead: str,
) -> CompiledPrompt:
    """Rebuild the previous generation with this request's changes."""
    subjects = swapped.subjects if swapped else before
    attrs: tuple[str, ...] = previous.attributes if not swapped else ()
    scene = previous.scene
    if req.text and swapped is None:
        adjust = lex.attrs_only.fullmatch(req.text)
        if adjust is not None:
            attrs = _merge_attrs(attrs, _clean_attrs(_ATTR_RE.findall(adjust.group("attrs"))))
        else:
            old_base, old_mods = _split_modifiers(previous.scene)
            new_base, new_mods = _split_modifiers(_normalize_scene(req.text))
            if new_base and not old_base:
                old_mods = []  # the old scene *was* its modifiers ("in the snow"): replace it
            kinds = {kind for kind, _ in new_mods}
            kept = [(kind, phrase) for kind, phrase in old_mods if kind not in kinds]
            scene = _join_scene(new_base or old_base, [*kept, *new_mods])

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
