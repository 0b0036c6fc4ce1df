"""``parse_intent``: one message (plus what the assistant was waiting for) → one tool call or
one direct reply, decided by a table of rules tried in order.

Each rule says when it applies and what it extracts; the first rule that applies and extracts
an intent wins. The order is the priority: answers to a question the assistant asked come
first, then greetings and help, then commands about one subject (rename, delete, cancel), the
list, photos, training, status, introducing a new subject, a picture request, and last
anything that is not a question, as a description of a picture (the help text is only for
"help", greetings and questions).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..vocabulary import ACCESSORIES, CLASS_WORDS
from .patterns import (
    ADD_TO_PICTURE,
    ADD_WORN,
    CANCEL,
    CANCEL_PICTURE,
    CANCEL_TRAINING_WORD,
    CREATE,
    DELETE,
    DELETE_ALL,
    DELETE_COMMAND,
    EXPLICIT_DELETE,
    EXPLICIT_TRAIN,
    GENERATE,
    GREETING,
    HELP,
    HELP_TOPICS,
    HOW_FAR,
    INTRODUCED,
    LIST,
    LIST_SCENE,
    ME,
    MORE,
    MY_SOMETHING,
    NAME_AFTER,
    NAME_ANSWER_LEAD,
    NAMED_CREATE,
    NO,
    OF_THEM,
    PICTURE_EDIT,
    PICTURE_VERB,
    QUESTION,
    REMOVE_THING,
    SCENE_PREP,
    STATUS,
    STILL_TRAINING,
    THANKS,
    TRAIN,
    TRAIN_QUESTION,
    TRAIN_VERB,
    TRAIN_WORD,
    WANT_GONE,
    WANT_PICS,
    WH_QUESTION,
    YES,
)
from .rename import loose_rename_args, rename_args
from .slots import (
    about_the_service,
    cap_name,
    class_of,
    count_of,
    maybe_subject,
    name_of,
    normalize,
    subject_ref,
)


@dataclass
class Intent:
    tool: str | None
    """The tool to call, or None for a direct reply."""
    args: dict[str, Any] = field(default_factory=dict)
    reply: str | None = None
    awaiting: dict[str, Any] | None = None


@dataclass
class Message:
    original: str
    norm: str
    """Lower case, one space, texting shorthand expanded."""
    awaiting: dict[str, Any]
    attachments: int
    after_picture: bool = False
    """A picture was made earlier in the conversation, so "remove the cat" can edit it."""
    recent_job: str | None = None
    """What the conversation last started: ``"training"``, ``"generation"`` or ``None``."""

    @property
    def slot(self) -> str | None:
        return self.awaiting.get("slot")

    @cached_property
    def class_noun(self) -> str | None:
        return class_of(self.norm)


@dataclass(frozen=True, slots=True)
class IntentRule:
    name: str
    when: Callable[[Message], bool]
    extract: Callable[[Message], Intent | None]
    """``None``: the rule does not apply after all, and the next one is tried."""


def _says(pattern: re.Pattern[str]) -> Callable[[Message], bool]:
    return lambda m: bool(pattern.search(m.norm))


def _tool(tool: str, args: dict[str, Any] | None) -> Intent | None:
    return None if args is None else Intent(tool, args)


# --- answers to the assistant's own question ------------------------------------------------


def _yes_or_no(m: Message) -> Intent | None:
    if YES.search(m.norm):
        key = "consent" if m.slot == "consent" else "confirm"
        return Intent(m.awaiting["intent"], {"subject": m.awaiting.get("subject"), key: True})
    if NO.search(m.norm):
        return Intent(None, reply="OK, I won't. Anything else I can do?")
    return None


def _answers_name(m: Message) -> bool:
    return (
        m.slot == "name"
        and m.awaiting.get("intent") == "create_subject"
        and len(m.norm.split()) <= 6
        and not GENERATE.search(m.norm)
    )


def _given_name(m: Message) -> Intent | None:
    name_match = NAME_AFTER.search(m.original)
    chosen = (
        (name_match.group("name") if name_match else None)
        or cap_name(m.original, set())
        or NAME_ANSWER_LEAD.sub("", m.norm).strip(" .!").title()
    )
    if not chosen:
        return None
    return Intent(
        "create_subject", {"name": chosen, "class_noun": m.awaiting.get("class_noun", "dog")}
    )


# --- conditions ---------------------------------------------------------------------------


def _asks_for_help(m: Message) -> bool:
    return bool(HELP.search(m.norm)) and bool(
        not GENERATE.search(HELP.sub("", m.norm).replace("help", "")) or HELP_TOPICS.search(m.norm)
    )


def _removes_a_thing(norm: str) -> bool:
    """ "remove the sofa", "get rid of the hat": an edit of the last picture, not a deletion."""
    match = REMOVE_THING.match(norm)
    last = match.group("thing").split()[-1] if match else ""
    return bool(match) and (last in ACCESSORIES or last not in CLASS_WORDS)


def _asks_to_delete(m: Message) -> bool:
    norm = m.norm
    if _removes_a_thing(norm):
        return False
    if m.after_picture and not EXPLICIT_DELETE.search(norm):
        return False  # "remove the cat" after a picture: a picture without the cat
    return bool(
        (DELETE.search(norm) and not GENERATE.search(norm.replace("remove", "")))
        or DELETE_COMMAND.match(norm)
        or DELETE_ALL.search(norm)
        or WANT_GONE.search(norm)
    )


def _asks_for_list(m: Message) -> bool:
    """ "what models do I have" lists; "what's the ETA on Pepper's model" asks how far one is."""
    return (
        bool(LIST.search(m.norm)) and not LIST_SCENE.search(m.norm) and not HOW_FAR.search(m.norm)
    )


def _asks_to_train(m: Message) -> bool:
    return bool(EXPLICIT_TRAIN.search(m.norm)) and not TRAIN_QUESTION.search(m.norm)


def _asks_status(m: Message) -> bool:
    return bool(STATUS.search(m.norm)) and bool(
        not PICTURE_VERB.search(m.norm) or STILL_TRAINING.search(m.norm)
    )


def _introduces(m: Message) -> bool:
    named = bool(NAME_AFTER.search(m.original)) and bool(NAMED_CREATE.search(m.norm))
    introduced = bool(INTRODUCED.search(m.norm))
    creates = bool(CREATE.search(m.norm)) and not WANT_PICS.search(m.norm)
    into_picture = m.after_picture and bool(ADD_TO_PICTURE.match(m.norm))  # "add my cat too"
    return (
        m.class_noun is not None
        and (named or introduced or creates)
        and not ADD_WORN.match(m.norm)
        and not into_picture
    )


def _mentions_training(m: Message) -> bool:
    return bool(TRAIN_VERB.search(m.norm)) or bool(
        TRAIN.search(m.norm) and not GENERATE.search(m.norm) and len(m.norm.split()) <= 6
    )


def _edits_the_picture(m: Message) -> bool:
    return m.after_picture and bool(PICTURE_EDIT.search(m.norm))


def _asks_about_the_service(m: Message) -> bool:
    return about_the_service(m.original, m.norm) and not _edits_the_picture(m)


def _wants_pictures(m: Message) -> bool:
    norm = m.norm
    return _edits_the_picture(m) or bool(
        GENERATE.search(norm)
        or SCENE_PREP.search(norm)
        or MY_SOMETHING.search(norm)
        or count_of(norm)
        or OF_THEM.search(norm)
    )


def _describes(m: Message) -> bool:
    """What is left and is not a question is taken as a description of a picture ("Rex soaking
    wet", "a red Rex", "one more like that"): the generation tool knows the person's subjects and
    the last picture, and asks a short question when it recognises nothing in it."""
    return not (QUESTION.search(m.norm) or WH_QUESTION.search(m.norm))


def _cancels_a_picture(m: Message) -> bool:
    return bool(CANCEL_PICTURE.search(m.norm)) and not CANCEL_TRAINING_WORD.search(m.norm)


# --- extractors ---------------------------------------------------------------------------


_BARE_CANCEL_REFS = frozenset(("it", "that", "this", "them"))


def _cancel(m: Message) -> Intent:
    """ "stop training Rex" stops a training. A bare "cancel it" / "stop that" means the job
    this conversation started last: a picture being drawn, or a training. The offline model
    tries the other kind when that one is no longer running (``offline_model``)."""
    args = _about(m, CANCEL)
    bare = not CANCEL_TRAINING_WORD.search(m.norm) and (
        str(args.get("subject", "it")).lower() in _BARE_CANCEL_REFS
    )
    if bare and m.recent_job == "generation":
        return Intent("cancel_generation", {})
    return Intent("cancel_training", {} if bare else args)


def _about(m: Message, after: re.Pattern[str] | None) -> dict[str, Any]:
    return maybe_subject(m.original, m.norm, after)


def _with_photos(m: Message) -> Intent:
    cls = m.class_noun
    name = name_of(m.original, m.norm) if cls and CREATE.search(m.norm) else None
    if cls and name and not MORE.search(m.norm):
        return Intent("create_subject", {"name": name, "class_noun": cls})
    if TRAIN.search(m.norm) and TRAIN_WORD.search(m.norm):
        return Intent("start_training", _about(m, TRAIN))
    return Intent("add_photos", _about(m, None))


def _new_subject(m: Message) -> Intent:
    cls = m.class_noun
    name = name_of(m.original, m.norm)
    if cls in ("person",) and ME.search(m.norm) and not name:
        name = "Me"
    if name:
        return Intent("create_subject", {"name": name, "class_noun": cls})
    return Intent(
        None,
        reply=f"Lovely! What's your {cls}'s name?",
        awaiting={"intent": "create_subject", "class_noun": cls, "slot": "name"},
    )


def _pictures(m: Message) -> Intent:
    args: dict[str, Any] = {"request": m.original}
    count = count_of(m.norm)
    if count:
        args["count"] = min(count, 4)
    return Intent("generate_images", args)


RULES: tuple[IntentRule, ...] = (
    IntentRule("yes or no", lambda m: m.slot in ("consent", "confirm"), _yes_or_no),
    IntentRule("a name asked for", _answers_name, _given_name),
    IntentRule("empty", lambda m: not m.norm, lambda m: help_reply()),
    IntentRule(
        "thanks",
        lambda m: bool(THANKS.match(m.norm)),
        lambda m: Intent(None, reply="You're welcome! Ask me for another picture any time."),
    ),
    IntentRule(
        "greeting", lambda m: bool(GREETING.match(m.norm)), lambda m: help_reply(greeting=True)
    ),
    IntentRule("help", _asks_for_help, lambda m: help_reply()),
    IntentRule(
        "rename",
        lambda m: True,
        lambda m: _tool("rename_subject", rename_args(m.original, m.norm)),
    ),
    IntentRule(
        "rename, loosely",
        lambda m: True,
        lambda m: _tool("rename_subject", loose_rename_args(m.original, m.norm)),
    ),
    IntentRule(
        "delete",
        _asks_to_delete,
        lambda m: Intent(
            "delete_subject", {"subject": subject_ref(m.original, m.norm, after=DELETE) or "it"}
        ),
    ),
    IntentRule("cancel a picture", _cancels_a_picture, lambda m: Intent("cancel_generation", {})),
    IntentRule("cancel", _says(CANCEL), _cancel),
    IntentRule("list", _asks_for_list, lambda m: Intent("list_subjects", {})),
    IntentRule("photos attached", lambda m: bool(m.attachments), _with_photos),
    IntentRule("train", _asks_to_train, lambda m: Intent("start_training", _about(m, TRAIN))),
    IntentRule("status", _asks_status, lambda m: Intent("training_status", _about(m, STATUS))),
    IntentRule("new subject", _introduces, _new_subject),
    IntentRule(
        "train, loosely", _mentions_training, lambda m: Intent("start_training", _about(m, TRAIN))
    ),
    IntentRule(
        "question about the service",
        _asks_about_the_service,
        lambda m: help_reply(),
    ),
    IntentRule("pictures", _wants_pictures, _pictures),
    IntentRule("a description", _describes, _pictures),
)


def parse_intent(
    text: str,
    *,
    awaiting: dict[str, Any] | None = None,
    attachments: int = 0,
    after_picture: bool = False,
    recent_job: str | None = None,
) -> Intent:
    """``after_picture``: the conversation has made a picture, which a request may edit;
    ``recent_job``: the kind of job the conversation started last (``"training"`` or
    ``"generation"``), which a bare "cancel it" means."""
    original = text.strip()
    message = Message(
        original, normalize(original), awaiting or {}, attachments, after_picture, recent_job
    )
    for rule in RULES:
        if rule.when(message) and (intent := rule.extract(message)) is not None:
            return intent
    return help_reply(unknown=True)


HELP_TEXT = (
    "I make personalized pictures of your pets, yourself or your things. Here's how:\n"
    '1. Tell me about a subject — "this is my dog Rex" — and send 3–25 photos of it.\n'
    "2. Say \"train Rex\" — it takes a few minutes, and I'll tell you when it's ready.\n"
    '3. Ask for pictures — "show Rex on the beach at sunset", "Rex and Luna in a park".\n'
    'You can also ask "how is training going?", "what subjects do I have?", rename or delete a subject.'
)


def help_reply(*, greeting: bool = False, unknown: bool = False) -> Intent:
    if greeting:
        return Intent(None, reply="Hi! " + HELP_TEXT)
    if unknown:
        return Intent(None, reply="I'm not sure what you'd like. " + HELP_TEXT)
    return Intent(None, reply=HELP_TEXT)
