"""The words the agent understands, as data: shared by the prompt compiler (``agent.prompts``)
and the intent parser (``agent.intents``), so a word added here is one both can use.

Two kind tables still coexist because they answer different questions and merging them would
change what either understands: ``KIND_FAMILIES`` groups the words that find one of the
person's subjects ("my puppy" finds a subject of class "dog"), ``CLASS_WORDS`` maps what a
person calls a new subject to the class noun it is trained with.
"""

from __future__ import annotations

NUMBER_WORDS: dict[str, int] = {
    "one": 1, "a single": 1, "single": 1, "two": 2, "a couple": 2, "a couple of": 2,
    "a pair of": 2, "three": 3, "a few": 3, "several": 3, "four": 4, "a handful of": 5,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "a dozen": 12, "twenty": 20,
}  # fmt: skip

COLORS = (
    "red orange yellow green blue purple pink violet black white gold golden silver brown grey "
    "gray teal turquoise beige magenta cyan crimson navy rainbow multicolored multicoloured"
).split()

FINISHES = (
    "shiny glossy metallic matte wet transparent translucent glowing sparkly glittery chrome "
    "rusty muddy wooden fluffy furry frozen"
).split()

SIZES = "tiny giant huge gigantic miniature".split()


SHAPES = "cube sphere heart star pyramid cylinder ball egg donut".split()

ATTRIBUTE_KIND: dict[str, str] = {
    **dict.fromkeys(COLORS, "color"),
    **dict.fromkeys(FINISHES, "finish"),
    **dict.fromkeys(SIZES, "size"),
    **{f"{shape} shaped": "shape" for shape in SHAPES},
}

# Kinds people use for the class noun they gave: "my puppy" finds a subject of class "dog".
KIND_FAMILIES: dict[str, list[str]] = {
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

FAMILY_OF: dict[str, str] = {
    word: family for family, words in KIND_FAMILIES.items() for word in words
}

IRREGULAR_PLURALS = {
    "person": "people", "man": "men", "woman": "women", "child": "children",
    "mouse": "mice", "goose": "geese", "foot": "feet", "tooth": "teeth",
}  # fmt: skip

SELF_FAMILY = "person"


SELF_NAMES = frozenset({"me", "myself", "i"})

OBJECT_PRONOUNS = ("him", "her", "it", "them")
PRONOUNS = (*OBJECT_PRONOUNS, "he", "she", "they")
"""Words for the subject in focus (or the last picture's subjects), in the order patterns try
them."""

STYLES: tuple[str, ...] = (
    r"watercolou?r", r"oil", r"acrylic", r"pastel", r"pencil", r"charcoal", r"ink", r"crayon",
    r"anime", r"manga", r"cartoon", r"comic(?:\s+book)?", r"pixel\s+art", r"3d", r"claymation",
    r"clay", r"origami", r"lego", r"low[\s-]poly", r"cyberpunk", r"steampunk", r"vaporwave",
    r"synthwave", r"pop\s+art", r"impressionist", r"cubist", r"surrealist", r"renaissance",
    r"baroque", r"ukiyo[\s-]e", r"art\s+deco", r"art\s+nouveau", r"stained\s+glass", r"mosaic",
    r"graffiti", r"vintage", r"retro", r"film\s+noir", r"noir", r"polaroid", r"cinematic",
    r"photorealistic", r"hyperrealistic", r"realistic", r"studio\s+ghibli", r"ghibli", r"pixar",
    r"disney", r"minimalist",
)  # fmt: skip
"""Art styles, as regex fragments tried in this order ("comic book" before "comic")."""

# Scene modifiers said on their own ("at night" → "night"): kind and the phrase they stand for.
BARE_MODIFIERS: dict[str, tuple[str, str]] = {
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

# --- the intent parser's words ---------------------------------------------------------------

CLASS_WORDS: dict[str, str] = {
    **{
        w: "dog"
        for w in "dog dogs doggo doggy doggie pup puppy pupper hound retriever labrador lab poodle "
        "terrier beagle corgi husky dachshund pug bulldog shepherd collie spaniel chihuahua shiba inu akita "
        "labradoodle goldendoodle doodle schnauzer rottweiler boxer greyhound whippet pomeranian maltese "
        "cockapoo cavapoo frenchie spaniel pitbull staffie westie yorkie newfoundland bernese "
        "shihtzu shih-tzu samoyed malamute dalmatian mutt".split()
    },
    **{
        w: "cat"
        for w in "cat cats kitty kitten kitteh tabby moggy siamese persian ragdoll sphynx coon bengal".split()
    },
    **{
        w: "person"
        for w in "person me myself i self selfie face man woman guy girl boy lady son daughter "
        "kid child baby wife husband mom mum mother dad father grandma grandpa grandmother grandfather "
        "brother sister friend boyfriend girlfriend partner teen".split()
    },
    **{
        w: w
        for w in "backpack teapot shoe sneaker boot toy car bowl vase mug cup clock sunglasses robot bear "
        "statue bag handbag watch bottle candle plant guitar bike bicycle hat lamp chair".split()
    },
    "sneakers": "shoe",
    "sneaker": "shoe",
    "shoes": "shoe",
    "teddy": "bear",
    "plushie": "toy",
    "stuffie": "toy",
    "bicycle": "bike",
    "handbag": "bag",
    "cup": "mug",
    "rabbit": "rabbit",
    "bunny": "rabbit",
    "bird": "bird",
    "parrot": "bird",
    "hamster": "hamster",
    "horse": "horse",
    "pony": "horse",
    "bottle": "bottle",
}
"""Words people use for a new subject → the class noun its DreamBooth prompts use."""

PERSONAL_WORDS = frozenset({"me", "myself", "i", "self", "selfie", "face", "i'm"})
"""Person words that name the speaker: a class only when nothing else is named."""

SHORTHAND: dict[str, str] = {
    "wat": "what", "wht": "what", "r": "are", "u": "you", "ur": "your", "pls": "please",
    "plz": "please", "wich": "which", "whcih": "which", "hows": "how is", "whats": "what is",
    "im": "i am", "dont": "don't", "cant": "can't", "trian": "train", "tain": "train",
    "trainig": "training", "traning": "training", "pic": "picture", "pix": "pictures",
    "thx": "thanks", "rn": "now", "n": "and", "abt": "about",
}  # fmt: skip
"""Texting shortcuts and typos, word for word."""

COUNT_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "a couple": 2, "couple": 2, "a few": 3, "few": 3,
}  # fmt: skip
"""Image counts the intent parser reads (the compiler reads ``NUMBER_WORDS``)."""

TITLES = frozenset("mr mrs ms miss dr sir lady lord captain professor prof uncle aunt".split())
"""Words that start a name rather than being one ("Mr. Buttons")."""

STOP_NAMES = frozenset(
    "my the a an him her it them this that please now me photos pics pictures some more model "
    "dog cat and is here are of".split()
)
"""Lower-case words that are never a subject's name."""

NOT_SUBJECT_WORDS = frozenset(
    "now please training going done ready yet status progress job going? model learning that "
    "so for off up already all everything".split()
)
"""Words after "train"/"delete"/"status" that are not the subject they are about."""

SENTENCE_CAPS = frozenset(
    "I I'm I'd I've I'll OK Ok Hey Hi Hello Pls Please New Name Can Could Would Will Yes No "
    "Thanks Meet Add This Here Make Show".split()
)
"""Capitalised words that are capitalised for grammar, not because they are names."""

COMMAND_WORDS = frozenset(
    "rename change please pls can could would update fix oops actually sorry typo call hey hi "
    "ok okay the my i".split()
)
"""Words a rename request starts with that are not the subject's name."""
