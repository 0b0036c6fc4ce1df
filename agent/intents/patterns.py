"""The keyword patterns that tell one intent from another, matched against the normalised
(lower-case, shorthand-expanded) message; the rules in ``rules`` decide in which order."""

from __future__ import annotations

import re

from ..vocabulary import ACCESSORIES, CLASS_WORDS, SCENE_WORDS

YES = re.compile(
    r"^(yes|yeah|yep|yup|sure|ok|okay|correct|confirm(ed)?|i confirm|i consent|go ahead|do it|"
    r"absolutely|of course|that'?s me|it'?s me|i am|i do|affirmative|please do|y)\b"
)

NO = re.compile(r"^(no|nope|nah|don'?t|do not|stop|never ?mind|cancel that|not now|n)\b")


HELP = re.compile(
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

GREETING = re.compile(
    r"^(hi|hello|hey|howdy|good (morning|afternoon|evening)|yo|hiya|greetings)\b[\s!.]*$"
)

THANKS = re.compile(
    r"^(thanks|thank you|thx|ty|cheers|great|awesome|perfect|cool|nice|love it)\b[\s!.]*$"
)

LIST = re.compile(
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

CANCEL = re.compile(
    r"\btraining\b.{0,30}\bbe (stopped|cancel+ed|aborted|halted)\b"
    r"|\b(abandon|end|scrap)\b.{0,12}\b(train|training)\b"
    r"|\b(cancel|abort|halt|kill|stop|quit|terminate|pause)\b.{0,40}\b(train|training|learning|it|job|model)"
    r"|\b(cancel|abort|stop) (the |that )?(train|training|job)|^(cancel|abort|stop)( it| that| training)?[.!]*( |$)"
    r"|\bstop (training|learning)\b|\bdon'?t train\b|\bcall off\b"
    r"|\b(cancel|abort|stop|kill|halt) (it|that|this)[.!]*$"
)

CANCEL_PICTURE = re.compile(
    r"\b(cancel|abort|halt|kill|stop|quit|scrap) (the |that |this |those |these |my )?(\w+ )?"
    r"(pictures?|images?|generations?|drawings?|renders?|pics?|photo generation)\b"
    r"|\b(stop|quit) (drawing|generating|rendering)\b"
)
"""Stopping a picture being drawn: "cancel the picture", "stop drawing"."""

CANCEL_TRAINING_WORD = re.compile(r"\b(train|training|trained|learning|model)\b")
"""A cancel that says it is about training; "cancel it" does not (see ``rules``)."""

DELETE = re.compile(
    r"\b(delete|remove|erase|forget|get rid of|wipe|destroy|trash|bin|scrap|ditch)\b"
)

STATUS = re.compile(
    r"\b(status|progress|eta|how long|how much longer|how far|done yet|finished( yet)?|ready( yet)?|"
    r"is it (done|ready|finished)|how'?s (the )?(training|it going)|how is (the )?training|"
    r"how(?:'?s| is) \w+ (going|coming|doing)( along)?|still training|(is|are) (he|she|it|they|\w+) (trained|done|ready)|"
    r"check (on|in on) |trained yet|percentage|training (complete|completed|over)|is (it|the training) complete|"
    r"or is (it|he|she|they) still (training|learning)|time left|what % |(did|has) .{1,30}training (finish|finished|end|ended|complete)|"
    r"model coming along|almost (done|ready|finished)|still learning|can i use \w+ yet|"
    r"how long (until|till|before)|when will .* (be )?(ready|done)|percent|% done|any news|update on)\b"
)

TRAIN = re.compile(
    r"\b(train|training|retrain|learn|teach|fine-?tune|start (the )?(model|it)|build (the |a |his |her )?model|"
    r"make (the |a |his |her |its )?model|create (the |a |his |her )?model|get .{0,25}model (going|started)|"
    r"kick ?off|begin|go ahead|let'?s go|start)\b"
)

GENERATE = re.compile(
    r"\b(show|draw|paint|render|generate|create|make|picture|pictures|pic|pics|photo|photos|image|images|portrait|"
    r"imagine|put|place|depict|sketch|illustrate|visuali[sz]e|shot|selfie|wallpaper|poster|as an?|dressed|"
    r"wearing|in the style|version|another|again|one more|more of|same but|same one|redo|variation|"
    r"make it|now (in|at|on|with|as)|what about|how about|do one|one where|one of (him|her|it|them)|"
    r"more like (that|this|these)|like that but|similar|can it be|brighter|darker|portrait of|"
    r"do (an?|some|him|her|them|me|us)|(painting|drawing|sketch|illustration|cartoon|caricature"
    r"|watercolou?r|doodle|mural|comic|rendering|render)s? of)\b"
)

SCENE_PREP = re.compile(
    r"\b(in|on|at|with|wearing|as|under|inside|near|by|riding|eating|playing|sitting|"
    r"running|jumping|swimming|flying|dressed|holding|during)\b"
)

CREATE = re.compile(
    r"\b(this is|meet|here'?s|introduc\w*|add|new|create|set ?up|register|start|i have|i'?ve got|got a"
    r"|make (an? |the )?(new )?(subject|profile|model))\b"
)

WANT_PICS = re.compile(
    r"\b(i (want|would like|'d like)|can (you|i) (make|get|have)(?! (an? |the )?(new )?"
    r"(subject|profile|model)\b)|i'?d love)\b"
    r"|\b(create|make) (me |us )?(an? |some )?(\w+ )?(portrait|picture|photo|image|painting"
    r"|drawing|sketch|pic)s? of\b"
)
"""Asking for pictures, which "create"/"make" in the same message does not turn into a new
subject ("create a portrait of Grandma")."""


NAME_AFTER = re.compile(
    r"\b(?i:named|called|name is|name's|names|name:|goes by|known as|under the name|call (?:him|her|it|them|me)|"
    r"name (?:him|her|it|them|me))\s+['\"]?(?P<name>[A-Za-z][\w'.-]*(?: [A-Z][\w'.-]*)*)"
)

RENAME_WORDS = re.compile(
    r"\b(rename|renamed|change .{0,25}name|new name|fix (the|his|her|its) name|name (it|him|her|them) |"
    r"should (be|now be) (called|named)|typo|misspel\w*|spelled .{0,10}wrong|wrong name)\b"
)

QUESTION = re.compile(
    r"^(can|could|do(?! (an?|some|one|another|him|her|it|them|me|us|this|that)\b)|does|is|are"
    r"|how|why|what|will|would|should|where|when|which|who)\b|\?\s*\W*$"
)
"""A question, not a request: "do you keep my photos?", but "do an oil painting of Rex" and
"do him as a pirate" ask for a picture."""

_LEAD_IN = (
    r"(?:(?:ok|okay|now|and|also|then|please|can you|could you|hmm+|lol|lmao|haha\w*|omg|oh"
    r"|wow|aw+|yes|yeah|yay|nice|great|cool|perfect|awesome|amazing|lovely|(?:i )?love (?:it|this)"
    r"|(?:i )?like (?:it|this)|that'?s (?:great|cute|perfect|awesome|amazing|lovely|nice))"
    r"[\s,!.]+)*"
)
"""What a request to edit the last picture may start with: chat, praise and politeness
("lol add a hat", "love it, now add my dog")."""

ADD_WORN = re.compile(
    rf"^{_LEAD_IN}"
    r"(?:add|put on|give (?:him|her|it|them))\s+(?:(?:a|an|some|the)\s+)?(?:(?!my\b|our\b)[a-z-]+\s+){0,2}?"
    rf"(?:{'|'.join(sorted(ACCESSORIES, key=len, reverse=True))})\b"
)
"""Adding something worn to the last picture ("add sunglasses"), not a new subject ("add my
sunglasses")."""

REMOVE_THING = re.compile(
    rf"^{_LEAD_IN}"
    r"(?:remove|take off|take away|get rid of|lose|drop)\s+(?:the|his|her|its|their|that)\s+"
    rf"(?P<thing>(?:[a-z-]+\s+){{0,2}}(?:{'|'.join(sorted(SCENE_WORDS | ACCESSORIES, key=len, reverse=True))}))\b"
)
"""Removing a thing from the last picture ("remove the sofa"), not deleting a subject."""

WH_QUESTION = re.compile(r"\b(what|why|how|who|when|where|which|whats|what's)\b")
"""A question the assistant answers with help, never a picture to make."""

SERVICE_WORDS = re.compile(
    r"\b(photos?|pictures?|pics?|images?|data|training|model|models|account|subjects?|price|cost|pay|"
    r"free|privacy|private|delete|keep|store|share|format|resolution|limit|quality|results?|video|"
    r"commercial\w*|license|safe|secure|how long|how many|work)\b"
)

# --- the narrower patterns single rules use ---------------------------------------------------

NAME_ANSWER_LEAD = re.compile(
    r"^(it'?s|he'?s|she'?s|his name is|her name is|its name is|call (him|her|it))\s+"
)
HELP_TOPICS = re.compile(
    r"\b(work|do you need|should i|steps|support|cost|why|private|"
    r"resolution|only|need to be|professional|forever|shared|"
    r"commercially|best number|difference|size|subjects can|delete my|sell|limit|instead)\b"
)
"""Help questions that may also contain a picture word ("what size should the photos be")."""
DELETE_COMMAND = re.compile(
    r"^(please |pls |can you |could you )?(delete|remove|erase|forget|get rid of|wipe|trash|bin|scrap|ditch)\b"
)
DELETE_ALL = re.compile(
    r"\b(delete|remove|erase|get rid of)\b.{0,40}\b(all|everything|and (all )?(his|her|its|their))\b"
)
WANT_GONE = re.compile(
    r"\b(like|want|need) \w+( \w+)? (deleted|removed|gone)\b"
    r"|\b(get|take) .{1,40} (off|out of|from) (my|our) (account|subjects|list|profile)\b"
)
ADD_TO_PICTURE = re.compile(
    rf"^{_LEAD_IN}"
    r"(?:add|bring|put|include|throw)\s+(?:in\s+)?(?:the|my|our)\s+(?:[a-z-]+\s+)?"
    rf"(?:{'|'.join(sorted(CLASS_WORDS, key=len, reverse=True))})"
    r"(?:\s+(?:in|back|too|also|as well|to (?:the|this) (?:picture|photo|image|pic|scene)))*"
    r"(?:\s+(?:next to|beside|near|behind|in front of|alongside|with|by|on) [\w' ]+?)?"
    r"[\s.!]*$"
)
"""After a picture, "add my cat too" or "add my dog next to me" puts it in the next one; a new
subject is introduced with its name ("add my cat Luna")."""

PICTURE_EDIT = re.compile(
    r"\b(add|remove|put|swap|replace|switch|change|bring|include|take (out|off|away)"
    r"|get rid of|give (him|her|it|them))\b"
)
"""Verbs that, after a picture, edit it even when asked as a question ("can you add luna?")."""

EXPLICIT_DELETE = re.compile(
    r"\b(delete|deleted|erase|erased|wipe|destroy|forget|trash)\b"
    r"|\b(from|off) (my|our|the) (subjects|account|list|profile|library)\b"
    r"|\b(and|with) (all )?(his|her|its|their) (photos|pictures|pics|data|model)\b"
    r"|\b(subject|profile|model|account|for good|forever|permanently|completely)\b"
)
"""Words that ask for a subject to go for good. After a picture, "remove the cat" edits the
picture (the cat leaves it); only these make it a deletion."""
LIST_SCENE = re.compile(
    r"\b(subjects?|pets?|models?) (in|on|at|wearing|with) (?!my (account|profile))"
)
"""'my pets on the beach' asks for a picture, not the list."""
HOW_FAR = re.compile(r"\b(eta|progress)\b")
"""How far a training is, whatever else the message says."""
MORE = re.compile(r"\bmore\b")
TRAIN_WORD = re.compile(r"\btrain\b")
EXPLICIT_TRAIN = re.compile(
    r"\b(start|begin|kick off|fire up|go ahead and|launch) (the )?(training|train)\b|"
    r"\b(start|begin) learning\b|\bbuild (a |the )?model (of|for)\b|"
    r"\b(create|make|start) the model (of|for)\b|"
    r"(^|[-,.!:] ?)(pls |please |ok |okay |now )?train\b"
)
TRAIN_QUESTION = re.compile(r"\b(how|when|is|status|progress)\b[^-,.!:]*\btrain")
PICTURE_VERB = re.compile(r"\b(show|draw|make|generate|picture)\b")
STILL_TRAINING = re.compile(r"\b(still training|still learning|yet)\b")
INTRODUCED = re.compile(
    r"\b(my|our) (\w+ )?\w+ (is called|is named|, [a-z]+$)|\b(set|sign) (him|her|it|them) up\b"
    r"|\bmodel of (my|our) \w+,? [a-z]+|\b(add|register|new subject|new one)\b.{0,30}\b(my|our) "
)
NAMED_CREATE = re.compile(r"\b(add|train you on|model of|register|set up|new|meet|create)\b")
ME = re.compile(r"\b(me|myself)\b")
TRAIN_VERB = re.compile(r"\b(train|retrain|teach|learn|fine-?tune)\b")
MY_SOMETHING = re.compile(r"\bmy (\w+)\b")
OF_THEM = re.compile(r"\bof them\b")
