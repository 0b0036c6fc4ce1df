"""The Redis store: every record and index the system keeps, and the only module that knows
Redis key names.

User data lives under ``{prefix}:{tenant}:{user}:…`` and is reached only through a ``Scope``;
tenant data (the tenant record, its widget settings, webhook endpoints, the tenant's active
trainings, webhook message bodies, rate-limit buckets) lives under ``{prefix}:{tenant}:_…``; RQ queue names and
are built here too. User ids cannot start with ``_``, so the two never overlap and
``SCAN {prefix}:{tenant}:{user}:*`` finds exactly one user's keys.

Checks that race with other processes (one active training per subject, the per-tenant training
limit, unique tokens and names, the photo limit) run inside WATCH/MULTI transactions: the check
and the write commit together or the whole callback is retried. Callbacks passed to the
``update_*`` methods may therefore run more than once and must only change the record.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

import redis
from redis.client import Pipeline
from redis.lock import Lock

from .domain import (
    Delivery,
    Generation,
    IdempotencyRecord,
    JobStatus,
    Record,
    Scope,
    Subject,
    SubjectDeletion,
    SubjectStatus,
    Tenant,
    TrainingRun,
    WebhookEndpoint,
    utc_now,
)
from .errors import Conflict, LimitExceeded, NotFound
from .ids import MESSAGE, check_external_id, check_id
from .widget import WidgetSettings

__all__ = ["RedisStore", "decode_event"]

R = TypeVar("R", bound=Record)
_OPERATION = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def _text(value: object) -> str:
    """Keys and members as str, whether or not the client decodes responses."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    raise TypeError(f"expected bytes or str from Redis, got {type(value).__name__}")


def decode_event(fields: dict[Any, Any]) -> dict[str, Any]:
    """An event log entry's fields (as any client returns them) back into the event."""
    raw = fields.get(b"data", fields.get("data"))
    return json.loads(_text(raw))


def _name_key(name: str) -> str:
    """Names are unique per user regardless of case and spacing: "Rex" and " rex" clash."""
    return " ".join(name.split()).casefold()


class RedisStore:
    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "dc",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not _PREFIX.fullmatch(prefix):  # it ends up in SCAN patterns: no ':' or globs
            raise ValueError(f"bad key prefix {prefix!r}")
        self.client = client
        self.prefix = prefix
        self.now = clock

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "dc") -> RedisStore:
        return cls(redis.Redis.from_url(url), prefix=prefix)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.prefix!r})"

    # Keys -------------------------------------------------------------------------------

    def _user(self, scope: Scope, *parts: str) -> str:
        return ":".join((self.prefix, scope.tenant_id, scope.user_id, *parts))

    def _tenant(self, tenant_id: str, *parts: str) -> str:
        check_external_id(tenant_id, what="tenant id")
        return ":".join((self.prefix, tenant_id, *parts))

    def rate_limit_key(self, tenant_id: str, user_id: str | None = None) -> str:
        """The rate limiter's bucket for a tenant, or for one of its users."""
        if user_id is None:
            return self._tenant(tenant_id, "_rl")
        Scope(tenant_id, user_id)  # both ids are safe inside a key
        return self._tenant(tenant_id, "_rl", user_id)

    def queue_name(self, name: str) -> str:
        """An RQ queue's name: the key prefix goes in front unless it is the default, so test
        runs (or two deployments) sharing one Redis never take each other's jobs."""
        return name if self.prefix == "dc" else f"{self.prefix}:{name}"

    def iter_keys(
        self, scope: Scope | None = None, *, tenant_id: str | None = None
    ) -> Iterator[str]:
        """Every key of one user, of one tenant (its users included), or with neither, of this
        prefix. For audits and tests."""
        if scope is not None:
            pattern = self._user(scope, "*")
        elif tenant_id is not None:
            pattern = self._tenant(tenant_id, "*")
        else:
            pattern = f"{self.prefix}:*"
        return (_text(key) for key in self.client.scan_iter(match=pattern, count=500))

    # Helpers ----------------------------------------------------------------------------

    def _transact(self, func: Callable[[Pipeline], Any], *watch: str) -> Any:
        return self.client.transaction(func, *watch, value_from_callable=True)

    @staticmethod
    def _load(pipe: redis.Redis | Pipeline, key: str, model: type[R]) -> R | None:
        raw = pipe.get(key)
        return None if raw is None else model.from_json(raw)

    def _get_user_record(self, scope: Scope, key: str, model: type[R], what: str, id_: str) -> R:
        record = self._load(self.client, key, model)
        return self._owned(record, scope, what, id_)

    @staticmethod
    def _owned(record: R | None, scope: Scope, what: str, id_: str) -> R:
        # The scope check is redundant with the key layout on purpose: a record that somehow
        # landed under the wrong key must still never be shown to another user.
        if record is None or (
            getattr(record, "tenant_id", None),
            getattr(record, "user_id", None),
        ) != (scope.tenant_id, scope.user_id):
            raise NotFound(
                f"No {what} {id_!r} for this user; list them to see the ids you can use.",
                code=f"{what}_not_found",
                details={f"{what}_id": id_},
            )
        return record

    def _records(self, keys: list[str], model: type[R]) -> list[R]:
        if not keys:
            return []
        return [model.from_json(raw) for raw in self.client.mget(keys) if raw is not None]

    # Tenants ----------------------------------------------------------------------------

    def insert_tenant(self, tenant: Tenant) -> None:
        if not self.client.set(self._tenant(tenant.id, "_tenant"), tenant.to_json(), nx=True):
            raise Conflict(f"Tenant {tenant.id!r} already exists.", code="tenant_exists")

    def update_tenant(self, tenant_id: str, mutate: Callable[[Tenant], None]) -> Tenant:
        key = self._tenant(tenant_id, "_tenant")

        def tx(pipe: Pipeline) -> Tenant:
            tenant = self._load(pipe, key, Tenant)
            if tenant is None:
                raise NotFound(f"No tenant {tenant_id!r}.", code="tenant_not_found")
            mutate(tenant)
            pipe.multi()
            pipe.set(key, tenant.to_json())
            return tenant

        return self._transact(tx, key)

    def get_tenant(self, tenant_id: str) -> Tenant:
        record = self._load(self.client, self._tenant(tenant_id, "_tenant"), Tenant)
        if record is None:
            raise NotFound(f"No tenant {tenant_id!r}.", code="tenant_not_found")
        return record

    def get_widget_settings(self, tenant_id: str) -> WidgetSettings | None:
        return self._load(self.client, self._tenant(tenant_id, "_widget"), WidgetSettings)

    def update_widget_settings(
        self, tenant_id: str, mutate: Callable[[WidgetSettings], None]
    ) -> WidgetSettings:
        """Change the tenant's widget settings (made on first use); ``tenant_not_found`` for
        a tenant that does not exist, checked in the same transaction."""
        key, tenant_key = self._tenant(tenant_id, "_widget"), self._tenant(tenant_id, "_tenant")

        def tx(pipe: Pipeline) -> WidgetSettings:
            if not pipe.exists(tenant_key):
                raise NotFound(f"No tenant {tenant_id!r}.", code="tenant_not_found")
            settings = self._load(pipe, key, WidgetSettings) or WidgetSettings()
            mutate(settings)
            pipe.multi()
            pipe.set(key, settings.to_json())
            return settings

        return self._transact(tx, key, tenant_key)

    # Subjects ---------------------------------------------------------------------------

    def insert_subject(self, scope: Scope, subject: Subject) -> None:
        """Store a new subject, claiming its token and name for this user or raising
        ``Conflict`` (``token_taken`` / ``subject_name_taken``) without storing anything."""
        self._owned(subject, scope, "subject", subject.id)
        tokens, names = self._user(scope, "subject_tokens"), self._user(scope, "subject_names")

        def tx(pipe: Pipeline) -> None:
            if pipe.hexists(tokens, subject.token):
                raise Conflict(f"Token {subject.token!r} is taken.", code="token_taken")
            if pipe.hexists(names, _name_key(subject.name)):
                raise _name_taken(subject.name)
            pipe.multi()
            pipe.set(self._user(scope, "subject", subject.id), subject.to_json())
            pipe.zadd(self._user(scope, "subjects"), {subject.id: subject.created_at.timestamp()})
            pipe.hset(tokens, subject.token, subject.id)
            pipe.hset(names, _name_key(subject.name), subject.id)

        self._transact(tx, tokens, names)

    def get_subject(self, scope: Scope, subject_id: str) -> Subject:
        key = self._user(scope, "subject", subject_id)
        return self._get_user_record(scope, key, Subject, "subject", subject_id)

    def list_subjects(self, scope: Scope) -> list[Subject]:
        ids = self.client.zrange(self._user(scope, "subjects"), 0, -1)
        return self._records([self._user(scope, "subject", _text(i)) for i in ids], Subject)

    def subject_tokens(self, scope: Scope) -> set[str]:
        return {_text(t) for t in self.client.hkeys(self._user(scope, "subject_tokens"))}

    def update_subject(
        self, scope: Scope, subject_id: str, mutate: Callable[[Subject], None]
    ) -> Subject:
        """Apply ``mutate`` to the stored subject atomically. It may raise a ``DreamchatError``
        to refuse the change; a rename is checked against the user's other subject names."""
        key = self._user(scope, "subject", subject_id)
        names = self._user(scope, "subject_names")

        def tx(pipe: Pipeline) -> Subject:
            old = self._owned(self._load(pipe, key, Subject), scope, "subject", subject_id)
            new = old.model_copy(deep=True)
            mutate(new)
            if (new.id, new.token) != (old.id, old.token):
                raise ValueError("a subject's id and token never change")
            new.updated_at = self.now()
            renamed = _name_key(new.name) != _name_key(old.name)
            if renamed and pipe.hexists(names, _name_key(new.name)):
                raise _name_taken(new.name)
            pipe.multi()
            pipe.set(key, new.to_json())
            if renamed:
                pipe.hdel(names, _name_key(old.name))
                pipe.hset(names, _name_key(new.name), new.id)
            return new

        return self._transact(tx, key, names)

    def delete_subject(
        self, scope: Scope, subject_id: str, *, force: bool = False
    ) -> SubjectDeletion:
        """Remove a subject and everything recorded about it: its training runs, the
        generations that used it (they depict it), its token and name, and the user's event
        log (its events name the subject; the rest only matter to a client reconnecting just
        now). Blobs are the caller's.

        A subject that is training is refused with ``Conflict`` unless ``force``: its worker
        would otherwise write an adapter for a subject that no longer exists.
        """
        key = self._user(scope, "subject", subject_id)
        trainings_key = self._user(scope, "subject", subject_id, "trainings")
        generations_key = self._user(scope, "subject", subject_id, "generations")
        active = self._tenant(scope.tenant_id, "_active_trainings")

        def tx(pipe: Pipeline) -> SubjectDeletion:
            subject = self._owned(self._load(pipe, key, Subject), scope, "subject", subject_id)
            if subject.status is SubjectStatus.TRAINING and not force:
                raise _training_in_progress(subject)
            training_ids = [_text(t) for t in pipe.zrange(trainings_key, 0, -1)]
            generation_ids = sorted(_text(g) for g in pipe.smembers(generations_key))
            gen_keys = [self._user(scope, "generation", g) for g in generation_ids]
            if gen_keys:  # so images a worker adds meanwhile are not left behind
                pipe.watch(*gen_keys)
            generations = [self._load(pipe, k, Generation) for k in gen_keys]
            pipe.multi()
            pipe.delete(key, trainings_key, generations_key, self.events_key(scope))
            pipe.zrem(self._user(scope, "subjects"), subject_id)
            pipe.hdel(self._user(scope, "subject_tokens"), subject.token)
            pipe.hdel(self._user(scope, "subject_names"), _name_key(subject.name))
            for training_id in training_ids:
                pipe.delete(self._user(scope, "training", training_id))
                pipe.hdel(active, training_id)
            image_ids: list[str] = []
            for gen_id, gen in zip(generation_ids, generations, strict=True):
                pipe.delete(self._user(scope, "generation", gen_id))
                pipe.zrem(self._user(scope, "generations"), gen_id)
                for other in set(gen.subject_ids if gen else ()) - {subject_id}:
                    pipe.srem(self._user(scope, "subject", other, "generations"), gen_id)
                image_ids += gen.images if gen else []
            return SubjectDeletion(subject, training_ids, generation_ids, image_ids)

        return self._transact(tx, key, trainings_key, generations_key)

    # Training runs ----------------------------------------------------------------------

    def begin_training(self, scope: Scope, run: TrainingRun, *, max_active: int) -> Subject:
        """Record a queued run and mark its subject as training, refusing with ``Conflict`` if
        the subject already trains and ``LimitExceeded`` if the tenant has ``max_active`` runs
        queued or started. Returns the updated subject."""
        self._owned(run, scope, "training", run.id)
        key = self._user(scope, "subject", run.subject_id)
        active = self._tenant(scope.tenant_id, "_active_trainings")

        def tx(pipe: Pipeline) -> Subject:
            subject = self._owned(self._load(pipe, key, Subject), scope, "subject", run.subject_id)
            if subject.status is SubjectStatus.TRAINING:
                raise _training_in_progress(subject)
            running = pipe.hlen(active)
            if running >= max_active:
                raise LimitExceeded(
                    f"Your organization already has {running} trainings running (the limit is "
                    f"{max_active}); try again when one finishes.",
                    code="too_many_trainings",
                    details={"limit": max_active, "active": running},
                )
            subject.status = SubjectStatus.TRAINING
            subject.training_job_id = run.id
            subject.updated_at = self.now()
            pipe.multi()
            pipe.set(self._user(scope, "training", run.id), run.to_json())
            pipe.set(key, subject.to_json())
            pipe.hset(active, run.id, scope.user_id)
            pipe.zadd(
                self._user(scope, "subject", run.subject_id, "trainings"),
                {run.id: run.created_at.timestamp()},
            )
            return subject

        return self._transact(tx, key, active)

    def get_training_run(self, scope: Scope, training_id: str) -> TrainingRun:
        key = self._user(scope, "training", training_id)
        return self._get_user_record(scope, key, TrainingRun, "training", training_id)

    def list_training_runs(self, scope: Scope, subject_id: str) -> list[TrainingRun]:
        ids = self.client.zrange(self._user(scope, "subject", subject_id, "trainings"), 0, -1)
        return self._records([self._user(scope, "training", _text(i)) for i in ids], TrainingRun)

    def update_training_run(
        self, scope: Scope, training_id: str, mutate: Callable[[TrainingRun], None]
    ) -> TrainingRun:
        """Progress, attempts, checkpoints, cancel requests. Terminal states go through
        ``finish_training``, which also releases the subject and the tenant's slot."""
        key = self._user(scope, "training", training_id)

        def tx(pipe: Pipeline) -> TrainingRun:
            run = self._owned(self._load(pipe, key, TrainingRun), scope, "training", training_id)
            before = run.status
            mutate(run)
            if run.status is not before and (run.status.is_terminal or before.is_terminal):
                raise ValueError("use finish_training() to end a training run")
            run.updated_at = self.now()
            pipe.multi()
            pipe.set(key, run.to_json())
            return run

        return self._transact(tx, key)

    def finish_training(
        self,
        scope: Scope,
        training_id: str,
        *,
        status: JobStatus,
        error: str | None = None,
        error_code: str | None = None,
        adapter: str | None = None,
        only_if: JobStatus | None = None,
        quality: dict[str, Any] | None = None,
    ) -> tuple[TrainingRun, Subject | None]:
        """End a run and settle its subject: ready (with ``adapter``) on success, failed on
        failure, back to what it was on cancel. Finishing a finished run changes nothing, so a
        job retried after a crash can call this again safely. ``only_if``: change nothing unless
        the run is in that state (a queued run being cancelled while a worker picks it up)."""
        if not status.is_terminal:
            raise ValueError(f"{status} is not a terminal status")
        run_key = self._user(scope, "training", training_id)
        active = self._tenant(scope.tenant_id, "_active_trainings")

        def tx(pipe: Pipeline) -> tuple[TrainingRun, Subject | None]:
            run = self._owned(
                self._load(pipe, run_key, TrainingRun), scope, "training", training_id
            )
            subject_key = self._user(scope, "subject", run.subject_id)
            pipe.watch(subject_key)
            subject = self._load(pipe, subject_key, Subject)
            if run.status.is_terminal or (only_if is not None and run.status is not only_if):
                return run, subject
            now = self.now()
            run.status, run.error, run.error_code = status, error, error_code
            run.finished_at = run.updated_at = now
            if status is JobStatus.SUCCEEDED:
                run.progress, run.step, run.eta_seconds = 1.0, run.total_steps, 0.0
                run.phase, run.quality = "training", quality
            if subject is not None and subject.training_job_id == run.id:
                if status is JobStatus.SUCCEEDED:
                    subject.status, subject.adapter = SubjectStatus.READY, adapter
                elif status is JobStatus.FAILED:
                    subject.status = SubjectStatus.FAILED
                else:
                    subject.status = SubjectStatus.READY if subject.adapter else SubjectStatus.NEW
                subject.updated_at = now
            pipe.multi()
            pipe.set(run_key, run.to_json())
            if subject is not None:
                pipe.set(subject_key, subject.to_json())
            pipe.hdel(active, training_id)
            return run, subject

        return self._transact(tx, run_key, active)

    def active_trainings(self, tenant_id: str) -> dict[str, str]:
        """Training id → user id for the tenant's queued and started runs."""
        raw = self.client.hgetall(self._tenant(tenant_id, "_active_trainings"))
        return {_text(k): _text(v) for k, v in raw.items()}

    # Generations ------------------------------------------------------------------------

    def insert_generation(self, scope: Scope, generation: Generation) -> None:
        """Store a new generation; ``NotFound`` if one of its subjects does not exist (checked
        atomically, so a generation can't outlive a concurrently deleted subject)."""
        self._owned(generation, scope, "generation", generation.id)
        subject_keys = [self._user(scope, "subject", s) for s in generation.subject_ids]

        def tx(pipe: Pipeline) -> None:
            for subject_id, key in zip(generation.subject_ids, subject_keys, strict=True):
                self._owned(self._load(pipe, key, Subject), scope, "subject", subject_id)
            pipe.multi()
            pipe.set(self._user(scope, "generation", generation.id), generation.to_json())
            pipe.zadd(
                self._user(scope, "generations"),
                {generation.id: generation.created_at.timestamp()},
            )
            for subject_id in generation.subject_ids:
                pipe.sadd(self._user(scope, "subject", subject_id, "generations"), generation.id)

        self._transact(tx, *subject_keys)

    def get_generation(self, scope: Scope, generation_id: str) -> Generation:
        key = self._user(scope, "generation", generation_id)
        return self._get_user_record(scope, key, Generation, "generation", generation_id)

    def list_subject_generations(self, scope: Scope, subject_id: str) -> list[Generation]:
        """The generations that used a subject, in no particular order."""
        ids = self.client.smembers(self._user(scope, "subject", subject_id, "generations"))
        keys = [self._user(scope, "generation", _text(i)) for i in ids]
        return self._records(keys, Generation)

    def list_generations(self, scope: Scope, *, limit: int = 50) -> list[Generation]:
        """Newest first."""
        ids = self.client.zrevrange(self._user(scope, "generations"), 0, limit - 1)
        return self._records([self._user(scope, "generation", _text(i)) for i in ids], Generation)

    def update_generation(
        self, scope: Scope, generation_id: str, mutate: Callable[[Generation], None]
    ) -> Generation:
        key = self._user(scope, "generation", generation_id)

        def tx(pipe: Pipeline) -> Generation:
            gen = self._owned(self._load(pipe, key, Generation), scope, "generation", generation_id)
            mutate(gen)
            gen.updated_at = self.now()
            pipe.multi()
            pipe.set(key, gen.to_json())
            return gen

        return self._transact(tx, key)

    # Webhook endpoints and their delivery logs (tenant data) -----------------------------

    def insert_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._tenant(endpoint.tenant_id, "_webhook", endpoint.id), endpoint.to_json())
            pipe.zadd(
                self._tenant(endpoint.tenant_id, "_webhooks"),
                {endpoint.id: endpoint.created_at.timestamp()},
            )
            pipe.execute()

    def get_webhook_endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
        key = self._tenant(tenant_id, "_webhook", endpoint_id)
        return self._tenant_endpoint(
            self._load(self.client, key, WebhookEndpoint), tenant_id, endpoint_id
        )

    def list_webhook_endpoints(self, tenant_id: str) -> list[WebhookEndpoint]:
        ids = self.client.zrange(self._tenant(tenant_id, "_webhooks"), 0, -1)
        keys = [self._tenant(tenant_id, "_webhook", _text(i)) for i in ids]
        return self._records(keys, WebhookEndpoint)

    def update_webhook_endpoint(
        self, tenant_id: str, endpoint_id: str, mutate: Callable[[WebhookEndpoint], None]
    ) -> WebhookEndpoint:
        key = self._tenant(tenant_id, "_webhook", endpoint_id)

        def tx(pipe: Pipeline) -> WebhookEndpoint:
            endpoint = self._load(pipe, key, WebhookEndpoint)
            endpoint = self._tenant_endpoint(endpoint, tenant_id, endpoint_id)
            mutate(endpoint)
            endpoint.updated_at = self.now()
            pipe.multi()
            pipe.set(key, endpoint.to_json())
            return endpoint

        return self._transact(tx, key)

    def delete_webhook_endpoint(self, tenant_id: str, endpoint_id: str) -> None:
        self.get_webhook_endpoint(tenant_id, endpoint_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(
                self._tenant(tenant_id, "_webhook", endpoint_id),
                self._tenant(tenant_id, "_webhook", endpoint_id, "deliveries"),
            )
            pipe.zrem(self._tenant(tenant_id, "_webhooks"), endpoint_id)
            pipe.execute()

    def record_delivery(self, tenant_id: str, delivery: Delivery, *, keep: int = 100) -> None:
        """Append to the endpoint's delivery log, keeping the newest ``keep`` attempts."""
        key = self._tenant(tenant_id, "_webhook", delivery.endpoint_id, "deliveries")
        with self.client.pipeline(transaction=True) as pipe:
            pipe.lpush(key, delivery.to_json())
            pipe.ltrim(key, 0, keep - 1)
            pipe.execute()

    def list_deliveries(
        self, tenant_id: str, endpoint_id: str, *, limit: int = 100
    ) -> list[Delivery]:
        """Newest first."""
        key = self._tenant(tenant_id, "_webhook", endpoint_id, "deliveries")
        return [Delivery.from_json(raw) for raw in self.client.lrange(key, 0, limit - 1)]

    @staticmethod
    def _tenant_endpoint(
        endpoint: WebhookEndpoint | None, tenant_id: str, endpoint_id: str
    ) -> WebhookEndpoint:
        if endpoint is None or endpoint.tenant_id != tenant_id:
            raise NotFound(
                f"No webhook endpoint {endpoint_id!r}; list them to see the ids you can use.",
                code="webhook_not_found",
                details={"webhook_id": endpoint_id},
            )
        return endpoint

    # Upload checks ----------------------------------------------------------------------
    # What the photo checks said about an upload, kept beside it so the assistant can explain
    # per-photo problems when the upload is attached in a chat turn.

    def save_upload_checks(
        self, scope: Scope, upload_id: str, checks: list[dict[str, Any]], *, ttl_seconds: int
    ) -> None:
        self.client.set(self._user(scope, "upload", upload_id), json.dumps(checks), ex=ttl_seconds)

    def get_upload_checks(self, scope: Scope, upload_id: str) -> list[dict[str, Any]]:
        raw = self.client.get(self._user(scope, "upload", upload_id))
        return json.loads(raw) if raw else []

    # Conversations ----------------------------------------------------------------------
    # A conversation is a JSON state document (focus subject, last generation, ...) plus an
    # append-only list of serialized chat messages. Appending is one RPUSH, so a worker can
    # write a "your model is ready" notice while the user is mid-turn without losing either.

    def load_conversation(
        self, scope: Scope, conversation_id: str, *, last_messages: int = 200
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """(state, messages) or None if there is no such conversation for this user."""
        key = self._user(scope, "conv", conversation_id)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.lrange(f"{key}:messages", -last_messages, -1)
            raw_state, raw_messages = pipe.execute()
        if raw_state is None:
            return None
        return json.loads(raw_state), [json.loads(m) for m in raw_messages]

    def save_conversation(
        self,
        scope: Scope,
        conversation_id: str,
        *,
        state: dict[str, Any],
        new_messages: list[dict[str, Any]],
        ttl_seconds: int,
    ) -> None:
        key = self._user(scope, "conv", conversation_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(key, json.dumps(state), ex=ttl_seconds)
            if new_messages:
                pipe.rpush(f"{key}:messages", *(json.dumps(m) for m in new_messages))
            pipe.expire(f"{key}:messages", ttl_seconds)
            pipe.execute()

    def conversation_lock(self, scope: Scope, conversation_id: str, *, ttl_seconds: int) -> Lock:
        """The lock a turn holds on its conversation: two turns at once would each save over
        the other's state. ``acquire()`` does not wait; it answers False while another turn
        holds the lock. The lock expires after ``ttl_seconds`` so a crashed process cannot hold
        a conversation for good."""
        return self.client.lock(
            self._user(scope, "conv", conversation_id, "lock"),
            timeout=ttl_seconds,
            blocking=False,
        )

    def append_conversation_message(
        self, scope: Scope, conversation_id: str, message: dict[str, Any]
    ) -> bool:
        """Append to an existing conversation; False (nothing written) if it is gone."""
        key = self._user(scope, "conv", conversation_id)
        if not self.client.exists(key):
            return False
        self.client.rpush(f"{key}:messages", json.dumps(message))
        return True

    # Counters for /metrics ----------------------------------------------------------------
    # Deliveries happen in workers, the API serves /metrics: the counts meet in Redis.

    def count_webhook_outcome(self, outcome: str) -> None:
        self.client.hincrby(f"{self.prefix}:_metrics:webhook_outcomes", outcome, 1)

    def webhook_outcome_counts(self) -> dict[str, int]:
        raw = self.client.hgetall(f"{self.prefix}:_metrics:webhook_outcomes")
        return {_text(k): int(v) for k, v in raw.items()}

    # Webhook messages ---------------------------------------------------------------------
    # The exact bytes every attempt sends, so each retry carries the same body and signature.

    def webhook_message_key(self, tenant_id: str, message_id: str) -> str:
        check_id(message_id, MESSAGE, what="message")
        return self._tenant(tenant_id, "_webhook_message", message_id)

    def save_webhook_message(
        self,
        tenant_id: str,
        message_id: str,
        body: bytes,
        *,
        ttl_seconds: int,
        pipeline: Pipeline | None = None,
    ) -> None:
        """Pass ``pipeline`` to commit the body together with the jobs that send it."""
        client = pipeline if pipeline is not None else self.client
        client.set(self.webhook_message_key(tenant_id, message_id), body, ex=ttl_seconds)

    def load_webhook_message(self, tenant_id: str, message_id: str) -> bytes | None:
        raw = self.client.get(self.webhook_message_key(tenant_id, message_id))
        return raw.encode("utf-8") if isinstance(raw, str) else raw  # str if the client decodes

    # Idempotency ------------------------------------------------------------------------

    def _idempotency_key(self, scope: Scope, operation: str, key: str) -> str:
        if not _OPERATION.fullmatch(operation):
            raise ValueError(f"bad operation name {operation!r}")
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
        return self._user(scope, "idem", operation, digest)

    def claim_idempotency_key(
        self, scope: Scope, *, operation: str, key: str, fingerprint: str, ttl_seconds: int
    ) -> IdempotencyRecord | None:
        """None if this call claimed ``key`` (go ahead, then ``complete_…`` or ``release_…``);
        otherwise the record of the earlier request with that key (pending or done)."""
        redis_key = self._idempotency_key(scope, operation, key)
        pending = IdempotencyRecord(fingerprint=fingerprint, created_at=self.now())
        if self.client.set(redis_key, pending.to_json(), nx=True, ex=ttl_seconds):
            return None
        existing = self._load(self.client, redis_key, IdempotencyRecord)
        # Expired between SET and GET: rare enough that claiming again is fine.
        if existing is None:
            return self.claim_idempotency_key(
                scope,
                operation=operation,
                key=key,
                fingerprint=fingerprint,
                ttl_seconds=ttl_seconds,
            )
        return existing

    def complete_idempotency_key(
        self,
        scope: Scope,
        *,
        operation: str,
        key: str,
        fingerprint: str,
        response: dict[str, Any],
        ttl_seconds: int,
    ) -> None:
        record = IdempotencyRecord(
            state="done", fingerprint=fingerprint, response=response, created_at=self.now()
        )
        self.client.set(
            self._idempotency_key(scope, operation, key), record.to_json(), ex=ttl_seconds
        )

    def release_idempotency_key(self, scope: Scope, *, operation: str, key: str) -> None:
        """Forget a claim whose request failed, so the client's retry runs it again."""
        self.client.delete(self._idempotency_key(scope, operation, key))

    # Live events (contract) ----------------------------------------------------------------
    # A Redis stream per user: entry ids are the SSE ``id:`` lines, so a client that
    # reconnects with ``Last-Event-ID`` is sent exactly what it missed (as long as the log,
    # trimmed to about ``max_len`` entries and kept ``ttl_seconds`` after the last one, holds it).

    def events_key(self, scope: Scope) -> str:
        """For the SSE route, which reads the stream with an asyncio client."""
        return self._user(scope, "events")

    def append_event(
        self, scope: Scope, event: dict[str, Any], *, max_len: int, ttl_seconds: int
    ) -> str:
        key = self.events_key(scope)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.xadd(
                key, {"data": json.dumps(event, default=str)}, maxlen=max_len, approximate=True
            )
            pipe.expire(key, ttl_seconds)
            entry_id, _ = pipe.execute()
        return _text(entry_id)

    def read_events(
        self, scope: Scope, *, after: str = "0-0", count: int = 1000
    ) -> list[tuple[str, dict[str, Any]]]:
        """Entries after ``after`` (an entry id), oldest first."""
        entries: list[Any] = self.client.xrange(
            self.events_key(scope), min=f"({after}", count=count
        )  # type: ignore[assignment]
        return [(_text(i), decode_event(fields)) for i, fields in entries]


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"You already have a subject called {name!r}; pick another name.",
        code="subject_name_taken",
        details={"name": name},
    )


def _training_in_progress(subject: Subject) -> Conflict:
    return Conflict(
        f"{subject.name!r} is already training; wait for it to finish or cancel it first.",
        code="training_in_progress",
        details={"subject_id": subject.id, "training_id": subject.training_job_id},
    )
