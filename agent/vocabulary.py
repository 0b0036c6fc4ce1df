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

COMPARATIVES: dict[str, str] = {
    "redder": "red", "bluer": "blue", "greener": "green", "pinker": "pink", "yellower": "yellow",
    "blacker": "black", "whiter": "white", "browner": "brown", "greyer": "grey", "grayer": "gray",
    "shinier": "shiny", "glossier": "glossy", "wetter": "wet", "sparklier": "sparkly",
    "rustier": "rusty", "muddier": "muddy", "fluffier": "fluffy", "furrier": "furry",
    "tinier": "tiny",
}  # fmt: skip
"""Attributes said as a change ("make him fluffier"): the attribute itself. "bigger" and
"smaller" are a resize edit of their own."""

ATTRIBUTE_KIND: dict[str, str] = {
    **dict.fromkeys(("big", "small", "large"), "size"),  # what "bigger"/"smaller" set
    **dict.fromkeys(COLORS, "color"),
    **dict.fromkeys(FINISHES, "finish"),
    **dict.fromkeys(SIZES, "size"),
    **{f"{shape} shaped": "shape" for shape in SHAPES},
}

FEMALE_KIN = (
    "nan nana nanna gran granny gramma grammy nonna oma mama mamma momma mommy mummy auntie aunt "
    "niece wifey fiancee granddaughter stepmom stepmum stepdaughter stepsister"
).split()
MALE_KIN = (
    "grandad granddad gramps grampa grandpop papa dada daddy hubby uncle nephew fiance grandson "
    "stepdad stepson stepbrother"
).split()
KIN_WORDS = [*FEMALE_KIN, *MALE_KIN, "cousin", "grandchild", "grandkid", "bestie", "bff"]
"""Family words people say as well as the standard ones ("my nan", "my hubby", "my auntie"):
kinds of person, and those of them that say a gender say it."""

RELATIONS = frozenset(
    "son daughter wife husband mom mum mother dad father brother sister grandma grandpa "
    "grandmother grandfather aunt uncle".split()
    + FEMALE_KIN
    + MALE_KIN
)
"""Words for a relative: a subject named by one ("Mom", "Nan") is that relative and no other."""

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
    ).split()
    + KIN_WORDS,
    "stuffed animal": ["stuffed animal", "plushie", "plush", "plush toy", "stuffed toy", "teddy",
                       "teddy bear", "soft toy"],
    "sneaker": "sneaker shoe trainer".split(),
    "glasses": ["glasses", "sunglasses", "shades", "spectacles"],
    "backpack": "backpack bag rucksack".split(),
    "bird": "bird birdie parrot budgie parakeet cockatiel cockatoo macaw canary finch".split(),
    "bike": "bike bicycle".split(),
    "rabbit": "rabbit bunny".split(),
    "horse": "horse pony".split(),
    "fish": "fish goldfish betta koi guppy".split(),
    "turtle": "turtle tortoise".split(),
    "lizard": "lizard gecko iguana chameleon".split(),
    "car": "car sedan hatchback convertible".split(),
}  # fmt: skip

ENDEARMENTS = (
    "boy girl baby buddy pal bud lad lass bestie sweetie sweetheart darling angel princess prince "
    "fluffball furball floof guy fella dude gal boi"
).split() + ["little one", "little guy", "little man", "little lady", "fur baby", "furbaby",
             "good boy", "good girl", "baby boy", "baby girl", "old boy", "old girl",
             "best friend", "best buddy"]  # fmt: skip
"""What people call a pet as well as a person ("my boy", "the little guy"): a kind word for
whichever subject they can mean; a person subject's own kind words ("boy") take precedence."""

FOND_WORDS = (
    "little old new best cute sweet beloved favorite favourite lovely good big small fat lazy "
    "silly crazy precious adorable handsome beautiful pretty dear goofy chonky"
).split()
"""Words people put before a kind out of fondness ("my old dog", "my sweet boy"): part of the
reference, not attributes of the picture."""

ANY_KIND = "*"
"""The family of a word that can name a subject of any class (``ENDEARMENTS``)."""

FAMILY_OF: dict[str, str] = {
    word: family for family, words in KIND_FAMILIES.items() for word in words
}

IRREGULAR_PLURALS = {
    "person": "people", "man": "men", "woman": "women", "child": "children",
    "mouse": "mice", "goose": "geese", "foot": "feet", "tooth": "teeth",
}  # fmt: skip

SELF_FAMILY = "person"


SELF_NAMES = frozenset({"me", "myself", "i"})

GENDERED: dict[str, str] = {
    **dict.fromkeys(
        "woman girl lady mom mum mother sister daughter wife grandma grandmother girlfriend "
        "aunt queen princess".split()
        + FEMALE_KIN,
        "f",
    ),
    **dict.fromkeys(
        "man boy guy gentleman dad father brother son husband grandpa grandfather boyfriend "
        "uncle king prince".split()
        + MALE_KIN,
        "m",
    ),
}
"""Class nouns that say a person's gender, so "him" is never Maya the woman."""

PRONOUN_GENDER = {"him": "m", "he": "m", "her": "f", "she": "f"}

OBJECT_PRONOUNS = ("him", "her", "it", "them")
PRONOUNS = (*OBJECT_PRONOUNS, "he", "she", "they")
"""Words for the subject in focus (or the last picture's subjects), in the order patterns try
them."""

STYLES: tuple[str, ...] = (
    r"watercolou?r", r"oil", r"acrylic", r"pastel", r"pencil", r"charcoal", r"ink", r"crayon",
    r"anime", r"manga", r"cartoon", r"comic(?:\s+book)?", r"pixel[\s-]art", r"3d", r"claymation",
    r"clay", r"origami", r"lego", r"low[\s-]poly", r"cyberpunk", r"steampunk", r"vaporwave",
    r"synthwave", r"pop[\s-]art", r"impressionist", r"cubist", r"surrealist", r"renaissance",
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
    **{w: ("weather", "in the rain") for w in ("rain", "raining", "rainy weather")},
    **{w: ("weather", "in the snow") for w in ("snow", "snowing")},
    **{w: ("style", f"in {w}") for w in ("black and white", "sepia", "monochrome",
                                         "grayscale", "greyscale")},
}  # fmt: skip

ACCESSORIES = frozenset(
    "hat cap beanie helmet crown tiara wig hood scarf bandana collar leash bow tie necktie "
    "sunglasses glasses goggles monocle mask costume cape cloak sweater hoodie jacket coat "
    "raincoat vest shirt dress tutu kimono tuxedo suit uniform armor armour boots shoes socks "
    "gloves mittens necklace earrings wreath garland sombrero beret fedora headband "
    "bowtie lei backpack apron bib harness jumper cardigan pajamas pyjamas spacesuit swimsuit "
    "wetsuit tracksuit jumpsuit snowsuit onesie bathrobe robe overalls".split()
)
"""Things a subject wears: "add a scarf" → ``wearing a scarf``, "take off the hat" removes it."""

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
        + KIN_WORDS
    },
    **{
        w: w
        for w in "backpack teapot shoe sneaker boot toy car bowl vase mug cup clock sunglasses robot bear "
        "statue bag handbag watch bottle candle plant guitar bike bicycle hat lamp chair".split()
    },
    "sneakers": "shoe",
    "sneaker": "shoe",
    "shoes": "shoe",
    "trainer": "shoe",
    "trainers": "shoe",
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
    "thx": "thanks", "rn": "now", "n": "and", "abt": "about", "nvm": "never mind",
}  # fmt: skip
"""Texting shortcuts and typos, word for word."""

CHAT_SPELLINGS: dict[str, str] = {
    "nite": "night", "nites": "nights", "tonite": "tonight", "lite": "light", "lites": "lights",
    "thru": "through", "xmas": "christmas", "bday": "birthday", "luv": "love", "realy": "really",
}  # fmt: skip
"""Words people spell the chat way on purpose ("at nite", "a bday cake"): no slip of a letter
or two, so the compiler reads them from this table before it corrects typos."""

COUNT_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "a couple": 2, "couple": 2, "a few": 3, "few": 3,
}  # fmt: skip
"""Image counts the intent parser reads (the compiler reads ``NUMBER_WORDS``)."""

TITLES = frozenset("mr mrs ms miss dr sir lady lord captain professor prof uncle aunt".split())
"""Words that start a name rather than being one ("Mr. Buttons")."""

STOP_NAMES = frozenset(
    "my the a an him her it them this that please now me photos pics pictures some more model "
    "dog cat and is here are of too also eta status progress".split()
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

# --- the picture lexicon: words a request's scene is made of ------------------------------------
# Typo tolerance corrects an unknown word to one of these (``agent.prompts.spelling``), and a
# request the intent parser could not place counts as a picture only when it uses some of them.

PLACES = frozenset(
    # outdoors
    "beach sea ocean shore coast seaside island lake river pond waterfall stream creek forest "
    "woods jungle rainforest desert mountain mountains hill hills valley canyon cliff cave volcano "
    "glacier meadow field fields farm garden park backyard yard lawn orchard vineyard swamp "
    "prairie savanna tundra arctic antarctica countryside village town city street road highway "
    "bridge tunnel alley sidewalk square plaza market harbor harbour port pier dock marina "
    "lighthouse castle palace temple church cathedral pyramid ruins tower skyscraper rooftop "
    "stadium playground campsite campfire tent trail waterpark zoo aquarium museum gallery "
    "library school classroom university office hospital airport station subway train bus "
    "taxi car truck boat ship sailboat yacht canoe kayak gondola submarine airplane plane "
    "helicopter rocket spaceship spacecraft space moon mars planet galaxy stars sky clouds "
    "universe orbit underwater reef coral "
    # indoors
    "house home kitchen bedroom bathroom restaurant cafe bakery diner studio theater theatre "
    "cinema stage gym pool hotel lobby basement attic garage greenhouse barn stable shop store "
    "supermarket mall spa salon".split()
)
"""Places a subject can be in, at or on: where a near everyday word is read as the place ("in
the dessert" is in the desert)."""

SCENE_WORDS = PLACES | frozenset(
    # places indoors and things in them
    "house home kitchen bedroom bathroom bathtub bath shower livingroom living room couch sofa "
    "bed pillow blanket armchair chair table desk shelf bookshelf window windowsill fireplace "
    "stairs staircase floor carpet rug counter fridge oven laptop computer keyboard piano guitar "
    "restaurant cafe coffee bakery bar pub diner kitchen studio theater theatre cinema stage "
    "concert disco nightclub gym pool swimming hotel lobby elevator basement attic garage "
    "greenhouse barn stable shop store supermarket mall boutique spa salon "
    "box basket bucket cup teacup mug bowl plate jar bottle vase suitcase backpack bag "
    "fabric blanket towel cushion throne crown trophy podium "
    # nature and weather
    "snow rain storm thunderstorm lightning fog mist wind sunshine sunlight moonlight sunset "
    "sunrise dawn dusk night midnight morning evening afternoon noon twilight rainbow aurora "
    "autumn winter summer spring leaves flowers flower tulips roses sunflower sunflowers daisies "
    # flowers people put a subject among: "in a field of poppies"
    "poppy poppies lilies daffodil daffodils bluebell bluebells marigold marigolds peony peonies "
    "dandelion dandelions buttercup buttercups hydrangea hydrangeas wildflower wildflowers lotus "
    "magnolia lilac lilacs heather bluebonnets lupins lupines irises carnation carnations "
    "lavender blossom cherry tree trees grass bamboo cactus palm pine puddle mud sand waves surf "
    "ice iceberg snowman snowflakes snowball snowballs bubbles fireworks lanterns candles neon "
    # activities and events
    "party birthday wedding picnic parade festival carnival circus concert holiday christmas "
    "halloween easter thanksgiving vacation adventure race marathon game match tournament "
    "surfing skiing snowboarding skating skateboarding swimming diving sledding hiking camping "
    "fishing sailing running jumping dancing singing reading sleeping sitting playing eating "
    "cooking baking painting drawing riding flying driving climbing "
    "surfboard skateboard snowboard skis sled bicycle bike scooter motorcycle horse pony "
    "unicorn dragon dinosaur robot astronaut pirate wizard knight superhero ninja cowboy "
    "chef detective king queen princess prince mermaid viking samurai explorer "
    # things worn (accessories)
    "hat cap beanie helmet crown tiara wig hood scarf bandana collar leash bow tie necktie "
    "sunglasses glasses goggles monocle mask costume cape cloak sweater hoodie jacket coat "
    "raincoat vest shirt dress tutu kimono tuxedo suit uniform armor armour boots shoes socks "
    "gloves mittens backpack necklace earrings flower wreath garland santa top sombrero beret "
    "spacesuit swimsuit wetsuit tracksuit jumpsuit snowsuit onesie bathrobe robe overalls "
    "bowler fedora cowboy pirate witch party "
    # what things are made of, and how they look
    "lego bricks glass crystal marble stone gold golden silver bronze metal chrome wood wooden "
    "clay plastic paper origami wool knitted yarn felt plush velvet ice chocolate candy sugar "
    "jelly balloon cardboard steel copper porcelain ceramic statue sculpture figurine toy "
    "transparent translucent shiny metallic glowing neon fluffy furry fuzzy sparkly glittery "
    "cube sphere shaped sized giant tiny huge miniature big small little "
    # patterns on fur, fabric and things
    "polka dot dots dotted stripes striped stripy spots spotted plaid tartan checkered "
    "chequered camo camouflage floral paisley leopard print sequins glitter tie-dye "
    # art renditions
    "painting paintings drawing sketch illustration watercolor watercolour oil acrylic pastel "
    "pencil charcoal ink crayon anime manga cartoon comic pixel art style portrait poster "
    "mosaic graffiti mural tapestry embroidery woodblock print engraving etching linocut "
    "impressionist impressionism expressionist cubist cubism surrealist surrealism renaissance "
    "baroque gothic vintage retro noir polaroid cinematic realistic photorealistic "
    "studio ghibli pixar disney claymation stained vaporwave steampunk cyberpunk "
    "minimalist abstract pop sticker emoji blueprint "
    # more places, things, animals, food, sport and holidays
    "balcony patio porch terrace veranda treehouse igloo cabin lodge chalet cottage mansion "
    "hallway corridor courtyard fountain carousel ferris wheel rollercoaster amusement "
    "funfair arcade bowling casino laundromat cemetery graveyard haunted dungeon tavern "
    "bookstore bookshop florist pharmacy bakery butcher cafeteria canteen kitchenette "
    "lighthouse windmill watermill skyline cityscape downtown suburb neighborhood "
    "neighbourhood countryside farmland wheat cornfield pasture hayloft haystack pumpkin "
    "pumpkins orchard vineyard riverbank lakeside seashore boardwalk lagoon oasis dunes "
    "jungle rainforest savannah mountaintop summit peak glacier fjord canyon crater "
    "eiffel tower colosseum pyramids stonehenge acropolis parthenon kremlin taj mahal "
    "statue liberty bridge golden gate broadway hollywood times square central park "
    "elephant giraffe penguin dolphin whale shark butterfly butterflies owl lion tiger "
    "panda koala kangaroo zebra monkey gorilla flamingo peacock parrot turtle octopus "
    "jellyfish starfish seagull pigeon squirrel rabbit bunny hedgehog fox deer reindeer "
    "llama alpaca camel cow sheep goat chicken chickens duck ducks swan goldfish "
    "pizza burger hamburger hotdog sandwich spaghetti pasta sushi ramen noodles taco "
    "tacos donut donuts doughnut cupcake cupcakes cookie cookies pancakes waffles "
    "icecream cream sundae popcorn strawberry strawberries banana bananas watermelon "
    "pineapple avocado carrot carrots lemonade milkshake smoothie coffee espresso "
    "croissant croissants bagel bagels muffin muffins pastry pastries macaron macarons "
    "baguette pretzel pretzels brownie brownies latte cappuccino cocoa teacup saucer "
    "football soccer basketball baseball tennis volleyball hockey rugby cricket boxing "
    "karate yoga ballet gymnastics trampoline swing swings slide sandbox seesaw "
    "christmas tree presents gifts ornaments stockings snowman snowflake reindeer sleigh "
    "halloween costume jack lantern graduation valentine valentines fireworks confetti "
    "balloons cake candles pinata garland decorations lights fairy "
    "guitar piano drums violin microphone trumpet saxophone headphones record vinyl "
    "amp amps amplifier amplifiers speaker speakers mic drumkit cello harp banjo ukulele synth "
    "turntable spotlight spotlights floodlights backstage soundstage "
    "tractor firetruck ambulance police limousine convertible jeep van scooter tram "
    "hammock blanket picnic umbrella parasol lounger deckchair towel sandcastle seashell "
    "telescope microscope laboratory spaceship astronaut alien aliens robot robots "
    "dinosaur dinosaurs dragon dragons unicorn fairy fairies wizard witch ghost ghosts "
    "vampire zombie mermaid pirate pirates treasure chest island shipwreck "
    # pets' things, nature and space, holidays, food, machines
    "frisbee frisbees treat treats kibble catnip kennel doghouse squeaky chew "
    "bonfire sunbeam tulip daisy orchid orchids succulent succulents mushroom mushrooms "
    "toadstool nebula comet meteor asteroid asteroids seaweed kelp ornament stocking "
    "scarecrow hayride fries burrito pancake waffle popsicle lollipop gumball marshmallow "
    "marshmallows jukebox flashlight chandelier paddleboard bulldozer excavator blimp "
    "zeppelin yurt campground hologram ufo "
    # roles and characters: "as a firefighter"
    "cyborg android phoenix griffin skeleton mummy werewolf jester firefighter fireman "
    "doctor nurse sheriff gladiator pharaoh villain scientist teacher farmer gardener painter "
    "sculptor musician drummer guitarist pianist singer dancer ballerina gymnast surfer skier "
    "snowboarder wrestler sumo jockey lifeguard mailman plumber lumberjack sailor captain "
    "pilot soldier magician clown "
    # the body a subject sits or rests on: "on a pirate's shoulder", "in her arms"
    "shoulder shoulders lap arms hands paw paws tummy belly "
    # a pet bird's or small pet's things: "on a perch", "in a birdcage"
    "perch birdcage birdbath birdhouse feeder seeds hutch burrow "
    # where a place or a thing is from, and periods: "a japanese garden", "a victorian parlor"
    "japanese chinese korean thai indian italian french spanish mexican greek moroccan turkish "
    "british english scottish irish german dutch swiss nordic scandinavian hawaiian tropical "
    "mediterranean parisian tuscan alpine victorian medieval tudor colonial zen parlor parlour"
    .split()
)  # fmt: skip

PLACE_NAMES = frozenset(
    "paris london tokyo rome venice berlin madrid barcelona amsterdam prague vienna "
    "athens istanbul dubai cairo sydney melbourne toronto vancouver chicago boston "
    "york miami vegas francisco seattle hawaii mexico brazil iceland norway switzerland "
    "alps himalayas sahara amazon antarctica africa japan china india italy france spain "
    "hollywood broadway manhattan brooklyn california florida texas alaska scotland ireland "
    "egypt greece thailand bali santorini maldives disneyland venezia kyoto seoul "
    "singapore lisbon florence copenhagen stockholm oslo budapest dublin edinburgh".split()
)
"""Places people name, lower case: a capitalised word one slip from one ("Pairs") is read as it."""

ARTISTS: dict[str, str] = {
    name.lower().replace(".", ""): name
    for name in (
        "Monet", "Van Gogh", "Picasso", "Rembrandt", "Vermeer", "da Vinci", "Leonardo da Vinci",
        "Michelangelo", "Dali", "Salvador Dali", "Warhol", "Andy Warhol", "Klimt", "Hokusai",
        "Banksy", "Frida Kahlo", "Kahlo", "Matisse", "Cezanne", "Renoir", "Degas", "Munch",
        "Magritte", "Hopper", "Edward Hopper", "Norman Rockwell", "Basquiat", "Pollock",
        "Kandinsky", "Mondrian", "Botticelli", "Caravaggio", "Turner", "Seurat", "Miyazaki",
        "Hayao Miyazaki", "Tim Burton", "Wes Anderson", "Beatrix Potter", "Dr. Seuss", "Mucha",
        "Alphonse Mucha", "Gauguin", "Manet", "Goya", "Lichtenstein", "Roy Lichtenstein",
        "Keith Haring", "Ansel Adams", "Escher", "Bosch",
    )
}  # fmt: skip
"""Artists people ask for by name ("painted like Monet would"): ``in the style of Monet``."""

OPEN_COMPOUNDS = frozenset(
    "icecream livingroom bowtie hotdog tiedye".split()
    + [phrase.replace(" ", "") for phrase in BARE_MODIFIERS if " " in phrase]
)
"""Compounds the lexicon knows closed that people rightly write as two words ("ice cream",
"living room"): typo tolerance never joins their halves."""

COMMON_WORDS = frozenset(
    "a an the and or but if so to of in on at by for from with without into onto over under "
    "near next beside behind between inside outside above below around through across along "
    "against among up down off out about like as than then now again instead also too very "
    "really just only some any all each every more most much many few other another same "
    "this that these those it its he him his she her they them their we us our you your i me "
    "my mine is are was were be been being am do does did doing done have has had having can "
    "could will would should may might must shall make makes made making show showing shown "
    "put putting place give get getting got let see look looking looks want wanted need "
    "please pls thanks thank yes no not don't can't one two three four five six seven eight "
    "nine ten first last new old good nice cute cool fun funny lovely pretty beautiful great "
    "best little big long short high low hot cold warm wet dry soft hard light dark bright "
    "lying laying sitting standing walking running playing sleeping eating holding wearing "
    "looking jumping swimming posing smiling waiting hiding chasing watching reading riding "
    "where what which who how when why here there while during after before until "
    "picture pictures photo photos image images pic pics version versions one ones thing "
    "things way kind sort bit lot lots together alone both either neither still even ever "
    "day days time times year years today tonight tomorrow well back front top bottom side "
    "left right middle center centre end full empty open close closed sunny rainy snowy "
    "foggy cloudy stormy windy misty "
    # everyday English (after Ogden's Basic English): nouns, verbs and adjectives a request
    # may use that sit a letter away from a lexicon word
    "account act addition air amount animal answer apple arch arm army art attempt baby ball "
    "band base basin bath bear bee bell belt berry bird birth bit bite blade blood blow board "
    "body bone book books boot bottle boy brain brake branch brass bread breath brick brush "
    "bulb butter button cake camera card care cart cat cats chain chalk chance change cheese "
    "chest chin circle clock cloth cloud coal coat collar colour color comb copy cord cork "
    "cotton cow crack cream crime cry cup curtain curve cushion damage danger daughter deer "
    "design detail dog dogs door drain drawer dream drink drop drum dust ear earth edge egg "
    "engine eye face fact fall family farm father feather feet fence fiction finger fire fish "
    "flag flame flight floor fly fold food foot fork form fowl frame friend fruit game gate "
    "girl goat grain grip group growth guide gun hair hall hammer hand harbor head heart hole "
    "hook hope horn hose hour humor idea inch insect iron island jelly jewel join journey jump "
    "kettle key kiss knee knife knot land laugh lead leaf leather leg letter level lip line "
    "lion list lock look loss love lunch machine man map mark mass meal meat memory milk mind "
    "mine mist money monkey month mother motion mouth move muscle music nail name neck needle "
    "nerve net news nose note number nut oil orange owner page pain paint pan pants paper "
    "parcel part paste path peace pen person pet picture pie pig pin pipe plant plate play "
    "plough pocket point pot potato powder price prison pump queen rail rat ray reading rest "
    "rice ring rod roll roof room root rope rose rub sail salt scale school screw seat seed "
    "shade shake sheep shelf shell shirt shock shoe sign silk sister size skin skirt sleep "
    "slope smile smoke snake soap sock son song sound soup spade sponge spoon stamp star steam "
    "stem stick stitch stomach store story sugar summer support swim table tail talk taste tax "
    "tea teeth test thread throat thumb ticket toe tongue tooth top touch town toy trade tray "
    "trick trouser turn twist umbrella vessel view voice walk wall wash watch water wave wax "
    "week weight wheel whip whistle wing wire woman women wool word work worm wound writing "
    "young boat boats bake baker bank banks bars bell bells bowl bowls cage cake cakes cane "
    "cape caps card cards cart case cash cave cold cord core corn cost crab crow dart date "
    "deck dish dock doll dome dove duck dune fan farm fern film fire fog foil fort fox frog "
    "gift glow goal gold golf gown hare hay heat hen herd hive hood hoop hut jam jar kite lamb "
    "lamp lane lawn lily lime loaf log mall mane mat maze mill mole moss moth mule nest oak "
    "pad pail palm park pass peak pear pearl pine pit plum pole pond pool port post puck rack "
    "raft rail ramp reed rock sack sale sand seal shed ship shop silo sink slide snow sofa "
    "soil spa span sun swan tank tape tile tire toad tomb tool tree tub tube vase vest vine "
    "wagon wand ward web well wolf yard yarn zoo lying laid lay sit sat stand stood walk "
    "walked run ran play played sleep slept eat ate hold held wear wore jump jumped swim swam "
    "ride rode fly flew float floating drive drove dance danced sing sang read cook cooked "
    "bake baked paint painted draw drew climb climbed sail sailed hike hiked ski skied skate "
    "skated surf surfed dive dived camp camped fish fished race raced chase chased hide hid "
    "watch watched pose posed smile smiled wait waited relax relaxing relaxed chill chilling "
    "nap napping rest resting lounge lounging bask basking stare staring peek peeking "
    "soaking soaked asleep awake happy sad angry calm proud brave tired lazy silly fancy "
    "huge tall wide deep shallow quiet loud busy crowded empty cozy cosy sunny shiny "
    "start stop status state true false share shot shots text bench dinner supper breakfast "
    "pepper salt bolt noun verb send sent save saved train trained training model photo "
    "dont cant wont isnt didnt doesnt thats whats lets ive youre theyre "
    "delete rename cancel list help subject subjects name named call called "
    "add remove replace swap switch change drop ditch lose include throw give take zoom "
    "bigger larger smaller closer again another same instead rather "
    "drawn plus fill filled shared share garbage timed stat sharp shape wood wooden tale tall "
    "dawned fine find found mild wild tile title tide ride rode road load lord word world "
    "hear here heard wear were where ware bare bear beer deer dear near year tear fear gear "
    "hall hill fall full pull pill will wall tall ball bell belt melt malt salt halt "
    "coast toast roast boast post most lost last fast past vast cast mast "
    "match catch patch watch batch latch hatch pitch ditch stitch switch "
    "cloth clothes clothing blouse mouse house horse course source force "
    "longer shorter whole policy later earlier often maybe perhaps already almost always "
    "never sometimes enough quite super totally actually basically literally kinda sorta "
    "gonna wanna gotta lol lmao omg haha hehe yay wow cute adorable awesome amazing epic "
    "dessert desserts pair pairs difference sane lemme gimme keep kept leave create created "
    "creature march former tailor plot comes mommy frees purse single helper "
    # what a picture goes back to ("a normal photo", "the original colours"), and near words
    "normal regular ordinary original usual natural plain proper real standard colours colors "
    "grin grim grab grand gram grams grammar naan finance hobby heater "
    # three-letter words a letter short of a picture word ("a pal" is not "a palm")
    "bat boa boo cub hug kin lad law pal pea tee tin win doc par sum mar moo coo neo ewe"
    .split()
)  # fmt: skip
"""Everyday words that are never typos, whatever lexicon word they are close to ("laying" is
not "playing")."""
