"""What the HTTP API accepts and answers, as pydantic models: the OpenAPI schema is generated from
these, so each carries an example. Field names follow DESIGN.md ("Details integrators rely on");
records are shaped here, never handed out raw, so internal fields (blob keys, secrets, hashes)
cannot leak by accident."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from core.domain import (
    Delivery,
    EventType,
    JobStatus,
    Subject,
    SubjectDeletion,
    SubjectStatus,
    WebhookEndpoint,
)
from core.ids import (
    CONVERSATION,
    ENDPOINT,
    EXTERNAL_ID_PATTERN,
    GENERATION,
    SUBJECT,
    TRAINING,
    UPLOAD,
    example_id,
    id_pattern,
)

__all__ = [
    "CLASS_NOUN_PATTERN",
    "NAME_PATTERN",
    "AttachPhotos",
    "ConversationIdStr",
    "GenerationId",
    "JobId",
    "SubjectId",
    "UploadIdStr",
    "WebhookId",
    "DeletedResponse",
    "DeliveryList",
    "DeliveryOut",
    "ErrorBody",
    "ErrorResponse",
    "GenerationCreate",
    "GenerationOut",
    "Health",
    "ImageOut",
    "JobError",
    "JobOut",
    "PhotoCheck",
    "PhotoOut",
    "Readiness",
    "ReadinessChecks",
    "SubjectCreate",
    "SubjectDeleted",
    "SubjectList",
    "SubjectOut",
    "SubjectRename",
    "TrainRequest",
    "TrainResponse",
    "UploadResponse",
    "UserTokenRequest",
    "UserTokenResponse",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookList",
    "WebhookOut",
]

_SUBJECT_ID = example_id(SUBJECT)
_UPLOAD_ID = example_id(UPLOAD)
_GENERATION_ID = example_id(GENERATION)
_TRAINING_ID = example_id(TRAINING)

# Patterns the OpenAPI document states without FastAPI enforcing them: the service functions
# check the same rules and answer with their own codes (an id that is not ours: 404
# ``<thing>_not_found``; a bad name: 422 ``invalid_subject_name``), so every door gives one
# code. They are written in the regex dialect both JSON Schema validators and Python share.
_CONTROL = r"\x00-\x1f\x7f-\x9f"
NAME_PATTERN = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"
"""Some visible character and no control characters (``core.subjects`` cleans the rest)."""
CLASS_NOUN_PATTERN = r"^\s*[A-Za-z](?:[A-Za-z\s-]*[A-Za-z])?\s*$"
"""Plain words in ASCII letters, spaces and hyphens; case and spacing are normalized."""


def _documented(*prefixes: str) -> Any:
    return Field(
        json_schema_extra={"pattern": id_pattern(*prefixes)}, examples=[example_id(prefixes[0])]
    )


def _id_path(*prefixes: str) -> Any:
    """A path parameter holding one of our ids; a malformed one is answered like an unknown
    one (404), which is what the schema's 404 promises."""
    return Path(
        max_length=64,
        examples=[example_id(prefixes[0])],
        json_schema_extra={"pattern": id_pattern(*prefixes)},
    )


SubjectIdStr = Annotated[str, _documented(SUBJECT)]
UploadIdStr = Annotated[str, _documented(UPLOAD)]
ConversationIdStr = Annotated[str, _documented(CONVERSATION)]
SubjectId = Annotated[str, _id_path(SUBJECT)]
GenerationId = Annotated[str, _id_path(GENERATION)]
JobId = Annotated[str, _id_path(TRAINING, GENERATION)]
WebhookId = Annotated[str, _id_path(ENDPOINT)]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class _Input(BaseModel):
    """Request bodies refuse unknown fields: a typo ("step" for "steps") should be an error,
    not a silently ignored option."""

    model_config = ConfigDict(extra="forbid")


# Errors -----------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, machine-readable; match on this, not the message.")
    message: str = Field(description="Short, for people: says what to do next.")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    """Every 4xx and 5xx answer of the API has this shape."""

    model_config = _examples(
        {
            "error": {
                "code": "subject_not_found",
                "message": "No subject 'sub_…' for this user; list them to see the ids.",
                "details": {"subject_id": _SUBJECT_ID},
            }
        }
    )
    error: ErrorBody


# Operations -------------------------------------------------------------------------------


class Health(BaseModel):
    model_config = _examples({"status": "ok"})
    status: Literal["ok"] = "ok"


class ReadinessChecks(BaseModel):
    redis: bool = Field(description="Redis answered a PING.")
    worker: bool = Field(description="At least one live worker listens on one of our queues.")


class Readiness(BaseModel):
    model_config = _examples(
        {"ready": True, "draining": False, "checks": {"redis": True, "worker": True}}
    )
    ready: bool
    draining: bool = Field(
        default=False,
        description="The process was told to stop (SIGTERM): it finishes the requests it has, "
        "ends its event streams and exits; send new work to another replica.",
    )
    checks: ReadinessChecks


# User tokens ------------------------------------------------------------------------------


class UserTokenRequest(_Input):
    model_config = _examples({"user_id": "user-42", "ttl_seconds": 3600})
    user_id: str = Field(
        min_length=1,
        max_length=128,
        description="Your id for the end user: letters, digits and . _ @ + = -.",
        json_schema_extra={"pattern": EXTERNAL_ID_PATTERN},
    )
    ttl_seconds: int | None = Field(
        default=None,
        ge=60,
        description="Lifetime; default one hour. The maximum is the server's "
        "``DREAMCHAT_USER_TOKEN_MAX_TTL_SECONDS``, stated in this schema.",
    )


class UserTokenResponse(BaseModel):
    model_config = _examples(
        {"token": "dcu_eyJ0Ijo…", "user_id": "user-42", "expires_at": "2026-01-01T13:00:00Z"}
    )
    token: str
    user_id: str
    expires_at: datetime


# Uploads ----------------------------------------------------------------------------------


class PhotoCheck(BaseModel):
    code: str = Field(description="file_type, decodes, pixels, size, sharpness, duplicate, face")
    ok: bool
    message: str


class UploadResponse(BaseModel):
    model_config = _examples(
        {
            "upload_id": _UPLOAD_ID,
            "width": 1024,
            "height": 768,
            "checks": [
                {"code": "file_type", "ok": True, "message": "A JPEG photo."},
                {"code": "decodes", "ok": True, "message": "The photo decodes."},
                {"code": "size", "ok": True, "message": "1024×768 pixels is large enough."},
                {"code": "sharpness", "ok": False, "message": "The photo looks blurry; …"},
            ],
        }
    )
    upload_id: str
    width: int
    height: int
    checks: list[PhotoCheck]


# Subjects ---------------------------------------------------------------------------------


class SubjectCreate(_Input):
    model_config = _examples({"name": "Rex", "class_noun": "dog"})
    name: str = Field(min_length=1, max_length=80, json_schema_extra={"pattern": NAME_PATTERN})
    class_noun: str = Field(
        min_length=1,
        max_length=40,
        description="What kind of thing: 'dog', 'person', 'teddy bear'.",
        json_schema_extra={"pattern": CLASS_NOUN_PATTERN},
    )


class SubjectRename(_Input):
    model_config = _examples({"name": "Rex the Great"})
    name: str = Field(min_length=1, max_length=80, json_schema_extra={"pattern": NAME_PATTERN})


class PhotoOut(BaseModel):
    id: str = Field(description="The upload id the photo was attached from.")


class SubjectOut(BaseModel):
    model_config = _examples(
        {
            "id": _SUBJECT_ID,
            "name": "Rex",
            "class_noun": "dog",
            "token": "sks",
            "status": "new",
            "photos": [{"id": _UPLOAD_ID}],
            "training_job_id": None,
            "created_at": "2026-01-01T12:00:00Z",
            "updated_at": "2026-01-01T12:00:00Z",
        }
    )
    id: str
    name: str
    class_noun: str
    token: str = Field(description="The rare word that stands for the subject in prompts.")
    status: SubjectStatus
    photos: list[PhotoOut]
    training_job_id: str | None = Field(description="The latest training, running or finished.")
    consent_given_at: datetime | None = Field(
        default=None,
        description="When training this person was consented to (people only; null until then).",
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, subject: Subject) -> SubjectOut:
        return cls(
            id=subject.id,
            name=subject.name,
            class_noun=subject.class_noun,
            token=subject.token,
            status=subject.status,
            photos=[PhotoOut(id=PurePosixPath(key).stem) for key in subject.photos],
            training_job_id=subject.training_job_id,
            consent_given_at=subject.consent.given_at if subject.consent else None,
            created_at=subject.created_at,
            updated_at=subject.updated_at,
        )


class SubjectList(BaseModel):
    data: list[SubjectOut]


class AttachPhotos(_Input):
    model_config = _examples({"upload_ids": [_UPLOAD_ID]})
    upload_ids: list[UploadIdStr] = Field(min_length=1, max_length=200)


class SubjectDeleted(BaseModel):
    model_config = _examples(
        {
            "id": _SUBJECT_ID,
            "deleted": True,
            "training_ids": [_TRAINING_ID],
            "generation_ids": [_GENERATION_ID],
        }
    )
    id: str
    deleted: Literal[True] = True
    training_ids: list[str]
    generation_ids: list[str]

    @classmethod
    def of(cls, deletion: SubjectDeletion) -> SubjectDeleted:
        return cls(
            id=deletion.subject.id,
            training_ids=deletion.training_ids,
            generation_ids=deletion.generation_ids,
        )


# Training and jobs ------------------------------------------------------------------------


class TrainRequest(_Input):
    """Overrides within the server's limits, and consent for people; everything is optional."""

    model_config = _examples(
        {"steps": 30}, {"steps": 400, "learning_rate": 0.0001, "seed": 7}, {"consent": True}
    )
    # Bounds are the service's (settings narrow them), checked there with one code for
    # every door: 422 invalid_training_options.
    steps: int | None = Field(
        default=None, description="1 to DREAMCHAT_MAX_TRAINING_STEPS (default 2000)."
    )
    learning_rate: float | None = Field(default=None, description="Above 0, at most 0.01.")
    seed: int | None = Field(default=None, description="0 to 2^32-1.")
    consent: bool = Field(
        default=False,
        description="For a person: true confirms that the end user is the person or has their "
        "consent (recorded with the time and user id). Without it, a person subject that "
        "has none recorded is refused with 422 consent_required.",
    )

    def overrides(self) -> dict[str, int | float]:
        return self.model_dump(exclude_none=True, exclude={"consent"})


class TrainResponse(BaseModel):
    model_config = _examples(
        {"job_id": _TRAINING_ID, "subject_id": _SUBJECT_ID, "status": "queued"}
    )
    job_id: str
    subject_id: str
    status: JobStatus


class JobError(BaseModel):
    code: str | None
    message: str


class ClassImagesOut(BaseModel):
    done: int = Field(ge=0)
    total: int = Field(ge=0)


class QualityOut(BaseModel):
    measured: bool
    reason: str | None = None
    subject_fidelity: float | None = Field(default=None, ge=0, le=1)
    class_drift: float | None = Field(default=None, ge=0, le=1)
    class_change: float | None = Field(default=None, ge=0)
    verdict: Literal["good", "weak", "untrained", "drifted"] | None = None
    learned: bool | None = None
    samples: int | None = None
    embedding: str | None = None
    seconds: float | None = None
    share_of_training: float | None = None


class JobOut(BaseModel):
    model_config = _examples(
        {
            "id": _TRAINING_ID,
            "kind": "training",
            "status": "started",
            "progress": 0.4,
            "eta_seconds": 42.0,
            "queue_position": None,
            "error": None,
            "step": 200,
            "total_steps": 500,
            "subject_id": _SUBJECT_ID,
        }
    )
    id: str
    kind: Literal["training", "generation"]
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    eta_seconds: float | None
    queue_position: int | None = Field(description="1 = next; null once started.")
    error: JobError | None
    step: int | None = None
    total_steps: int | None = None
    subject_id: str | None = None
    phase: Literal["class_images", "training"] | None = Field(
        default=None,
        description="A started training first samples reference images of its class "
        "(`class_images`, counted in `class_images`), then runs its steps (`training`).",
    )
    class_images: ClassImagesOut | None = None
    quality: QualityOut | None = Field(
        default=None,
        description="A succeeded training's quality report: how much its test pictures look "
        "like the photos, and how far the plain class drifted toward the subject.",
    )


# Generations ------------------------------------------------------------------------------


class GenerationCreate(_Input):
    model_config = _examples(
        {
            "subject_ids": [_SUBJECT_ID],
            "prompt": "a photo of sks dog in Paris",
            "negative_prompt": "blurry",
            "count": 1,
            "seed": 1234,
        }
    )
    subject_ids: list[SubjectIdStr] = Field(min_length=1, max_length=4)
    prompt: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    negative_prompt: str = Field(default="", max_length=2000)
    # Bounds are the service's (settings narrow them), checked there with one code for
    # every door: 422 invalid_generation.
    count: int = Field(default=1, description="1 to DREAMCHAT_MAX_IMAGES_PER_GENERATION (4).")
    width: int | None = Field(
        default=None, description="A multiple of 8 from 64 to DREAMCHAT_MAX_IMAGE_SIZE (2048)."
    )
    height: int | None = Field(default=None, description="Like width.")
    seed: int | None = Field(default=None, description="0 to 2^32-1; unset: a random seed.")


class ImageOut(BaseModel):
    id: str
    url: str = Field(description="Signed and expiring; fetch it again from the generation.")


class GenerationOut(BaseModel):
    model_config = _examples(
        {
            "id": _GENERATION_ID,
            "status": "succeeded",
            "prompt": "a photo of sks dog in Paris",
            "negative_prompt": "blurry",
            "seed": 1234,
            "subject_ids": [_SUBJECT_ID],
            "count": 1,
            "width": 512,
            "height": 512,
            "images": [
                {
                    "id": "img_…",
                    "url": "https://api.example.com/v1/images/img_…?t=…&u=…&exp=…&sig=…",
                }
            ],
            "error": None,
            "created_at": "2026-01-01T12:00:00Z",
        }
    )
    id: str
    status: JobStatus
    prompt: str = Field(description="Exactly what the model was given, to reproduce a result.")
    negative_prompt: str
    seed: int
    subject_ids: list[str]
    count: int
    width: int
    height: int
    images: list[ImageOut]
    error: JobError | None
    created_at: datetime


# Webhooks ---------------------------------------------------------------------------------


class WebhookCreate(_Input):
    model_config = _examples(
        {
            "url": "https://platform.example.com/hooks/dreamchat",
            "events": ["training.succeeded", "generation.succeeded"],
        }
    )
    url: str = Field(min_length=1, max_length=2000)
    events: list[EventType] = Field(
        default_factory=list,
        description="Empty: every event except the chatty, opt-in training.progress.",
    )


class WebhookOut(BaseModel):
    model_config = _examples(
        {
            "id": "whe_…",
            "url": "https://platform.example.com/hooks/dreamchat",
            "events": ["training.succeeded"],
            "enabled": True,
            "disabled_reason": None,
            "created_at": "2026-01-01T12:00:00Z",
        }
    )
    id: str
    url: str
    events: list[EventType]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookOut:
        return cls(**endpoint.model_dump(include=set(cls.model_fields)))


class WebhookCreated(WebhookOut):
    secret: str = Field(description="``whsec_…``: shown once; verify signatures with it.")


class WebhookList(BaseModel):
    data: list[WebhookOut]


class DeliveryOut(BaseModel):
    message_id: str = Field(description="The ``webhook-id`` header, the same on every retry.")
    event_type: EventType
    attempt: int
    status_code: int | None
    error: str | None
    succeeded: bool
    duration_ms: float | None
    attempted_at: datetime
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(**delivery.model_dump(include=set(cls.model_fields)))


class DeliveryList(BaseModel):
    data: list[DeliveryOut]


class DeletedResponse(BaseModel):
    model_config = _examples({"id": "whe_…", "deleted": True})
    id: str
    deleted: Literal[True] = True
