"""The assistant's tools, defined once: name, description, argument model, handler.

LangChain tools (``lc_tools``), the MCP server and ``dreamchat tools --format openai`` are all
generated from ``TOOLS``. A handler takes the ``ChatSession`` the runtime bound (identity,
conversation state, the message's attachments) and validated arguments, calls one service
function, and returns a dict whose ``message`` is ready to show the person.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.domain import JobStatus, Subject, SubjectStatus
from core.errors import DreamchatError, InvalidInput
from core.photos import review_photos
from core.policy import policy_config
from core.subjects import (
    attach_photos,
    create_subject,
    delete_subject,
    list_subjects,
    rename_subject,
)
from worker import services

from .intents import CLASS_WORDS
from .prompts import (
    Aspect,
    Clarify,
    CompiledPrompt,
    SubjectRef,
    UnknownSubject,
    compile_prompt,
    size_for,
)
from .resolve import SubjectNotResolved, resolve_subject, subject_list_text
from .session import ChatSession

__all__ = ["TOOLS", "ToolSpec", "run_tool"]

Result = dict[str, Any]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args: type[BaseModel]
    handler: Callable[[ChatSession, Any], Result]


class ListArgs(BaseModel):
    status: Literal["new", "training", "ready", "failed"] | None = Field(
        default=None, description="Only subjects in this state"
    )


class CreateSubjectArgs(BaseModel):
    name: str = Field(description="What the person calls the subject, e.g. 'Rex'")
    class_noun: str = Field(description="One word for what it is: dog, cat, person, backpack, ...")


class SubjectArg(BaseModel):
    subject: str | None = Field(
        default=None,
        description="The subject's name as the person said it; omit for the one in focus",
    )


class StartTrainingArgs(SubjectArg):
    consent: bool = Field(
        default=False,
        description="True only after the person confirmed they are the pictured person or have their consent",
    )


class GenerateArgs(BaseModel):
    request: str = Field(
        description="The person's request in their words, e.g. 'show my dog in Paris'"
    )
    subjects: list[str] = Field(default_factory=list, description="Subject names mentioned, if any")
    count: int | None = Field(default=None, description="How many images (usually 1-4)")
    aspect: Literal["square", "portrait", "landscape"] | None = None


class RenameArgs(BaseModel):
    subject: str | None = Field(default=None, description="Current name; omit for the one in focus")
    new_name: str


class DeleteArgs(BaseModel):
    subject: str
    confirm: bool = Field(
        default=False, description="True only after the person confirmed the deletion"
    )


def _ok(message: str, **data: Any) -> Result:
    return {"ok": True, "message": message, **data}


def _fail(message: str, **data: Any) -> Result:
    return {"ok": False, "message": message, **data}


def _describe(s: Subject) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "class_noun": s.class_noun,
        "status": str(s.status),
        "photos": len(s.photos),
        "token": s.token,
    }


def _list(session: ChatSession, args: ListArgs) -> Result:
    subjects = list_subjects(session.ctx.store, scope=session.scope)
    if args.status:
        subjects = [s for s in subjects if s.status == args.status]
    if not subjects:
        return _ok(
            'You have no subjects yet. Tell me about one, e.g. "I want pictures of my dog Rex".',
            subjects=[],
        )
    return _ok(
        f"Your subjects: {subject_list_text(subjects)}.", subjects=[_describe(s) for s in subjects]
    )


def _attach(session: ChatSession, subject: Subject) -> Result:
    ctx, limits = session.ctx, session.ctx.settings
    updated = attach_photos(
        ctx.store,
        ctx.blobs,
        scope=session.scope,
        subject_id=subject.id,
        upload_ids=session.attachments,
        settings=limits,
    )
    added = len(updated.photos) - len(subject.photos)  # re-sent photos are attached once
    problems = review_photos(
        ctx.store,
        ctx.blobs,
        scope=session.scope,
        subject=updated,
        upload_ids=session.attachments,
        settings=limits,
    )
    session.attachments = []
    have, need = len(updated.photos), limits.min_photos
    text = f"Added {added} photo{'s' * (added != 1)} of {updated.name} ({have} in all)."
    if problems:
        text += " Note: " + "; ".join(p.text for p in problems) + "."
    if have < need:
        text += f" Send {need - have} more — I need at least {need} to train."
        awaiting = {"intent": "add_photos", "subject": updated.name}
    else:
        text += f' Say "train {updated.name}" when you\'re ready (up to {limits.max_photos} photos helps).'
        awaiting = {"intent": "start_training", "subject": updated.name}
    return _ok(
        text,
        subject=_describe(updated),
        problems=[p.to_dict() for p in problems],
        awaiting=awaiting,
    )


def _create(session: ChatSession, args: CreateSubjectArgs) -> Result:
    subject = create_subject(
        session.ctx.store, scope=session.scope, name=args.name, class_noun=args.class_noun
    )
    if session.attachments:
        try:
            result = _attach(session, subject)
        except DreamchatError:  # e.g. an upload that isn't theirs: create nothing at all
            delete_subject(
                session.ctx.store, session.ctx.blobs, scope=session.scope, subject_id=subject.id
            )
            raise
        session.state.focus_subject_id = subject.id
        return result
    session.state.focus_subject_id = subject.id
    need = session.ctx.settings.min_photos
    text = (
        f"{subject.name} the {subject.class_noun} is set up. Now send me {need}–"
        f"{session.ctx.settings.max_photos} photos: different angles and backgrounds, good light, "
        f"{subject.name} clearly visible."
    )
    if policy_config(session.ctx.settings).is_person(subject.class_noun):
        text += " Since this is a person, I'll also need their consent before training."
    return _ok(
        text, subject=_describe(subject), awaiting={"intent": "add_photos", "subject": subject.name}
    )


def _add_photos(session: ChatSession, args: SubjectArg) -> Result:
    subject = resolve_subject(session, args.subject)
    if not session.attachments:
        return _fail(
            f"I don't see any photos attached. Attach {session.ctx.settings.min_photos}–"
            f"{session.ctx.settings.max_photos} photos of {subject.name} to your message.",
            awaiting={"intent": "add_photos", "subject": subject.name},
        )
    session.state.focus_subject_id = subject.id
    return _attach(session, subject)


def _eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "a few minutes"
    if seconds < 90:
        return f"about {max(int(seconds), 5)} seconds"
    return f"about {round(seconds / 60)} minutes"


def _train(session: ChatSession, args: StartTrainingArgs) -> Result:
    subject = resolve_subject(session, args.subject)
    session.state.focus_subject_id = subject.id
    if session.attachments:
        _attach(session, subject)
        subject = session.ctx.store.get_subject(session.scope, subject.id)
    try:
        run = services.start_training(
            session.ctx,
            scope=session.scope,
            subject_id=subject.id,
            consent=args.consent,
            conversation_id=session.conversation_id,
        )
    except InvalidInput as exc:
        if exc.code != "consent_required":
            raise
        return _fail(
            f"Before I train a model of {subject.name}: is this you, or do you have {subject.name}'s "
            'permission to create AI images of them? Reply "yes" to confirm.',
            needs="consent",
            error={"code": exc.code, "details": exc.details},
            awaiting={"intent": "start_training", "subject": subject.name, "slot": "consent"},
        )
    status = services.training_status(session.ctx, scope=session.scope, training_id=run.id)
    session.outputs["training_id"] = run.id
    return _ok(
        f"Training {subject.name} now — {_eta_text(status['eta_seconds'])}. I'll tell you here when "
        "it's ready.",
        training=status,
    )


def _status(session: ChatSession, args: SubjectArg) -> Result:
    subject = resolve_subject(session, args.subject)
    if not subject.training_job_id:
        return _ok(
            f"{subject.name} hasn't been trained yet ({len(subject.photos)} photos).",
            subject=_describe(subject),
        )
    status = services.training_status(
        session.ctx, scope=session.scope, training_id=subject.training_job_id
    )
    state = status["status"]
    if state == "queued":
        place = f" (number {status['queue_position']})" if status["queue_position"] else ""
        text = f"{subject.name} is waiting in line{place}; ready in {_eta_text(status['eta_seconds'])}."
    elif state == "started" and status["phase"] == "class_images":
        images = status["class_images"]
        text = (
            f"{subject.name}: preparing reference pictures of a {subject.class_noun} "
            f"({images['done']} of {images['total']}) before the training steps — "
            f"{_eta_text(status['eta_seconds'])} to go."
        )
    elif state == "started":
        text = f"{subject.name} is {round(status['progress'] * 100)}% trained — {_eta_text(status['eta_seconds'])} to go."
    elif state == "succeeded":
        text = f"{subject.name} is ready. Ask for a picture!"
    elif state == "failed":
        text = f"Training {subject.name} failed: {(status['error'] or {}).get('message')}"
    else:
        text = f"The last training of {subject.name} was cancelled."
    return _ok(text, training=status)


def _training_now(session: ChatSession) -> list[Subject]:
    subjects = list_subjects(session.ctx.store, scope=session.scope)
    return [s for s in subjects if s.status is SubjectStatus.TRAINING and s.training_job_id]


def _cancel(session: ChatSession, args: SubjectArg) -> Result:
    """Named, the subject's training; unnamed ("cancel it"), the one training now: the subject
    in focus if it is, else the only one that is, else a question."""
    if args.subject is None or args.subject.strip().lower() in ("it", "that", "this"):
        training = _training_now(session)
        focus = session.state.focus_subject_id
        chosen = [s for s in training if s.id == focus] or training
        if not chosen:
            return _fail("Nothing is training right now.", nothing_to_cancel=True)
        if len(chosen) > 1:
            names = [s.name for s in chosen]
            return _fail(
                f"{' and '.join(names)} are training. Which one should I stop?", options=names
            )
        subject = chosen[0]
    else:
        subject = resolve_subject(session, args.subject)
    if subject.status is not SubjectStatus.TRAINING or not subject.training_job_id:
        return _fail(f"{subject.name} isn't training right now.", nothing_to_cancel=True)
    status = services.cancel_training(
        session.ctx, scope=session.scope, training_id=subject.training_job_id
    )
    done = status["status"] == "cancelled"
    text = (
        f"Cancelled training {subject.name}."
        if done
        else f"Stopping {subject.name}'s training now."
    )
    if services.pending_generations(session.ctx, scope=session.scope):
        text += ' A picture is still being drawn — say "stop the picture" to stop it too.'
    return _ok(text, training=status)


def _refs(subjects: list[Subject]) -> list[SubjectRef]:
    return [
        SubjectRef(id=s.id, name=s.name, class_noun=s.class_noun, token=s.token) for s in subjects
    ]


def _generate(session: ChatSession, args: GenerateArgs) -> Result:
    ctx, scope = session.ctx, session.scope
    subjects = list_subjects(ctx.store, scope=scope)
    text = " ".join(
        [args.request, *(f"{n}" for n in args.subjects if n.lower() not in args.request.lower())]
    )
    previous = (
        CompiledPrompt.from_dict(session.state.last_generation)
        if session.state.last_generation
        else None
    )
    compiled = compile_prompt(
        text,
        _refs(subjects),
        focus=session.state.focus_subject_id,
        previous=previous,
        base_size=ctx.recipe.image_size,
        base_negative=ctx.recipe.negative_prompt,
    )
    if isinstance(compiled, UnknownSubject):
        return _unknown(compiled.reference, subjects)
    if isinstance(compiled, Clarify):
        return _fail(compiled.question, options=list(compiled.options))
    if args.count:
        compiled = replace(compiled, count=args.count)
    if args.aspect:
        width, height = size_for(args.aspect, ctx.recipe.image_size)
        compiled = replace(compiled, aspect=Aspect(args.aspect), width=width, height=height)
    chosen = [s for s in subjects if s.id in compiled.subject_ids]
    generation = services.generate(
        ctx,
        scope=scope,
        subject_ids=compiled.subject_ids,
        prompt=compiled.prompt,
        negative_prompt=compiled.negative_prompt,
        count=compiled.count,
        width=compiled.width,
        height=compiled.height,
        seed=compiled.seed,
        request_text=args.request,
    )
    session.state.last_generation = compiled.with_seed(generation.seed).to_dict()
    session.state.focus_subject_id = (
        compiled.subject_ids[0] if compiled.subject_ids else session.state.focus_subject_id
    )
    session.outputs["generation_id"] = generation.id
    deadline = time.monotonic() + session.wait_seconds
    while time.monotonic() < deadline:
        generation = services.get_generation(ctx, scope=scope, generation_id=generation.id)
        if generation.status.is_terminal:
            break
        time.sleep(0.1)
    names = " and ".join(s.name for s in chosen)
    data = {
        "generation_id": generation.id,
        "prompt": compiled.prompt,
        "seed": generation.seed,
        "notes": list(compiled.notes),
    }
    if generation.status is JobStatus.SUCCEEDED:
        session.outputs["images"] = list(generation.images)
        count = len(generation.images)
        lead = "Here's" if count == 1 else f"Here are {count} pictures of"
        return _ok(f"{lead} {names}{_scene(compiled)}.", images=list(generation.images), **data)
    if generation.status is JobStatus.FAILED:
        return _fail(f"Sorry, that didn't work: {generation.error}", **data)
    if generation.status is JobStatus.CANCELLED:
        return _fail("That picture was cancelled.", **data)
    return _ok(
        f"I'm drawing {names}{_scene(compiled)} — it'll appear here in a moment.",
        pending=True,
        **data,
    )


class GenerationArg(BaseModel):
    generation_id: str = Field(description="The id generate_images returned (gen_...)")


def _generation_status(session: ChatSession, args: GenerationArg) -> Result:
    """For clients that got ``pending`` from generate_images: are the images there yet?"""
    generation = services.get_generation(
        session.ctx, scope=session.scope, generation_id=args.generation_id
    )
    data = {
        "generation_id": generation.id,
        "status": str(generation.status),
        "prompt": generation.prompt,
        "seed": generation.seed,
    }
    if generation.status is JobStatus.SUCCEEDED:
        session.outputs["images"] = list(generation.images)
        session.outputs["generation_id"] = generation.id
        return _ok(
            f"{len(generation.images)} image(s) ready.", images=list(generation.images), **data
        )
    if generation.status is JobStatus.FAILED:
        return _fail(f"That generation failed: {generation.error}", **data)
    if generation.status is JobStatus.CANCELLED:
        return _ok("That generation was cancelled; it has no images.", **data)
    return _ok("Still drawing — ask again in a few seconds.", pending=True, **data)


class CancelGenerationArgs(BaseModel):
    generation_id: str | None = Field(
        default=None,
        description="The id generate_images returned (gen_...); omit to stop every picture "
        "still being drawn",
    )


def _cancel_generation(session: ChatSession, args: CancelGenerationArgs) -> Result:
    ctx, scope = session.ctx, session.scope
    if args.generation_id is None:
        ids = [g.id for g in services.pending_generations(ctx, scope=scope)]
        if not ids:
            return _fail("No picture is being drawn right now.", nothing_to_cancel=True)
    else:
        ids = [args.generation_id]
    statuses = [services.cancel_generation(ctx, scope=scope, generation_id=i) for i in ids]
    if all(s["status"] in ("succeeded", "failed") for s in statuses):
        return _fail(
            "That picture was already finished.", generations=statuses, nothing_to_cancel=True
        )
    stopped = [s for s in statuses if s["status"] == "cancelled"]
    n = len(statuses)
    what = "the picture" if n == 1 else f"{n} pictures"
    text = f"Cancelled {what}." if len(stopped) == n else f"Stopping {what} now."
    if args.generation_id is None and (training := _training_now(session)):
        names = " and ".join(s.name for s in training)
        text += f' {names} {"is" if len(training) == 1 else "are"} still training — say "stop training" to stop that too.'
    return _ok(text, generations=statuses)


def _scene(compiled: CompiledPrompt) -> str:
    return f" {compiled.scene}" if compiled.scene else ""


def _unknown(reference: str, subjects: list[Subject]) -> Result:
    """ "Show my dog…" from someone with no dog: the start of onboarding, not an error."""
    mine = re.search(r"\b(?:my|our)\s+(?:\w+\s+)?(\w+)", reference.lower())
    noun = CLASS_WORDS.get(mine.group(1)) if mine else None
    if noun:
        return _fail(
            f"I don't know your {noun} yet — let's fix that! What's your {noun}'s name? Then send me "
            "3–25 photos and I'll learn what they look like.",
            awaiting={"intent": "create_subject", "class_noun": noun, "slot": "name"},
        )
    return _fail(f"I don't know {reference!r}. {_known(subjects)}")


def _known(subjects: list[Subject]) -> str:
    if not subjects:
        return "You have no subjects yet — tell me about one and send photos."
    return f"Your subjects: {subject_list_text(subjects)}."


def _rename(session: ChatSession, args: RenameArgs) -> Result:
    subject = resolve_subject(session, args.subject)
    renamed = rename_subject(
        session.ctx.store, scope=session.scope, subject_id=subject.id, name=args.new_name
    )
    return _ok(f"Done: {subject.name} is now called {renamed.name}.", subject=_describe(renamed))


def _delete(session: ChatSession, args: DeleteArgs) -> Result:
    subject = resolve_subject(session, args.subject)
    if not args.confirm:
        return _fail(
            f"Delete {subject.name} with all its photos, its trained model and its images? This can't be "
            'undone. Reply "yes" to confirm.',
            awaiting={"intent": "delete_subject", "subject": subject.name, "slot": "confirm"},
        )
    services.delete_subject(session.ctx, scope=session.scope, subject_id=subject.id)
    if session.state.focus_subject_id == subject.id:
        session.state.focus_subject_id = None
        session.state.last_generation = None
    return _ok(f"Deleted {subject.name} and everything made from it.")


TOOLS: list[ToolSpec] = [
    ToolSpec(
        "list_subjects",
        "List the person's subjects (pets, people, products) and their status.",
        ListArgs,
        _list,
    ),
    ToolSpec(
        "create_subject",
        "Create a new subject to personalize; photos attached to the message are added.",
        CreateSubjectArgs,
        _create,
    ),
    ToolSpec(
        "add_photos",
        "Add the photos attached to the current message to a subject.",
        SubjectArg,
        _add_photos,
    ),
    ToolSpec(
        "start_training",
        "Start training a subject's personalized model (needs 3-25 photos; a person needs "
        "consent=true once they confirmed it is them or they agreed).",
        StartTrainingArgs,
        _train,
    ),
    ToolSpec(
        "training_status", "How far a subject's training is, with an ETA.", SubjectArg, _status
    ),
    ToolSpec("cancel_training", "Stop a subject's training.", SubjectArg, _cancel),
    ToolSpec(
        "generate_images",
        "Generate images of one or more trained subjects from the person's request.",
        GenerateArgs,
        _generate,
    ),
    ToolSpec(
        "generation_status",
        "Whether the images of a generation that was still pending are ready, with their ids.",
        GenerationArg,
        _generation_status,
    ),
    ToolSpec(
        "cancel_generation",
        "Stop a generation that is still queued or drawing (all of them if none is named).",
        CancelGenerationArgs,
        _cancel_generation,
    ),
    ToolSpec("rename_subject", "Rename a subject.", RenameArgs, _rename),
    ToolSpec(
        "delete_subject",
        "Delete a subject with its photos, model and images (ask to confirm first).",
        DeleteArgs,
        _delete,
    ),
]
TOOLS_BY_NAME = {t.name: t for t in TOOLS}


def run_tool(session: ChatSession, name: str, arguments: dict[str, Any]) -> Result:
    """Validate and run one tool; errors become a result the model can explain, not a crash."""
    spec = TOOLS_BY_NAME.get(name)
    if spec is None:
        return _fail(f"There is no tool called {name!r}.")
    try:
        args = spec.args.model_validate(arguments or {})
        return spec.handler(session, args)
    except SubjectNotResolved as exc:
        return _fail(exc.message, options=exc.options)
    except DreamchatError as exc:
        return _fail(exc.message, error={"code": exc.code, "details": exc.details})
    except ValueError as exc:  # pydantic validation of the arguments
        return _fail(
            f"I couldn't use those details: {exc.errors()[0]['msg'] if hasattr(exc, 'errors') else exc}"
        )
