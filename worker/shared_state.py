"""What another node needs to take a training over, kept in the blob store.

The trainer works in local directories: its checkpoints under ``<output_dir>/checkpoints`` and
the class-prior cache under ``Settings.class_cache_dir``. A worker on another node has neither,
so ``SharedTrainingState`` mirrors both through the blob store (``blob_keys`` names the keys):

- Checkpoints: each one the trainer completes is uploaded, its files first and then a manifest
  (``step-000050.json`` beside the ``step-000050/`` folder) that makes it count; older ones are
  deleted from the store afterwards. Before a run starts (or resumes), the newest complete one
  is downloaded unless the local disk holds one at least as new.
- The class-prior cache entry of the run: what the local disk lacks is downloaded before the
  run, so a node never samples images another has made; what the store lacks (or what changed
  here) is uploaded once the entry is filled: before the first checkpoint, and when the run
  ends.

Uploads that fail are logged, not raised: the checkpoint is still on the local disk and the
run goes on; only a takeover by another node would start further back.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from core.blobs import BlobNotFound, BlobStore, upload_dir
from core.errors import InvalidInput
from trainer.checkpoint import checkpoint_step, latest_checkpoint

__all__ = ["SharedTrainingState"]

log = logging.getLogger(__name__)


class SharedTrainingState:
    def __init__(
        self,
        blobs: BlobStore,
        *,
        checkpoints: Path,
        checkpoint_prefix: str,
        class_prior: Path | None = None,
        class_prior_prefix: str | None = None,
    ) -> None:
        self.blobs = blobs
        self.checkpoints, self.checkpoint_prefix = checkpoints, checkpoint_prefix
        self.class_prior, self.class_prior_prefix = class_prior, class_prior_prefix
        self._class_prior_seen: dict[str, tuple[int, int]] = {}
        self._class_prior_saved = False

    def restore(self) -> int | None:
        """Fetch what this node lacks; returns the step of the checkpoint the run will resume
        from, if any."""
        self._restore_class_prior()
        return self._restore_checkpoint()

    def _restore_class_prior(self) -> None:
        if self.class_prior is None or self.class_prior_prefix is None:
            return
        fetched = 0
        for key in self.blobs.list_prefix(self.class_prior_prefix):
            target = self.class_prior / key[len(self.class_prior_prefix) + 1 :]
            if not target.exists():
                self.blobs.get_file(key, target)
                fetched += 1
        if fetched:
            log.info("fetched %d class-prior files from %s", fetched, self.class_prior_prefix)
        self._class_prior_seen = _snapshot(self.class_prior)

    def _restore_checkpoint(self) -> int | None:
        local = latest_checkpoint(self.checkpoints)
        have = checkpoint_step(local) if local is not None else None
        for name in self._stored_checkpoints():
            step = checkpoint_step(name)
            if have is not None and step is not None and step <= have:
                break
            if self._download_checkpoint(name):
                log.info("fetched checkpoint %s from %s", name, self.checkpoint_prefix)
                return step
        return have

    def _download_checkpoint(self, name: str) -> bool:
        """Into a hidden folder first, renamed once whole: the trainer never sees half. False
        if the stored checkpoint is incomplete (the store being down raises)."""
        prefix = f"{self.checkpoint_prefix}/{name}"
        staging = self.checkpoints / f".pull-{name}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            manifest = json.loads(self.blobs.get(f"{prefix}.json"))
            for relative, size in manifest["files"].items():
                target = staging / relative
                self.blobs.get_file(f"{prefix}/{relative}", target)
                if target.stat().st_size != size:
                    raise ValueError(f"{relative}: {target.stat().st_size} bytes, not {size}")
        except (BlobNotFound, InvalidInput, ValueError, KeyError, AttributeError):
            log.warning("checkpoint %s in the blob store is unusable", prefix, exc_info=True)
            shutil.rmtree(staging, ignore_errors=True)
            return False
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        final = self.checkpoints / name
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
        return True

    def save_class_prior(self) -> None:
        """Upload the files the store lacks and those changed since ``restore`` (a top-up),
        oldest first: the images before the latents computed from them. Once per run."""
        if self._class_prior_saved or self.class_prior is None or self.class_prior_prefix is None:
            return
        try:
            stored = set(self.blobs.list_prefix(self.class_prior_prefix))
            now = _snapshot(self.class_prior)
            for name in sorted(now, key=lambda n: (now[n][1], n)):
                key = f"{self.class_prior_prefix}/{name}"
                if key not in stored or self._class_prior_seen.get(name) != now[name]:
                    self.blobs.put_file(key, self.class_prior / name)
            self._class_prior_saved = True
        except Exception:
            log.warning("could not save the class-prior cache to the blob store", exc_info=True)

    def checkpointed(self, path: Path) -> None:
        """The trainer's ``on_checkpoint``: ``path`` is complete on the local disk. The
        class-prior entry (filled by now: the run has taken steps) goes first, so a node that
        finds the checkpoint finds the class images too."""
        self.save_class_prior()
        try:
            self._save_checkpoint(path)
        except Exception:
            log.warning("could not save checkpoint %s to the blob store", path, exc_info=True)

    def _save_checkpoint(self, path: Path) -> None:
        files = {
            p.relative_to(path).as_posix(): p.stat().st_size
            for p in sorted(path.rglob("*"))
            if p.is_file()
        }
        upload_dir(self.blobs, f"{self.checkpoint_prefix}/{path.name}", path)
        manifest = {"step": checkpoint_step(path), "files": files}
        self.blobs.put(f"{self.checkpoint_prefix}/{path.name}.json", json.dumps(manifest).encode())
        for name in self._stored_checkpoints():
            if name != path.name:
                self._delete_checkpoint(name)

    def _stored_checkpoints(self) -> list[str]:
        """Names of the complete checkpoints in the store, newest first."""
        depth = self.checkpoint_prefix.count("/") + 1
        names = [
            Path(key).stem
            for key in self.blobs.list_prefix(self.checkpoint_prefix)
            if key.count("/") == depth and key.endswith(".json")
        ]
        return sorted(
            (n for n in names if checkpoint_step(n) is not None),
            key=lambda n: checkpoint_step(n) or 0,
            reverse=True,
        )

    def _delete_checkpoint(self, name: str) -> None:
        self.blobs.delete(f"{self.checkpoint_prefix}/{name}.json")  # first: no longer counts
        self.blobs.delete_prefix(f"{self.checkpoint_prefix}/{name}")

    def discard_checkpoints(self) -> None:
        """The run is over: its checkpoints are of no more use to anyone."""
        self.blobs.delete_prefix(self.checkpoint_prefix)


def _snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """name → (size, mtime) of the cache entry's files; lock and half-written files left out."""
    if not directory.is_dir():
        return {}
    return {
        p.name: (stat.st_size, stat.st_mtime_ns)
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and ".tmp" not in p.name
        for stat in (p.stat(),)
    }
