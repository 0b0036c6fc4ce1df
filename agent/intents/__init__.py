"""The offline assistant's understanding: one message (plus what the assistant was waiting
for) → one tool call or one direct reply.

Deterministic rules, no model weights: a message is normalised, tried against a table of rules
in priority order (``rules``), and its slots (subject reference, name, class noun) are pulled
out (``slots``, ``rename``). What is neither a command nor a question is a description of a
picture ("Rex soaking wet") for ``generate_images``. What the tool needs beyond that — which subject "my dog" is, what
the scene is — is resolved by the tools themselves against the person's own subjects. The
words it knows live in ``agent.vocabulary``, shared with the prompt compiler.
"""

from ..vocabulary import CLASS_WORDS
from .rules import Intent, IntentRule, parse_intent

__all__ = ["CLASS_WORDS", "Intent", "IntentRule", "parse_intent"]
