"""The records the system keeps, as pydantic models that round-trip through JSON.

Records carry their own ``tenant_id``/``user_id`` so a job that received only ids can check it
was handed the right scope, and so a record read back from Redis says whose it is. Field bounds
here are the hard ranges of ``core.limits`` (what the worker can run); the service functions
apply the configurable product limits inside them and explain them to the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import limits
from .ids import check_external_id

__all__ = [
    "Consent",
    "Delivery",
    "EndUser",
    "EventType",
    "Generation",
    "IdempotencyRecord",
    "JobStatus",
    "Record",
    "Scope",
    "Subject",
    "SubjectDeletion",
    "SubjectStatus",
    "Tenant",
    "TrainingRun",
    "WebhookEndpoint",
    "WebhookEvent",
    "WEBHOOK_EVENTS",
    "utc_now",
]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose data an operation touches. Every store call for user data takes one, so there is
    no way to reach a record by its bare id."""

    tenant_id: str
    user_id: str

    def __post_init__(self) -> None:
        check_external_id(self.tenant_id, what="tenant id")
        check_external_id(self.user_id, what="user id")


EndUser = Scope
"""An end user is nothing but their identity within a tenant; we keep no profile for them."""


class SubjectStatus(StrEnum):
    NEW = "new"
    TRAINING = "training"
    READY = "ready"
    FAILED = "failed"


class JobStatus(StrEnum):
    QUEUED = "queued"
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class EventType(StrEnum):
    """Every event's name, one vocabulary for the user's live stream (``GET /v1/events``, the
    SSE ``event:`` and the body's ``type``) and for webhooks: a training that ends well is
    ``training.succeeded`` in both."""

    TRAINING_STARTED = "training.started"
    TRAINING_PROGRESS = "training.progress"
    TRAINING_SUCCEEDED = "training.succeeded"
    TRAINING_FAILED = "training.failed"
    TRAINING_CANCELLED = "training.cancelled"
    GENERATION_SUCCEEDED = "generation.succeeded"
    GENERATION_FAILED = "generation.failed"
    GENERATION_CANCELLED = "generation.cancelled"
    SUBJECT_DELETED = "subject.deleted"
    CHAT_REPLY = "chat.reply"

    @property
    def is_webhook(self) -> bool:
        """Whether a webhook endpoint can subscribe to it (DESIGN.md, Webhook events); the
        others only go to the person's own live stream."""
        return self not in (
            EventType.TRAINING_CANCELLED,
            EventType.GENERATION_CANCELLED,
            EventType.CHAT_REPLY,
        )


WEBHOOK_EVENTS = tuple(kind for kind in EventType if kind.is_webhook)


def _check_webhook_events(events: list[EventType]) -> None:
    stream_only = [str(kind) for kind in events if not kind.is_webhook]
    if stream_only:
        raise ValueError(f"not a webhook event: {', '.join(stream_only)}")


class Record(BaseModel):
    # Unknown fields are dropped, so an older process can read what a newer one wrote.
    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, raw: str | bytes) -> Self:
        return cls.model_validate_json(raw)


class Tenant(Record):
    id: str
    name: str = Field(min_length=1, max_length=200)
    api_key_hash: str = Field(repr=False)
    allowed_origins: list[str] = Field(default_factory=list)
    """Sites whose pages may call the API with this tenant's user tokens (the widget); empty:
    the deployment's ``DREAMCHAT_CORS_ORIGINS``."""
    created_at: datetime = Field(default_factory=utc_now)


class Consent(Record):
    """Who confirmed, and when, that a person subject is them or agreed to be trained."""

    given_at: datetime
    user_id: str


class Subject(Record):
    id: str
    tenant_id: str
    user_id: str
    name: str = Field(min_length=1, max_length=80)
    class_noun: str = Field(min_length=1, max_length=40)
    token: str = Field(min_length=1, max_length=16)
    """The rare word that stands for this subject in prompts: ``a photo of <token> dog``."""
    photos: list[str] = Field(default_factory=list)
    """Blob keys of the instance photos."""
    status: SubjectStatus = SubjectStatus.NEW
    adapter: str | None = None
    """Blob prefix holding the trained adapter (``pytorch_lora_weights.safetensors`` …)."""
    training_job_id: str | None = None
    """The latest training run, active or finished."""
    photos_purged_at: datetime | None = None
    consent: Consent | None = None
    """Set once for a person subject, by the training request that confirmed it."""
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @property
    def scope(self) -> Scope:
        return Scope(self.tenant_id, self.user_id)

    @property
    def identifier(self) -> str:
        """``sks dog``: what a prompt says to mean this subject."""
        return f"{self.token} {self.class_noun}"


class TrainingRun(Record):
    id: str
    tenant_id: str
    user_id: str
    subject_id: str
    status: JobStatus = JobStatus.QUEUED
    progress: float = Field(default=0.0, ge=0.0, le=1.0)
    step: int = Field(default=0, ge=0)
    total_steps: int = Field(ge=1)
    eta_seconds: float | None = Field(default=None, ge=0)
    phase: str | None = None
    """``class_images`` while the class prior is sampled, then ``training``; None while queued."""
    class_images_done: int = Field(default=0, ge=0)
    class_images_total: int = Field(default=0, ge=0)
    """Class images this attempt samples (0 when the shared cache has them all)."""
    error: str | None = None
    error_code: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    """What the caller asked for (``{"steps": 30}``), kept to answer repeated requests."""
    attempt: int = Field(default=0, ge=0)
    """How many times a worker has started this run; above 1 after crash recovery."""
    cancel_requested: bool = False
    conversation_id: str | None = None
    """The chat that started it, where the "ready" notice is written."""
    quality: dict[str, Any] | None = None
    """The quality report of a finished run (``trainer/quality.py``): subject fidelity, class
    drift, a verdict; ``{"measured": false, ...}`` when the base model has no embedding."""
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.tenant_id, self.user_id)


class Generation(Record):
    id: str
    tenant_id: str
    user_id: str
    subject_ids: list[str] = Field(default_factory=list)
    prompt: str = Field(min_length=1, max_length=2000)
    """The exact prompt sent to the pipeline, so results can be reproduced."""
    negative_prompt: str = Field(default="", max_length=2000)
    seed: int = Field(ge=limits.SEED.lo, le=limits.SEED.hi)
    count: int = Field(
        default=1, ge=limits.IMAGES_PER_GENERATION.lo, le=limits.IMAGES_PER_GENERATION.hi
    )
    width: int = Field(default=512, ge=limits.IMAGE_SIDE.lo, le=limits.IMAGE_SIDE.hi)
    height: int = Field(default=512, ge=limits.IMAGE_SIDE.lo, le=limits.IMAGE_SIDE.hi)
    steps: int = Field(default=25, ge=limits.GENERATION_STEPS.lo, le=limits.GENERATION_STEPS.hi)
    guidance_scale: float = Field(default=7.5, ge=0.0, le=50.0)
    status: JobStatus = JobStatus.QUEUED
    images: list[str] = Field(default_factory=list)
    """Image ids; the blob key of each is ``blobs.image_key(scope, image_id)``."""
    error: str | None = None
    error_code: str | None = None
    step: int = Field(default=0, ge=0)
    """Denoising steps done, while it runs."""
    eta_seconds: float | None = Field(default=None, ge=0)
    cancel_requested: bool = False
    """Set on a running generation; its worker stops at the next denoising step."""
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    finished_at: datetime | None = None

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_8(cls, value: int) -> int:
        if value % 8:
            raise ValueError("must be a multiple of 8 (the VAE works on 8-pixel blocks)")
        return value

    @property
    def scope(self) -> Scope:
        return Scope(self.tenant_id, self.user_id)

    def event_data(self) -> dict[str, Any]:
        """The body of its ``generation.*`` events, on the live stream and in webhooks."""
        return {
            "generation_id": self.id,
            "user_id": self.user_id,
            "subject_ids": list(self.subject_ids),
            "prompt": self.prompt,
            "images": list(self.images),
            "error": self.error,
            "error_code": self.error_code,
        }


class WebhookEndpoint(Record):
    id: str
    tenant_id: str
    url: str = Field(min_length=1, max_length=2000)
    events: list[EventType] = Field(default_factory=list)
    """Empty: every event except ``training.progress``, which is opt-in because it is chatty."""
    secret: str = Field(repr=False)
    enabled: bool = True
    disabled_reason: str | None = None
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @field_validator("events")
    @classmethod
    def _webhook_events_only(cls, events: list[EventType]) -> list[EventType]:
        _check_webhook_events(events)
        return events

    def wants(self, event: EventType) -> bool:
        if not self.enabled:
            return False
        if self.events:
            return event in self.events
        return event is not EventType.TRAINING_PROGRESS


class WebhookEvent(Record):
    """One event; ``id`` (``msg_…``) is the ``webhook-id`` on every attempt to deliver it."""

    id: str
    type: EventType
    timestamp: datetime = Field(default_factory=utc_now)
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _webhook_event(cls, kind: EventType) -> EventType:
        _check_webhook_events([kind])
        return kind


class Delivery(Record):
    """One attempt to deliver one message to one endpoint, for the endpoint's delivery log."""

    message_id: str
    endpoint_id: str
    event_type: EventType
    attempt: int = Field(ge=1)
    status_code: int | None = None
    error: str | None = None
    succeeded: bool = False
    duration_ms: float | None = None
    attempted_at: datetime = Field(default_factory=utc_now)
    next_attempt_at: datetime | None = None


class IdempotencyRecord(Record):
    """What an ``Idempotency-Key`` maps to: ``pending`` while the first request runs, then the
    answer every repeat gets. ``fingerprint`` tells a repeat from a different request that
    reused the key."""

    state: Literal["pending", "done"] = "pending"
    fingerprint: str = ""
    response: dict[str, Any] | None = None
    created_at: datetime = Field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class SubjectDeletion:
    """What deleting a subject removed, so the caller can emit ``subject.deleted`` and drop
    anything it caches (adapters in a worker's LRU, images in a CDN)."""

    subject: Subject
    training_ids: list[str] = field(default_factory=list)
    generation_ids: list[str] = field(default_factory=list)
    image_ids: list[str] = field(default_factory=list)
    blobs_deleted: int = 0

    def event_data(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject.id,
            "user_id": self.subject.user_id,
            "name": self.subject.name,
            "training_ids": list(self.training_ids),
            "generation_ids": list(self.generation_ids),
        }
