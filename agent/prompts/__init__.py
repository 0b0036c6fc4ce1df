"""The prompt compiler: a casual request ("show my dog in Paris", "make it at night") becomes
the exact parameters of one generation.

Why a hand-written compiler instead of letting the chat model write prompts: it runs on every
generation turn for both the offline and the OpenAI-compatible model, so it must be
deterministic, fast (a tenth of a millisecond or so) and identical for both; and a DreamBooth adapter only
answers to its rare token followed by the class noun it was trained with (``sks dog``), which a
model paraphrasing the request easily breaks. The result is plain data the agent stores as "the
last generation", which is what makes follow-ups ("another one", "same but square") work.

The request goes through these steps, each consuming what it recognises:

0. spelling: a word one slip away from a lexicon word is read as that word ("at the beech"),
   and an artist named anyhow becomes ``in the style of Monet``;
1. negatives ("without people", "no text") → the negative prompt;
2. an explicit seed, follow-up cues ("another one", "same", "make it", "now"), the image count
   and the aspect;
3. command and politeness words ("can you show me a picture of");
4. subject references — names ("Rex", "Rex's"), kinds ("my dog", "the cat", "my puppies"), the
   token itself, "me", and pronouns ("him", "them") for the subject in focus — and attributes
   that sit right next to one ("a red Rex", "make Rex a cube shaped dog", "my teapot, but shiny");
5. what is left is the scene, kept in the user's words and order ("on the beach at sunset").

Follow-ups rebuild from the previous ``CompiledPrompt`` as clauses of edits (``edits``: add or
remove a worn thing, replace one thing by another, bigger/smaller, or a change) or as a change
of who is in it ("add Bella too", "remove the cat"): scene modifiers (time of day, weather,
season, style, lighting) replace those of the same kind ("at night" replaces "at sunset"), a new
location replaces the old one, and the seed is kept unless the person asked for new pictures
("another one", "again", "4 of them"), so "same but square" reproduces the picture.

Art renditions lead with their medium (``a watercolor painting of sks dog``). A request that
names nobody and in which nothing is recognised gets a short question, not a guess.

Modules, in the order a request meets them: ``spelling`` (step 0), ``request`` (steps 1-3),
``lexicon`` (the person's subjects as patterns), ``draft`` (step 4), ``scenes`` (step 5 and
follow-up merging), ``followup`` (whether and how a request edits the last picture),
``edits`` (its clauses and cast changes), ``compiler`` (``compile_prompt``); ``results`` holds
what comes back, ``text`` the helpers they share, and ``agent.vocabulary`` the word tables this
package shares with the intent parser.
"""

from .compiler import compile_prompt
from .results import (
    BENCH_LEAD,
    DEFAULT_BASE_SIZE,
    DEFAULT_NEGATIVE_PROMPT,
    MAX_IMAGES,
    PHOTO_LEAD,
    Aspect,
    Clarify,
    ClarifyReason,
    CompiledPrompt,
    PromptResult,
    SubjectRef,
    UnknownSubject,
    size_for,
)

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
