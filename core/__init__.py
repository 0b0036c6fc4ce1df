"""Settings, domain types, the Redis and blob stores, errors, ids and the subject services:
everything the other layers share. Imports nothing else of dreamchat."""

from .blobs import BlobNotFound, BlobStore, LocalBlobStore, S3BlobStore
from .domain import (
    Delivery,
    EndUser,
    EventType,
    Generation,
    IdempotencyRecord,
    JobStatus,
    Scope,
    Subject,
    SubjectDeletion,
    SubjectStatus,
    Tenant,
    TrainingRun,
    WebhookEndpoint,
    WebhookEvent,
)
from .errors import (
    Conflict,
    DreamchatError,
    Forbidden,
    InvalidInput,
    InvalidSettings,
    LimitExceeded,
    NotFound,
    Unauthenticated,
)
from .settings import Settings, get_settings, load_settings
from .store import RedisStore

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "Conflict",
    "Delivery",
    "DreamchatError",
    "EndUser",
    "Forbidden",
    "Generation",
    "IdempotencyRecord",
    "InvalidInput",
    "InvalidSettings",
    "JobStatus",
    "LimitExceeded",
    "LocalBlobStore",
    "NotFound",
    "RedisStore",
    "S3BlobStore",
    "Scope",
    "Settings",
    "Subject",
    "SubjectDeletion",
    "SubjectStatus",
    "Tenant",
    "TrainingRun",
    "Unauthenticated",
    "WebhookEndpoint",
    "WebhookEvent",
    "EventType",
    "get_settings",
    "load_settings",
]
