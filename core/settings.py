"""All configuration, read from the environment once, through ``get_settings()``.

Nothing here runs at import time: tests and the CLI set the environment first and then call
``get_settings()`` (``get_settings.cache_clear()`` forgets the cached value). Names follow
DESIGN.md: ``REDIS_URL`` and ``OPENAI_*`` are the usual unprefixed names, everything else is
``DREAMCHAT_<FIELD>``. Lists come as comma lists (``5,30,120``) or JSON arrays.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from . import limits
from .blobs import check_key
from .errors import InvalidInput, InvalidSettings

__all__ = ["Settings", "get_settings", "load_settings"]

_KEY_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_HOST = re.compile(r"[A-Za-z0-9._:\[\]-]+")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _split_list(value: Any) -> Any:
    """Accept ``a,b`` and ``["a", "b"]`` from the environment; pass real lists through."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"neither a comma list nor a JSON array: {exc}") from None
    return [part.strip() for part in text.split(",") if part.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DREAMCHAT_",
        extra="ignore",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    # Where things live.
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    """Unset: ``dreamchat run`` starts an embedded Redis persisted under the data dir."""
    data_dir: Path = Path("./.dreamchat")
    base_model: str | None = None
    """A diffusers pipeline dir or hub id; unset: the ToyWorld model committed under
    ``models/toyworld`` (``docs/toyworld.md``)."""
    key_prefix: str = "dc"
    """First part of every Redis key; tests give each run its own."""

    # Blob store: photos, adapters, images, training checkpoints, the class-prior cache.
    blob_backend: Literal["local", "s3"] = "local"
    """``local``: files under ``<data dir>/blobs`` (several nodes share them as a volume);
    ``s3``: an S3-compatible bucket, so nodes need no shared disk at all."""
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    """Unset: AWS S3 itself; set it for MinIO, Ceph, R2 and the like."""
    s3_region: str | None = None
    """Unset: boto3's own lookup (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile)."""
    s3_prefix: str = ""
    """Every key goes under this prefix, so several deployments can share one bucket."""
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    """``path`` for servers without per-bucket host names (many MinIO setups)."""

    # Agent.
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    agent_model: str | None = None
    """Unset: the embedded offline agent model."""

    # Subjects and training.
    # Limits: each may narrow what the trainer accepts (core/limits.py), never widen it.
    min_photos: int = limits.PHOTOS.lo
    max_photos: int = limits.PHOTOS.hi
    max_concurrent_trainings: int = Field(default=2, ge=1)
    """Active (queued or started) trainings per tenant."""
    default_training_steps: int | None = None
    """Unset: the base model's recipe (``core/recipe.py``), else 500."""
    max_training_steps: int = 2000
    photo_retention_seconds: int | None = Field(default=None, ge=0)
    """Delete a subject's source photos this long after its training succeeds; 0 = at once,
    unset = keep them. The adapter stays until the subject is deleted."""
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60)

    # How the service trains and generates. Every one of these left unset follows the base
    # model: its recipe file, else GPU defaults at its native resolution (core/recipe.py).
    train_resolution: int | None = None
    train_batch_size: int = Field(default=1, ge=1, le=16)
    """1 instance + 1 class image per step: the fastest route to a first image on one GPU."""
    train_learning_rate: float | None = Field(default=None, gt=0, le=1e-2)
    train_rank: int | None = Field(default=None, ge=1, le=256)
    prior_loss_weight: float | None = Field(default=None, ge=0, le=10)
    num_class_images: int | None = Field(default=None, ge=0, le=1000)
    """0 turns prior preservation off."""
    class_sampler_steps: int | None = Field(default=None, ge=1, le=200)
    quality_samples: int = Field(default=4, ge=0, le=16)
    """Validation pictures of the subject (and as many of its plain class) sampled after every
    training to measure what it learned (``trainer/quality.py``); 0 = no quality report."""
    quality_model: str | None = None
    """The image embedding for the quality report: unset = the ToyWorld scorer on a ToyWorld
    base (no report on other bases), or a local vision model directory (CLIP vision, DINOv2)."""
    caption_model: str | None = None
    """What names each training photo's surroundings in its caption ("a photo of sks dog in the
    snow", ``trainer/captions.py``): unset = the ToyWorld scorer on a ToyWorld base (none on
    other bases), ``off``, or a local CLIP model directory."""
    checkpoint_every: int = Field(default=50, ge=0)
    """Resumable checkpoint every N steps, so a worker crash loses at most N steps."""
    image_size: int | None = None
    """Width and height of a generated image unless the request names them."""
    max_image_size: int = limits.IMAGE_SIDE.hi
    """Largest width or height a request may ask for."""
    generation_steps: int | None = None
    guidance_scale: float | None = Field(default=None, ge=0, le=30)
    negative_prompt: str | None = Field(default=None, max_length=2000)
    """The assistant's default negative prompt ("" for none); unset = the base model's."""
    max_images_per_generation: int = 4
    max_loaded_adapters: int = Field(default=8, ge=1, le=256)
    """Adapters a warm worker keeps loaded (LRU)."""
    estimated_step_seconds: float | None = Field(default=None, gt=0)
    """ETA for a training still in the queue, before its own steps have been timed."""

    # Content policy (defaults in core/policy.py; these extend them). policy_person_classes
    # also decides which subjects need consent and a face in their photos.
    policy_file: Path | None = None
    """JSON that extends the default word lists, or replaces them with ``"replace": true``."""
    policy_person_classes: Annotated[list[str], NoDecode] = Field(default_factory=list)
    policy_allowed_phrases: Annotated[list[str], NoDecode] = Field(default_factory=list)
    policy_extra_terms: dict[str, list[str]] = Field(default_factory=dict)
    """Category → extra terms refused when a person is involved (JSON)."""

    # `dreamchat mcp` (stdio): whom the tools act for, when not given as options.
    api_key: SecretStr | None = None
    """A tenant API key (``DREAMCHAT_API_KEY``)."""
    user_id: str | None = None
    """The end user the tools act for (``DREAMCHAT_USER_ID``)."""

    # HTTP API.
    secret_key: SecretStr | None = None
    """Signs user tokens and image URLs; unset: generated once into ``<data dir>/secret-key``."""
    public_url: str | None = None
    """Base of the image URLs handed out; unset: the URL the request came in on."""
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Origins allowed to call the API from a browser (``*``: any); same-origin always is."""
    user_token_ttl_seconds: int = Field(default=3600, ge=60)
    user_token_max_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    image_url_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    rate_limit_tenant_per_minute: int = Field(default=1200, ge=0)
    """0 switches the limit off."""
    rate_limit_user_per_minute: int = Field(default=120, ge=0)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_photo_pixels: int = Field(default=40_000_000, ge=10_000)
    min_photo_side: int = Field(default=256, ge=16)
    debug_routes: bool = False
    """Mount ``/debug/process`` (the API process's RSS and whether it loaded torch); for
    tests and troubleshooting only."""
    demo_page: bool = False
    """Serve ``/`` as a demo signed in as the development tenant (``dreamchat run`` sets it);
    never for a deployment that other people can reach."""
    chat_wait_seconds: float = Field(default=5.0, ge=0, le=60)
    """How long a chat turn waits for a generation before answering with its id."""
    event_log_length: int = Field(default=1000, ge=10)
    """Events kept per user for ``GET /v1/events`` clients that reconnect (``Last-Event-ID``)."""
    event_log_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    event_stream_seconds: float = Field(default=300.0, gt=0)
    """One event stream response ends after this long; clients reconnect with
    ``Last-Event-ID`` and miss nothing, and load balancers get to move long-lived streams."""
    event_ping_seconds: float = Field(default=15.0, gt=0)
    shutdown_delay_seconds: float = Field(default=0.0, ge=0, le=60)
    """After SIGTERM, keep serving this long with ``/readyz`` answering 503 before the API
    stops listening: for load balancers that learn of a stop only from ``/readyz``. 0 in
    Kubernetes, where the ``preStop`` sleep does this (docs/operations.md); Ctrl-C never waits."""

    # Webhooks.
    webhook_allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Hosts the SSRF guard lets through although they resolve to private addresses."""
    webhook_retry_schedule: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [5, 30, 120, 600, 1800, 7200]
    )
    """Whole seconds before each retry (rq's ``Retry`` takes ints); its length is the number
    of retries."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_delivery_log_size: int = Field(default=100, ge=1, le=10_000)

    # Jobs and workers.
    parent_pid: int | None = Field(default=None, ge=1)
    """Set by ``dreamchat run`` for the processes it starts: they stop when it is gone."""
    train_job_timeout_seconds: int = Field(default=4 * 3600, ge=10)
    generate_job_timeout_seconds: int = Field(default=600, ge=10)
    webhook_job_timeout_seconds: int = Field(default=60, ge=5)
    worker_heartbeat_seconds: int = Field(default=5, ge=1)
    dead_job_after_seconds: int = Field(default=30, ge=2, le=60)
    """A started job whose worker sent no heartbeat for this long is treated as orphaned."""

    @field_validator(
        "webhook_allow_hosts",
        "webhook_retry_schedule",
        "policy_person_classes",
        "policy_allowed_phrases",
        "cors_origins",
        mode="before",
    )
    @classmethod
    def _parse_list(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator(
        "base_model",
        "agent_model",
        "openai_base_url",
        "public_url",
        "user_id",
        "s3_bucket",
        "s3_endpoint_url",
        "s3_region",
        "quality_model",
        "caption_model",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return value.strip() or None

    @field_validator("s3_bucket")
    @classmethod
    def _check_bucket(cls, value: str | None) -> str | None:
        if value is not None and not _BUCKET.fullmatch(value):
            raise ValueError(
                "must be an S3 bucket name: 3–63 lowercase letters, digits, dots and hyphens"
            )
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("s3_prefix")
    @classmethod
    def _check_s3_prefix(cls, value: str) -> str:
        try:
            return check_key(value.strip().strip("/"), prefix=True)
        except InvalidInput:
            raise ValueError(
                "must be /-separated parts of letters, digits and ._@+=- (no . or .. parts)"
            ) from None

    @field_validator("key_prefix")
    @classmethod
    def _check_key_prefix(cls, value: str) -> str:
        if not _KEY_PREFIX.fullmatch(value):
            raise ValueError(
                "must be 1–32 letters, digits, _ or -, starting with a letter or digit"
            )
        return value

    @field_validator("webhook_allow_hosts")
    @classmethod
    def _check_hosts(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            if "/" in host or not _HOST.fullmatch(host):
                raise ValueError(f"{host!r} is not a host name or IP address (no scheme or path)")
        return [host.lower() for host in hosts]

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _check_schedule(cls, delays: list[int]) -> list[int]:
        if any(delay < 0 for delay in delays):
            raise ValueError("retry delays must be >= 0 seconds")
        if len(delays) > 30:
            raise ValueError("at most 30 retries")
        return delays

    @model_validator(mode="after")
    def _check_limits(self) -> Settings:
        """Every limit inside what the trainer and the runtime accept, so a request the
        service lets through never fails later on the worker."""
        problems = [
            f"{_env_name(field)} ({getattr(self, field)}) must be {hard.describe()}, {why}"
            for field, hard, why in _LIMITS
            if getattr(self, field) is not None and getattr(self, field) not in hard
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.blob_backend == "s3" and self.s3_bucket is None:
            raise ValueError("DREAMCHAT_BLOB_BACKEND=s3 needs DREAMCHAT_S3_BUCKET")
        if self.min_photos > self.max_photos:
            raise ValueError(
                f"DREAMCHAT_MIN_PHOTOS ({self.min_photos}) is above "
                f"DREAMCHAT_MAX_PHOTOS ({self.max_photos})"
            )
        steps = self.default_training_steps
        if steps is not None and steps > self.max_training_steps:
            raise ValueError(
                f"DREAMCHAT_DEFAULT_TRAINING_STEPS ({self.default_training_steps}) is above "
                f"DREAMCHAT_MAX_TRAINING_STEPS ({self.max_training_steps})"
            )
        if self.image_size is not None and self.image_size > self.max_image_size:
            raise ValueError(
                f"DREAMCHAT_IMAGE_SIZE ({self.image_size}) is above "
                f"DREAMCHAT_MAX_IMAGE_SIZE ({self.max_image_size})"
            )
        if self.dead_job_after_seconds <= 2 * self.worker_heartbeat_seconds:
            raise ValueError(
                f"DREAMCHAT_DEAD_JOB_AFTER_SECONDS ({self.dead_job_after_seconds}) must exceed "
                f"two heartbeats (DREAMCHAT_WORKER_HEARTBEAT_SECONDS="
                f"{self.worker_heartbeat_seconds}), or live workers look dead"
            )
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("DREAMCHAT_SECRET_KEY must be at least 32 characters")
        if self.user_token_ttl_seconds > self.user_token_max_ttl_seconds:
            raise ValueError(
                "DREAMCHAT_USER_TOKEN_TTL_SECONDS is above DREAMCHAT_USER_TOKEN_MAX_TTL_SECONDS"
            )
        if self.webhook_job_timeout_seconds <= self.webhook_timeout_seconds:
            raise ValueError(
                "DREAMCHAT_WEBHOOK_JOB_TIMEOUT_SECONDS must exceed "
                "DREAMCHAT_WEBHOOK_TIMEOUT_SECONDS"
            )
        return self

    @property
    def work_dir(self) -> Path:
        """Training runs' scratch space (photos, checkpoints) and a remote blob store's local
        adapter copies. Each node may have its own: checkpoints go through the blob store."""
        return self.data_dir / "work"

    @property
    def class_cache_dir(self) -> Path:
        """The class-prior cache the trainer reads; each entry is mirrored in the blob store."""
        return self.data_dir / "class-cache"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def default_base_model_dir(self) -> Path:
        return DEFAULT_BASE_MODEL

    @property
    def resolved_base_model(self) -> str:
        """What the worker loads: the configured model, or the committed ToyWorld model."""
        return self.base_model or str(self.default_base_model_dir)


DEFAULT_BASE_MODEL = Path(__file__).resolve().parents[1] / "models" / "toyworld"
"""The ToyWorld pipeline committed with the source (``dreamchat toyworld build``, checksums in
its ``SHA256SUMS``): the base model when ``DREAMCHAT_BASE_MODEL`` is unset. An install without
the source tree (a wheel) must set ``DREAMCHAT_BASE_MODEL``."""

_TRAINER = "the range the trainer accepts"
_RUNTIME = "the range the generation runtime accepts"
_LIMITS = (
    ("min_photos", limits.PHOTOS, _TRAINER),
    ("max_photos", limits.PHOTOS, _TRAINER),
    ("default_training_steps", limits.TRAINING_STEPS, _TRAINER),
    ("max_training_steps", limits.TRAINING_STEPS, _TRAINER),
    ("train_resolution", limits.TRAIN_RESOLUTION, _TRAINER),
    ("image_size", limits.IMAGE_SIDE, _RUNTIME),
    ("max_image_size", limits.IMAGE_SIDE, _RUNTIME),
    ("generation_steps", limits.GENERATION_STEPS, _RUNTIME),
    ("max_images_per_generation", limits.IMAGES_PER_GENERATION, _RUNTIME),
)
"""(field, hard range, whose range it is): the settings that narrow a trainer limit."""

_UNPREFIXED = {
    "redis_url": "REDIS_URL",
    "openai_base_url": "OPENAI_BASE_URL",
    "openai_api_key": "OPENAI_API_KEY",
}


def _env_name(field: str) -> str:
    return field if field.isupper() else _UNPREFIXED.get(field, f"DREAMCHAT_{field.upper()}")


def _describe(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:  # a rule across fields; its message names the variables
        return message
    return f"{_env_name(str(error['loc'][0]))}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Build ``Settings`` from the environment (plus ``overrides``), naming the environment
    variable in each error so an operator knows which line of their config to fix."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = [_describe(error) for error in exc.errors()]
        raise InvalidSettings(
            "Invalid configuration — " + "; ".join(problems),
            details={"errors": problems},
        ) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
