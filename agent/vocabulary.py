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
