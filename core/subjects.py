"""Subject service functions: the one implementation that chat tools, HTTP routes and the CLI
call. Each is scoped by (tenant, user) and keyword-only past the stores it works on.

Rules that live here: names and class nouns, rare tokens, the photo limits, what deleting a
subject removes, and photo retention. Training and generation need the job queue and live in
``worker/``; ``ensure_trainable`` is the check they share.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import unicodedata
from collections.abc import Sequence
from pathlib import PurePosixPath

from .blob_keys import find_upload, image_key, photo_key, subject_prefix, user_prefix
from .blobs import BlobStore
from .domain import Scope, Subject, SubjectDeletion, SubjectStatus
from .errors import Conflict, InvalidInput, NotFound
from .ids import SUBJECT, UPLOAD, check_id, new_id
from .settings import Settings
from .store import RedisStore

__all__ = [
    "RARE_TOKENS",
    "attach_photos",
    "create_subject",
    "delete_subject",
    "ensure_trainable",
    "get_subject",
    "list_subjects",
    "pick_token",
    "purge_photos",
    "rename_subject",
]

RARE_TOKENS = ("sks", "zwx", "qlo", "vlk", "pkz", "xjq", "bqm", "wfz", "kxv", "jzt", "qzr", "ohwx")
"""Short words the text encoder has rarely seen, so training can give them a new meaning
without dragging an old one along (the DreamBooth paper's "rare-token identifiers")."""
_CONSONANTS = "bcdfghjklmnpqrstvwxz"
_CLASS_NOUN = re.compile(r"[a-z][a-z -]{0,38}[a-z]|[a-z]")
_MAX_NAME = 80


def pick_token(taken: set[str]) -> str:
    """The first listed rare token this user does not use yet, then random consonant strings
    (20**4 of them, with no vowels so they are unlikely to be words)."""
    for token in RARE_TOKENS:
        if token not in taken:
            return token
    while True:
        token = "".join(secrets.choice(_CONSONANTS) for _ in range(4))
        if token not in taken:
            return token


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned or len(cleaned) > _MAX_NAME:
        raise InvalidInput(
            f"Give the subject a name of 1 to {_MAX_NAME} characters, like 'Rex'.",
            code="invalid_subject_name",
        )
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise InvalidInput(
            "Subject names can't contain control characters.", code="invalid_subject_name"
        )
    return cleaned


def _clean_class_noun(class_noun: str) -> str:
    cleaned = " ".join(str(class_noun).split()).lower()
    if not cleaned.isascii() or not _CLASS_NOUN.fullmatch(cleaned):
        raise InvalidInput(
            "The class noun says what kind of thing the subject is, in plain lowercase words: "
            "'dog', 'person', 'teddy bear'.",
            code="invalid_class_noun",
            details={"class_noun": str(class_noun)[:100]},
        )
    return cleaned


def create_subject(store: RedisStore, *, scope: Scope, name: str, class_noun: str) -> Subject:
    subject_name, noun = _clean_name(name), _clean_class_noun(class_noun)
    for _ in range(5):  # a concurrent create may claim the token we picked; pick again
        now = store.now()
        subject = Subject(
            id=new_id(SUBJECT),
            tenant_id=scope.tenant_id,
            user_id=scope.user_id,
            name=subject_name,
            class_noun=noun,
            token=pick_token(store.subject_tokens(scope)),
            created_at=now,
            updated_at=now,
        )
        try:
            store.insert_subject(scope, subject)
        except Conflict as exc:
            if exc.code != "token_taken":
                raise
            continue
        return subject
    raise Conflict("Too many subjects created at once; try again.", code="busy")


def list_subjects(store: RedisStore, *, scope: Scope) -> list[Subject]:
    """Oldest first."""
    return store.list_subjects(scope)


def get_subject(store: RedisStore, *, scope: Scope, subject_id: str) -> Subject:
    return store.get_subject(scope, check_id(subject_id, SUBJECT, what="subject"))


def rename_subject(store: RedisStore, *, scope: Scope, subject_id: str, name: str) -> Subject:
    new_name = _clean_name(name)

    def rename(subject: Subject) -> None:
        subject.name = new_name

    return store.update_subject(scope, check_id(subject_id, SUBJECT, what="subject"), rename)


def attach_photos(
    store: RedisStore,
    blobs: BlobStore,
    *,
    scope: Scope,
    subject_id: str,
    upload_ids: Sequence[str],
    settings: Settings,
) -> Subject:
    """Move uploads into the subject's photos. Either all of them are attached or none: on any
    error nothing is stored and the uploads stay where they were. Attaching an upload that is
    already attached is a no-op, so a retried request does no harm."""
    limit = settings.max_photos
    check_id(subject_id, SUBJECT, what="subject")
    wanted = list(dict.fromkeys(check_id(u, UPLOAD, what="upload") for u in upload_ids))
    if not wanted:
        raise InvalidInput("Send at least one upload id.", code="no_photos")
    subject = store.get_subject(scope, subject_id)
    if subject.status is SubjectStatus.TRAINING:
        raise _busy_training(subject)
    attached = {PurePosixPath(key).stem for key in subject.photos}
    moves: list[tuple[str, str]] = []
    for upload_id in wanted:
        if upload_id in attached:
            continue
        source = find_upload(blobs, scope, upload_id)
        if source is None:
            raise NotFound(
                f"Upload {upload_id!r} was not found; upload the photo again.",
                code="upload_not_found",
                details={"upload_id": upload_id},
            )
        moves.append((source, photo_key(scope, subject_id, PurePosixPath(source).name)))
    _check_room(subject, len(moves), limit)
    if not moves:
        return subject

    copied: list[str] = []
    try:
        for source, target in moves:
            blobs.put(target, blobs.get(source))
            copied.append(target)

        def add(current: Subject) -> None:
            if current.status is SubjectStatus.TRAINING:
                raise _busy_training(current)
            new = [t for _, t in moves if t not in current.photos]
            _check_room(current, len(new), limit)
            current.photos = [*current.photos, *new]

        subject = store.update_subject(scope, subject_id, add)
    except BaseException:
        kept = _stored_photos(store, scope, subject_id)
        if kept is not None:
            for key in set(copied) - kept:
                blobs.delete(key)
        raise
    for source, _ in moves:
        blobs.delete(source)
    return subject


def _stored_photos(store: RedisStore, scope: Scope, subject_id: str) -> set[str] | None:
    """What the subject holds now; None when Redis can't tell us, in which case copies stay
    (an orphan file is better than a subject pointing at a deleted one)."""
    try:
        return set(store.get_subject(scope, subject_id).photos)
    except NotFound:
        return set()
    except Exception:
        return None


def _check_room(subject: Subject, adding: int, limit: int) -> None:
    have = len(subject.photos)
    if have + adding > limit:
        raise InvalidInput(
            f"{subject.name!r} has {have} photos and the limit is {limit}; "
            f"you can add {max(limit - have, 0)} more, not {adding}.",
            code="too_many_photos",
            details={"limit": limit, "current": have, "adding": adding},
        )


def _busy_training(subject: Subject) -> Conflict:
    return Conflict(
        f"{subject.name!r} is training; wait for it to finish or cancel it first.",
        code="training_in_progress",
        details={"subject_id": subject.id, "training_id": subject.training_job_id},
    )


def delete_subject(
    store: RedisStore, blobs: BlobStore, *, scope: Scope, subject_id: str, force: bool = False
) -> SubjectDeletion:
    """Delete a subject with its photos, adapter, checkpoints, training runs and the images
    generated with it. Metadata goes first: if blob deletion then fails, what is left is
    unreachable files, never a subject pointing at missing ones. Refuses a training subject
    unless ``force`` (cancel the training first). The caller emits ``subject.deleted`` with
    ``deletion.event_data()``."""
    deletion = store.delete_subject(
        scope, check_id(subject_id, SUBJECT, what="subject"), force=force
    )
    count = blobs.delete_prefix(subject_prefix(scope, subject_id))
    mine = user_prefix(scope) + "/"
    for key in deletion.subject.photos:  # photos live under the subject prefix; be thorough
        if key.startswith(mine) and blobs.delete(key):
            count += 1
    for image_id in deletion.image_ids:
        count += blobs.delete(image_key(scope, image_id))
    return dataclasses.replace(deletion, blobs_deleted=count)


def purge_photos(
    store: RedisStore,
    blobs: BlobStore,
    *,
    scope: Scope,
    subject_id: str,
    training_id: str | None = None,
) -> Subject:
    """Delete a subject's source photos, keeping its adapter (the retention setting). With
    ``training_id``, only if that is still the subject's latest training: a retention timer
    set by an old training must not delete photos meant for a new one."""
    removed: list[str] = []

    def purge(subject: Subject) -> None:
        removed.clear()
        if training_id is not None and subject.training_job_id != training_id:
            return
        if subject.status is SubjectStatus.TRAINING:
            raise _busy_training(subject)
        removed.extend(subject.photos)
        subject.photos = []
        subject.photos_purged_at = store.now()

    subject = store.update_subject(scope, check_id(subject_id, SUBJECT, what="subject"), purge)
    for key in removed:
        blobs.delete(key)
    return subject


def ensure_trainable(subject: Subject, *, settings: Settings) -> None:
    """Why a subject can't be trained right now, as an error; nothing if it can."""
    if subject.status is SubjectStatus.TRAINING:
        raise _busy_training(subject)
    have = len(subject.photos)
    if have < settings.min_photos:  # the subject's state, not the request: 409
        raise Conflict(
            f"{subject.name!r} has {have} photos; training needs at least "
            f"{settings.min_photos}. Attach {settings.min_photos - have} more.",
            code="not_enough_photos",
            details={"minimum": settings.min_photos, "current": have},
        )
    _check_room(subject, 0, settings.max_photos)
