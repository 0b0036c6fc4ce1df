"""The offline assistant's understanding: one message (plus what the assistant was waiting
for) → one tool call or one direct reply.

Deterministic rules, no model weights: a message is normalised, tried against the patterns of
each intent in priority order, and its slots (subject reference, name, class noun) are pulled
out. What the tool needs beyond that — which subject "my dog" is, what the scene is — is
resolved by the tools themselves against the person's own subjects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CLASS_WORDS", "Intent", "parse_intent"]

# Words people use → the class noun DreamBooth prompts use.
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
_PERSONAL = {"me", "myself", "i", "self", "selfie", "face", "i'm"}

_YES = re.compile(
    r"^(yes|yeah|yep|yup|sure|ok|okay|correct|confirm(ed)?|i confirm|i consent|go ahead|do it|"
    r"absolutely|of course|that'?s me|it'?s me|i am|i do|affirmative|please do|y)\b"
)
_NO = re.compile(r"^(no|nope|nah|don'?t|do not|stop|never ?mind|cancel that|not now|n)\b")
_HELP = re.compile(
    r"\b(help|what can you do|how does (this|it|the .{1,40}) work|how do i (use|start|begin)|"
    r"what do you do|instructions|getting started|what are you|how many (photos|pictures|pics|images) "
    r"(do you|should i|do i)|what kind of (photos|pictures)|what (photos|pictures) (do you|should)|"
    r"how long does (training|it) (usually )?take|is it free|what is this|does it cost|how much (does|is)|"
    r"pric(e|es|ing)|privacy|private|do you keep|do you store|delete my data|what is dreambooth|"
    r"why do i (have|need)|do you support|can i use (this|it|you) for|what (image )?resolution|"
    r"what are the steps|explain( me)?|can i make pictures of .* or only|is it safe|"
    r"(do|does) (the )?(photos|pictures|pics) (need|have) to|professional|keep my (photos|pictures|data)|"
    r"(data|photos|pictures) (shared|private|safe|stored)|shared with|commercial(ly)?|copyright|"
    r"best number of|how many (photos|pictures|pics)|difference between|any size|cropped|"
    r"how many subjects can|limit on|what formats?|do you delete my|sell my data|why do you need|"
    r"is there a limit|instead of photos|video instead)\b"
)
_GREETING = re.compile(
    r"^(hi|hello|hey|howdy|good (morning|afternoon|evening)|yo|hiya|greetings)\b[\s!.]*$"
)
_THANKS = re.compile(
    r"^(thanks|thank you|thx|ty|cheers|great|awesome|perfect|cool|nice|love it)\b[\s!.]*$"
)
_LIST = re.compile(
    r"\b(list|show|which|what|who)\b.{0,30}\b(subjects?|pets?|models?|profiles?|characters?|things|ones|items|"
    r"products)\b(?! (in|on|at|wearing|with) )"
    r"|\bwhat (do i have|have i got)\b|\bmy (subjects|models|pets)\b\??$|\bwho (do you know|have i added)\b"
    r"|\b(do you have|have you got) (any|my) (subjects|pets|models)\b|^subjects\??$"
    r"|\bdo i have any\b|\bhow many (subjects|pets|models|things)\b|\blist (everything|all)\b"
    r"|\bwhat (have i|did i) (trained|added|uploaded|set up|saved|made)\b|\bwhat'?s (saved|stored|in here|set up)\b"
    r"|\b(all|everything) (i'?ve|i have) (added|trained|saved|uploaded|set up|made|registered)\b"
    r"|\b(in|on) my (account|profile)\b|\bw(h)?ich models\b|\bremind me (which|what)\b|\b(which|what) (\w+ )?(are|is) (set up|saved|registered|stored)\b"
    r"|\b(which|what) (\w+ )?(have i|i'?ve) (made|created|registered|set up|uploaded|added|trained)\b"
    r"|\bwhat (\w+ )?(have i|did i) (registered|made|created)\b|\bsubjects (are )?(saved|set up|stored)\b"
    r"|\bwho do i have\b|\b(did i|have i) (already )?(add|added|set up)\b|\blist of (everything|all|my)\b"
    r"|\bremind me of (my|the) .{0,20}names\b|\b(forgot|forget|forgotten) the names\b|\b(what|which) subjects are there\b"
)
_CANCEL = re.compile(
    r"\btraining\b.{0,30}\bbe (stopped|cancel+ed|aborted|halted)\b"
    r"|\b(abandon|end|scrap)\b.{0,12}\b(train|training)\b"
    r"|\b(cancel|abort|halt|kill|stop|quit|terminate|pause)\b.{0,40}\b(train|training|learning|it|job|model)"
    r"|\b(cancel|abort|stop) (the |that )?(train|training|job)|^(cancel|abort|stop)( it| that| training)?[.!]*( |$)"
    r"|\bstop (training|learning)\b|\bdon'?t train\b|\bcall off\b"
)
_DELETE = re.compile(
    r"\b(delete|remove|erase|forget|get rid of|wipe|destroy|trash|bin|scrap|ditch)\b"
)
_RENAME = re.compile(
    r"\b(?i:rename|re-name)\s+(?P<old>.+?)\s+(?:to|as|into|->|=>|→)\s+(?P<new>.+)$"
    r"|\b(?i:change)\s+(?P<old2>.+?)(?:'s|’s)?\s+(?i:name)\s+(?i:to)\s+(?P<new2>.+)$"
    r"|\b(?i:call|name)\s+(?P<old3>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*|\w+)\s+['\"]?(?P<new3>[\w' -]+?)['\"]?\s+(?:instead|from now on|now)\b"
    r"|\b(?P<old4>.+?)(?:'s|’s)\s+(?:new\s+)?name\s+(?:is|should be)\s+(?:now\s+|actually\s+)?(?P<new4>[\w' -]+?)(?:[,.!]|$)"
    r"|\b(?i:change (?:the )?name of)\s+(?P<old5>.+?)\s+(?i:to|into)\s+(?P<new5>.+)$"
    r"|\b(?i:change) (?P<old9>(?i:his|her|its|their)) (?i:name to)\s+(?P<new9>.+)$"
    r"|\b(?P<old10>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*) goes by (?P<new10>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*)"
    r"|\bshould be (?:named|called) (?P<new11>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*),? not (?P<old11>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*)"
    r"|^(?i:(?:actually,? )?call)\s+(?P<old12>[A-Z][\w'-]*)\s+['\"]?(?P<new12>[A-Z][\w'-]*)['\"]?\s+(?i:from now on|instead|now)\b"
    r"|^(?i:(?:please )?change)\s+(?P<old13>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*)\s+(?i:to|into)\s+(?P<new13>[A-Z][\w' -]*)$"
    r"|\b(?P<old14>[A-Z][\w'-]*)\s+(?i:should be (?:called|named)|should now be called)\s+(?P<new14>[A-Z][\w' -]*)$"
    r"|['\"](?P<old15>[A-Z][\w' -]*)['\"]\s+(?i:needs a new name)[:\s]+(?P<new15>[A-Z][\w' -]*)"
    r"|\b(?i:rename)\s+(?P<old16>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*)\?\s.*(?i:to be called|be named|call (?:it|him|her))\s+(?P<new16>[A-Z][\w' -]*)"
    r"|\b(?P<old17>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*)\s+(?i:renamed (?:to|as))\s+(?P<new17>[A-Z][\w' -]*)"
    r"|\b(?i:change the name)\s+(?P<old18>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*)\s+(?i:to|into)\s+(?P<new18>[A-Z][\w' -]*)"
    r"|\b(?P<old19>[A-Z][\w'-]*)\s+(?i:needs a new name)[:\s]+(?P<new19>[A-Z][\w' -]*)"
    r"|\b(?i:update)\s+(?P<old6>.+?)(?:'s|’s)\s+name\s+to\s+(?P<new6>.+)$"
    r"|^(?:.*?[!,:]\s*)?(?P<old7>[A-Z][\w'-]*(?: [A-Z][\w'-]*)*)\s+(?:should be|->|=>|→)\s+(?P<new7>[A-Z][\w' -]*)$"
    r"|\b(?:from now on\s+)?(?P<old8>[A-Z][\w'-]*)\s+is (?:now )?called\s+(?P<new8>[A-Z][\w' -]*?)(?: from now on)?[.!]*$"
)
_STATUS = re.compile(
    r"\b(status|progress|eta|how long|how much longer|how far|done yet|finished( yet)?|ready( yet)?|"
    r"is it (done|ready|finished)|how'?s (the )?(training|it going)|how is (the )?training|"
    r"how(?:'?s| is) \w+ (going|coming|doing)( along)?|still training|(is|are) (he|she|it|they|\w+) (trained|done|ready)|"
    r"check (on|in on) |trained yet|percentage|training (complete|completed|over)|is (it|the training) complete|"
    r"or is (it|he|she|they) still (training|learning)|time left|what % |(did|has) .{1,30}training (finish|finished|end|ended|complete)|"
    r"model coming along|almost (done|ready|finished)|still learning|can i use \w+ yet|"
    r"how long (until|till|before)|when will .* (be )?(ready|done)|percent|% done|any news|update on)\b"
)
_TRAIN = re.compile(
    r"\b(train|training|retrain|learn|teach|fine-?tune|start (the )?(model|it)|build (the |a |his |her )?model|"
    r"make (the |a |his |her |its )?model|create (the |a |his |her )?model|get .{0,25}model (going|started)|"
    r"kick ?off|begin|go ahead|let'?s go|start)\b"
)
_GENERATE = re.compile(
    r"\b(show|draw|paint|render|generate|create|make|picture|pictures|pic|pics|photo|photos|image|images|portrait|"
    r"imagine|put|place|depict|sketch|illustrate|visuali[sz]e|shot|selfie|wallpaper|poster|as an?|dressed|"
    r"wearing|in the style|version|another|again|one more|more of|same but|same one|redo|variation|"
    r"make it|now (in|at|on|with|as)|what about|how about|do one|one where|one of (him|her|it|them)|"
    r"more like (that|this|these)|like that but|similar|can it be|brighter|darker|portrait of)\b"
)
_SCENE_PREP = re.compile(
    r"\b(in|on|at|with|wearing|as|under|inside|near|by|riding|eating|playing|sitting|"
    r"running|jumping|swimming|flying|dressed|holding|during)\b"
)
_CREATE = re.compile(
    r"\b(this is|meet|here'?s|introduc\w*|add|new|create|set ?up|register|start|i have|i'?ve got|got a)\b"
)
_WANT_PICS = re.compile(r"\b(i (want|would like|'d like)|can (you|i) (make|get|have)|i'?d love)\b")
_NAME_AFTER = re.compile(
    r"\b(?i:named|called|name is|name's|names|name:|goes by|known as|under the name|call (?:him|her|it|them|me)|"
    r"name (?:him|her|it|them|me))\s+['\"]?(?P<name>[A-Za-z][\w'.-]*(?: [A-Z][\w'.-]*)*)"
)
_ATTACH_WORDS = re.compile(
    r"\b(photos?|pics?|pictures?|images?|shots?|selfies?|snaps?|these|here)\b"
)
_NOT_NAMES = {
    "now",
    "please",
    "training",
    "going",
    "done",
    "ready",
    "yet",
    "status",
    "progress",
    "job",
    "going?",
    "model",
    "learning",
    "that",
    "so",
    "for",
    "off",
    "up",
    "already",
    "all",
    "everything",
}
_COUNT = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "a couple": 2,
    "couple": 2,
    "a few": 3,
    "few": 3,
}
_STOP_NAMES = {
    "my",
    "the",
    "a",
    "an",
    "him",
    "her",
    "it",
    "them",
    "this",
    "that",
    "please",
    "now",
    "me",
    "photos",
    "pics",
    "pictures",
    "some",
    "more",
    "model",
    "dog",
    "cat",
    "and",
    "is",
    "here",
    "are",
    "of",
}


@dataclass
class Intent:
    tool: str | None
    """The tool to call, or None for a direct reply."""
    args: dict[str, Any] = field(default_factory=dict)
    reply: str | None = None
    awaiting: dict[str, Any] | None = None


# Common texting shortcuts and typos, word for word.
_SHORTHAND = {
    "wat": "what",
    "wht": "what",
    "r": "are",
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "wich": "which",
    "whcih": "which",
    "hows": "how is",
    "whats": "what is",
    "im": "i am",
    "dont": "don't",
    "cant": "can't",
    "trian": "train",
    "tain": "train",
    "trainig": "training",
    "traning": "training",
    "pic": "picture",
    "pix": "pictures",
    "thx": "thanks",
    "rn": "now",
    "n": "and",
    "abt": "about",
}


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    words = re.sub(r"\s+", " ", text.strip().lower()).split(" ")
    return " ".join(_SHORTHAND.get(w, w) for w in words)


def _class_of(text: str) -> str | None:
    """The class noun the message names; things and animals win over person words, and "me"
    or "I" count only when nothing else is named ("a model of myself")."""
    words = re.findall(r"[a-z][a-z-]*", text)
    found = [CLASS_WORDS[w] for w in words if w in CLASS_WORDS and w not in _PERSONAL]
    for noun in found:
        if noun != "person":
            return noun
    if found:
        return found[0]
    if re.search(r"\b(me|myself|my face|selfies?)\b", text):
        return "person"
    return None


_TITLES = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "sir",
    "lady",
    "lord",
    "captain",
    "professor",
    "prof",
    "uncle",
    "aunt",
}


def _cap_name(original: str, skip: set[str]) -> str | None:
    """The first capitalised word (with the capitalised words right after it: "Earl Grey",
    "Mr. Buttons") that isn't the sentence's first word or a common word."""
    words = re.findall(r"[A-Za-z][\w'.-]*", original)
    for i, word in enumerate(words):
        bare = word.rstrip(".").removesuffix("'s")
        if not (bare[0].isupper() and (i > 0 or len(words) == 1)):
            continue
        if (
            bare.lower() in _STOP_NAMES
            or bare.lower() in skip
            or bare.lower() in CLASS_WORDS
            or bare in _I_WORDS
        ):
            continue
        parts = [bare]
        for nxt in words[i + 1 :]:
            nb = nxt.rstrip(".!,?").removesuffix("'s")
            if nb and nb[0].isupper() and nb.lower() not in _STOP_NAMES and nb not in _I_WORDS:
                parts.append(nb)
            else:
                break
        name = " ".join(parts)
        if parts[0].lower() in _TITLES and len(parts) > 1:
            name = name.replace(parts[0], parts[0] + ".", 1) if word.endswith(".") else name
        return name.strip("'")
    return None


_I_WORDS = {
    "I",
    "I'm",
    "I'd",
    "I've",
    "I'll",
    "OK",
    "Ok",
    "Hey",
    "Hi",
    "Hello",
    "Pls",
    "Please",
    "New",
    "Name",
    "Can",
    "Could",
    "Would",
    "Will",
    "Yes",
    "No",
    "Thanks",
    "Meet",
    "Add",
    "This",
    "Here",
    "Make",
    "Show",
}


def _first_sentence_name(raw: str) -> str:
    """Cut a captured name at a sentence end ("Bolt. It's a toy") unless it is a title ("Mr.")."""
    parts = raw.split(". ")
    name = parts[0]
    if name.lower().rstrip(".") in _TITLES and len(parts) > 1:
        name = f"{name}. {parts[1].split('.')[0]}"
    return name.strip().rstrip(".!,").strip("'\"")


def _name(original: str, norm: str) -> str | None:
    match = _NAME_AFTER.search(original)
    if match:
        name = _first_sentence_name(match.group("name"))
        return name.title() if name.islower() else name
    intro = re.search(
        r"\b(?i:meet|say hi to|this is|introducing|here'?s)\s+([A-Z][\w'-]*(?:\.? [A-Z][\w'-]*)*)",
        original,
    )
    if intro and intro.group(1).lower() not in _STOP_NAMES and intro.group(1) not in _I_WORDS:
        return _first_sentence_name(intro.group(1))
    low = re.search(
        r"\b(?i:meet|this is|say hi to)\s+([a-z][\w'-]*)[,!.]?\s+(?i:my|our|she|he|it)\b", original
    )
    if low and low.group(1) not in _STOP_NAMES:
        return low.group(1).title()
    paren = re.search(
        r"\b(?i:new subject|add|meet)\b[:\s-]+([\w'-]+(?: [\w'-]+)?)\s*\((?i:my|our)\s", original
    )
    if paren:
        return paren.group(1)
    # "my dog Rex", "my cat, Luna"
    m = re.search(
        r"\b(?i:my|our)\s+(?:\w+\s+)?(?i:(" + "|".join(map(re.escape, CLASS_WORDS)) + r"))\s*,?\s+"
        r"([A-Za-z][\w'-]+(?:\.? [A-Z][\w'-]+)*)",
        original,
    )
    if (
        m
        and m.group(2).lower() not in _STOP_NAMES
        and not _SCENE_PREP.fullmatch(m.group(2).lower())
    ):
        word = m.group(2)
        return word if word[0].isupper() else word.title()
    # "Rex, my dog", "Rex is my dog", "Luna the cat"
    m = re.search(
        r"\b([A-Z][\w'-]+)\s*(?:,|is|the)\s*(?:(?:my|our)\s+)?(?:[\w']+\s+){0,2}("
        + "|".join(map(re.escape, CLASS_WORDS))
        + r")\b",
        original,
    )
    if (
        m
        and m.group(1).lower() not in _STOP_NAMES
        and m.group(1) not in ("This", "Meet", "Here", "That", "It", "I")
    ):
        return m.group(1)
    return _cap_name(original, set())


def _subject_ref(original: str, norm: str, *, after: re.Pattern[str] | None = None) -> str | None:
    """A subject reference as the person wrote it: a name, "my dog", or a pronoun."""
    m = re.search(r"\b(my|our) (?:\w+ )?(" + "|".join(map(re.escape, CLASS_WORDS)) + r")\b", norm)
    if m:
        return f"my {m.group(2)}"
    name = _cap_name(original, {"train", "cancel", "delete", "stop", "status", "how", "is", "show"})
    if name:
        return name
    m = re.search(r"\b(him|her|it|them|he|she|they)\b", norm)
    if m:
        return m.group(1)
    if after is not None:
        m = after.search(norm)
        if m:
            end = m.end()
            while end < len(norm) and norm[end].isalnum():  # the match ended inside a word
                end += 1
            tail = norm[end:].strip(" ?.!")
            tail = re.sub(
                r"^(the |training (of |for )?|model (of |for )?|for |of |on |'s )", "", tail
            )
            word = re.match(r"([a-z][\w'-]*)", tail)
            if word and word.group(1) not in _STOP_NAMES and word.group(1) not in _NOT_NAMES:
                return word.group(1).removesuffix("'s")
    return None


def _count(norm: str) -> int | None:
    m = re.search(
        r"\b([1-9])\b|\b(one|two|three|four|a couple|a few)\b(?= (of them|more|pictures|pics|images|photos|versions|shots|variations|please))",
        norm,
    )
    if not m:
        return None
    return int(m.group(1)) if m.group(1) else _COUNT[m.group(2)]


def parse_intent(
    text: str, *, awaiting: dict[str, Any] | None = None, attachments: int = 0
) -> Intent:
    original = text.strip()
    norm = _norm(original)
    awaiting = awaiting or {}
    slot = awaiting.get("slot")

    if slot in ("consent", "confirm"):
        if _YES.search(norm):
            key = "consent" if slot == "consent" else "confirm"
            return Intent(awaiting["intent"], {"subject": awaiting.get("subject"), key: True})
        if _NO.search(norm):
            return Intent(None, reply="OK, I won't. Anything else I can do?")
    if (
        slot == "name"
        and awaiting.get("intent") == "create_subject"
        and len(norm.split()) <= 6
        and not _GENERATE.search(norm)
    ):
        name_match = _NAME_AFTER.search(original)
        chosen = (
            (name_match.group("name") if name_match else None)
            or _cap_name(original, set())
            or re.sub(
                r"^(it'?s|he'?s|she'?s|his name is|her name is|its name is|call (him|her|it))\s+",
                "",
                norm,
            )
            .strip(" .!")
            .title()
        )
        if chosen:
            return Intent(
                "create_subject",
                {"name": chosen, "class_noun": awaiting.get("class_noun", "dog")},
            )
    if not norm:
        return _help()
    if _THANKS.match(norm):
        return Intent(None, reply="You're welcome! Ask me for another picture any time.")
    if _GREETING.match(norm):
        return _help(greeting=True)
    if _HELP.search(norm) and (
        not _GENERATE.search(_HELP.sub("", norm).replace("help", ""))
        or re.search(
            r"\b(work|do you need|should i|steps|support|cost|why|private|"
            r"resolution|only|need to be|professional|forever|shared|"
            r"commercially|best number|difference|size|subjects can|delete my|sell|limit|instead)\b",
            norm,
        )
    ):
        return _help()

    rename = (
        _RENAME.search(original)
        if not re.search(r"\b(called|named)\b.*\b(my|a)\b", norm)
        or re.search(
            r"\b(rename|renamed|name of|the name|is called|is now called|should be|goes by|"
            r"new name|from now on)\b",
            norm,
        )
        else None
    )
    if rename:
        groups = rename.groupdict()
        old = next(v for k, v in groups.items() if k.startswith("old") and v)
        new = next(v for k, v in groups.items() if k.startswith("new") and v)
        new = re.sub(
            r"\s+(now|please|instead|from now on|thanks)\b.*$", "", new.strip(), flags=re.I
        )
        new = re.split(r",|\s[^\w\s'-]", new)[0].strip()
        return Intent(
            "rename_subject", {"subject": _strip_ref(old), "new_name": new.strip(" .!?\"'")}
        )
    if (
        _RENAME_WORDS.search(norm)
        and not _NAME_AFTER.search(original)
        or re.search(r"\brename", norm)
    ):
        names = _names_in(original)
        if names:
            subject = names[0] if len(names) > 1 else _pronoun(norm)
            return Intent(
                "rename_subject",
                {"subject": subject, "new_name": names[-1]} if subject else {"new_name": names[-1]},
            )
    if (
        (_DELETE.search(norm) and not _GENERATE.search(norm.replace("remove", "")))
        or re.match(
            r"^(please |pls |can you |could you )?(delete|remove|erase|forget|get rid of|wipe|trash|bin|scrap|ditch)\b",
            norm,
        )
        or re.search(
            r"\b(delete|remove|erase|get rid of)\b.{0,40}\b(all|everything|and (all )?(his|her|its|their))\b",
            norm,
        )
        or re.search(r"\b(like|want|need) \w+( \w+)? (deleted|removed|gone)\b", norm)
    ):
        return Intent(
            "delete_subject", {"subject": _subject_ref(original, norm, after=_DELETE) or "it"}
        )
    if _CANCEL.search(norm):
        return Intent("cancel_training", _maybe_subject(original, norm, _CANCEL))
    if _LIST.search(norm) and not re.search(
        r"\b(subjects?|pets?|models?) (in|on|at|wearing|with) (?!my (account|profile))", norm
    ):
        return Intent("list_subjects", {})

    if attachments:
        cls = _class_of(norm)
        name = _name(original, norm) if cls and _CREATE.search(norm) else None
        if cls and name and not re.search(r"\bmore\b", norm):
            return Intent("create_subject", {"name": name, "class_noun": cls})
        if _TRAIN.search(norm) and re.search(r"\btrain\b", norm):
            return Intent("start_training", _maybe_subject(original, norm, _TRAIN))
        return Intent("add_photos", _maybe_subject(original, norm, None))

    explicit_train = re.search(
        r"\b(start|begin|kick off|fire up|go ahead and|launch) (the )?(training|train)\b|"
        r"\b(start|begin) learning\b|\bbuild (a |the )?model (of|for)\b|"
        r"(^|[-,.!:] ?)(pls |please |ok |okay |now )?train\b",
        norm,
    )
    if explicit_train and not re.search(r"\b(how|when|is|status|progress)\b[^-,.!:]*\btrain", norm):
        return Intent("start_training", _maybe_subject(original, norm, _TRAIN))
    if _STATUS.search(norm) and (
        not re.search(r"\b(show|draw|make|generate|picture)\b", norm)
        or re.search(r"\b(still training|still learning|yet)\b", norm)
    ):
        return Intent("training_status", _maybe_subject(original, norm, _STATUS))

    cls = _class_of(norm)
    named = bool(_NAME_AFTER.search(original))
    introduced = bool(
        re.search(
            r"\b(my|our) (\w+ )?\w+ (is called|is named|, [a-z]+$)|\b(set|sign) (him|her|it|them) up\b"
            r"|\bmodel of (my|our) \w+,? [a-z]+|\b(add|register|new subject|new one)\b.{0,30}\b(my|our) ",
            norm,
        )
    )
    if cls and (
        named
        and re.search(r"\b(add|train you on|model of|register|set up|new|meet|create)\b", norm)
        or introduced
        or _CREATE.search(norm)
        and not _WANT_PICS.search(norm)
    ):
        name = _name(original, norm)
        if cls in ("person",) and re.search(r"\b(me|myself)\b", norm) and not name:
            name = "Me"
        if name:
            return Intent("create_subject", {"name": name, "class_noun": cls})
        return Intent(
            None,
            reply=f"Lovely! What's your {cls}'s name?",
            awaiting={"intent": "create_subject", "class_noun": cls, "slot": "name"},
        )

    if re.search(r"\b(train|retrain|teach|learn|fine-?tune)\b", norm) or (
        _TRAIN.search(norm) and not _GENERATE.search(norm) and len(norm.split()) <= 6
    ):
        return Intent("start_training", _maybe_subject(original, norm, _TRAIN))

    if _about_the_service(original, norm):
        return _help()
    if (
        _GENERATE.search(norm)
        or _SCENE_PREP.search(norm)
        or re.search(r"\bmy (\w+)\b", norm)
        or _count(norm)
        or re.search(r"\bof them\b", norm)
    ):
        args: dict[str, Any] = {"request": original}
        count = _count(norm)
        if count:
            args["count"] = min(count, 4)
        return Intent("generate_images", args)
    return _help(unknown=True)


_RENAME_WORDS = re.compile(
    r"\b(rename|renamed|change .{0,25}name|new name|fix (the|his|her|its) name|name (it|him|her|them) |"
    r"should (be|now be) (called|named)|typo|misspel\w*|spelled .{0,10}wrong|wrong name)\b"
)
_QUESTION = re.compile(
    r"^(can|could|do|does|is|are|how|why|what|will|would|should|where|when|which|who)\b|\?\s*\W*$"
)
_SERVICE_WORDS = re.compile(
    r"\b(photos?|pictures?|pics?|images?|data|training|model|models|account|subjects?|price|cost|pay|"
    r"free|privacy|private|delete|keep|store|share|format|resolution|limit|quality|results?|video|"
    r"commercial\w*|license|safe|secure|how long|how many|work)\b"
)


def _names_in(original: str) -> list[str]:
    """Names a message mentions, in order: quoted strings, then capitalised words."""
    quoted = re.findall(r"['\"]([^'\"]{1,40})['\"]", original)
    if len(quoted) >= 2:
        return quoted
    found = []
    for match in re.finditer(r"(?<![\w'])([A-Z][\w'-]*(?:\.? [A-Z][\w'-]*)*)", original):
        words = match.group(1).split()
        while words and (
            words[0] in _I_WORDS
            or words[0].lower() in _STOP_NAMES
            or words[0].lower() in _TITLES
            and len(words) == 1
        ):
            words = words[1:]
        if (
            words
            and match.start() > 0
            or (
                words
                and words[0] not in _I_WORDS
                and match.start() == 0
                and words[0].lower() not in _COMMAND_WORDS
            )
        ):
            name = " ".join(words).removesuffix("'s")
            if name and name.lower() not in _STOP_NAMES and name not in found:
                found.append(name)
    if len(found) < 2:
        m = re.search(r"\brename\s+([a-z][\w'-]*)", original, re.I)
        if m and m.group(1).lower() not in _STOP_NAMES and m.group(1) not in found:
            found.insert(0, m.group(1))
    return quoted[:1] + [f for f in found if f not in quoted] if quoted else found


_COMMAND_WORDS = {
    "rename",
    "change",
    "please",
    "pls",
    "can",
    "could",
    "would",
    "update",
    "fix",
    "oops",
    "actually",
    "sorry",
    "typo",
    "call",
    "hey",
    "hi",
    "ok",
    "okay",
    "the",
    "my",
    "i",
}


def _pronoun(norm: str) -> str | None:
    m = re.search(r"\b(him|her|it|them)\b", norm)
    return m.group(1) if m else None


def _about_the_service(original: str, norm: str) -> bool:
    """A question about how dreamchat works rather than a request: question form, about
    photos/data/training/limits, naming no subject and no scene."""
    if not (_QUESTION.search(norm) and _SERVICE_WORDS.search(norm)):
        return False
    names = [n for n in _names_in(original) if n.lower() not in ("dreambooth", "ai")]
    if names or re.search(
        r"\b(him|her|them|he|she)\b|\b(my|our) (" + "|".join(map(re.escape, CLASS_WORDS)) + r")\b",
        norm,
    ):
        return False
    return not re.search(
        r"\b(show|draw|paint|make (a|an|me|some)|generate (a|an|me|some|\d)|give me)\b", norm
    )


def _strip_ref(text: str) -> str:
    return re.sub(r"^(my|the|our)\s+", "", text.strip(" .!?\"'"), flags=re.I)


def _maybe_subject(original: str, norm: str, after: re.Pattern[str] | None) -> dict[str, Any]:
    ref = _subject_ref(original, norm, after=after)
    return {"subject": ref} if ref else {}


_HELP_TEXT = (
    "I make personalized pictures of your pets, yourself or your things. Here's how:\n"
    '1. Tell me about a subject — "this is my dog Rex" — and send 3–25 photos of it.\n'
    "2. Say \"train Rex\" — it takes a few minutes, and I'll tell you when it's ready.\n"
    '3. Ask for pictures — "show Rex on the beach at sunset", "Rex and Luna in a park".\n'
    'You can also ask "how is training going?", "what subjects do I have?", rename or delete a subject.'
)


def _help(*, greeting: bool = False, unknown: bool = False) -> Intent:
    if greeting:
        return Intent(None, reply="Hi! " + _HELP_TEXT)
    if unknown:
        return Intent(None, reply="I'm not sure what you'd like. " + _HELP_TEXT)
    return Intent(None, reply=_HELP_TEXT)
