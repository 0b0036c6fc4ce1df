"""Checkpoints and class-prior cache entries mirrored through the blob store, in both kinds of
store, with folders shaped like the trainer's (no training here: ``test_crash_recovery``
trains)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.blobs import BlobStore
from worker.shared_state import SharedTrainingState

CKPT = "ten_a/alice/subjects/sub_1/checkpoints/trn_1"
PRIOR = "_shared/class-prior/abc123"


def node(blobs: BlobStore, root: Path) -> SharedTrainingState:
    """The state as one node's worker sees it: its own folders, the shared store."""
    return SharedTrainingState(
        blobs,
        checkpoints=root / "output" / "checkpoints",
        checkpoint_prefix=CKPT,
        class_prior=root / "class-cache" / "abc123",
        class_prior_prefix=PRIOR,
    )


def write_checkpoint(state: SharedTrainingState, step: int, payload: bytes) -> Path:
    path = state.checkpoints / f"step-{step:06d}"
    path.mkdir(parents=True)
    (path / "unet_lora.safetensors").write_bytes(payload)
    (path / "optimizer.bin").write_bytes(payload * 2)
    return path


def test_the_newest_checkpoint_moves_to_a_node_with_an_empty_disk(
    blob_store: BlobStore, tmp_path: Path
) -> None:
    first = node(blob_store, tmp_path / "a")
    assert first.restore() is None  # nothing anywhere yet
    first.checkpointed(write_checkpoint(first, 5, b"five"))
    first.checkpointed(write_checkpoint(first, 10, b"ten"))
    assert blob_store.list_prefix(CKPT) == [
        f"{CKPT}/step-000010.json",
        f"{CKPT}/step-000010/optimizer.bin",
        f"{CKPT}/step-000010/unet_lora.safetensors",
    ]  # only the newest is kept in the store
    manifest = json.loads(blob_store.get(f"{CKPT}/step-000010.json"))
    assert manifest == {"step": 10, "files": {"optimizer.bin": 6, "unet_lora.safetensors": 3}}

    second = node(blob_store, tmp_path / "b")
    assert second.restore() == 10
    fetched = second.checkpoints / "step-000010"
    assert (fetched / "unet_lora.safetensors").read_bytes() == b"ten"
    assert sorted(p.name for p in second.checkpoints.iterdir()) == ["step-000010"]

    second.discard_checkpoints()
    assert blob_store.list_prefix(CKPT) == []


def test_a_checkpoint_without_its_manifest_does_not_count(
    blob_store: BlobStore, tmp_path: Path
) -> None:
    """A worker killed while uploading step 10 leaves part of it; step 5 is what is whole."""
    first = node(blob_store, tmp_path / "a")
    first.checkpointed(write_checkpoint(first, 5, b"five"))
    blob_store.put(f"{CKPT}/step-000010/unet_lora.safetensors", b"half")
    second = node(blob_store, tmp_path / "b")
    assert second.restore() == 5
    assert [p.name for p in second.checkpoints.iterdir()] == ["step-000005"]


def test_a_broken_checkpoint_falls_back_to_an_older_one(
    blob_store: BlobStore, tmp_path: Path
) -> None:
    first = node(blob_store, tmp_path / "a")
    first.checkpointed(write_checkpoint(first, 5, b"five"))
    step5 = {k: blob_store.get(k) for k in blob_store.list_prefix(CKPT)}
    first.checkpointed(write_checkpoint(first, 10, b"ten"))
    for key, data in step5.items():  # step 5 back, and step 10 missing a file
        blob_store.put(key, data)
    blob_store.delete(f"{CKPT}/step-000010/optimizer.bin")
    second = node(blob_store, tmp_path / "b")
    assert second.restore() == 5
    assert [p.name for p in second.checkpoints.iterdir()] == ["step-000005"]


def test_a_newer_local_checkpoint_wins(blob_store: BlobStore, tmp_path: Path) -> None:
    state = node(blob_store, tmp_path / "a")
    state.checkpointed(write_checkpoint(state, 5, b"five"))
    write_checkpoint(state, 10, b"local")  # written, then the node lost its upload
    assert state.restore() == 10
    assert sorted(p.name for p in state.checkpoints.iterdir()) == ["step-000005", "step-000010"]

    elsewhere = node(blob_store, tmp_path / "b")
    write_checkpoint(elsewhere, 3, b"old")
    assert elsewhere.restore() == 5  # the store's is newer than this node's


def test_class_prior_entries_are_shared(blob_store: BlobStore, tmp_path: Path) -> None:
    first = node(blob_store, tmp_path / "a")
    first.restore()
    entry = first.class_prior
    assert entry is not None
    entry.mkdir(parents=True)
    for index in range(3):
        (entry / f"{index:05d}.png").write_bytes(b"png%d" % index)
    (entry / "latents.safetensors").write_bytes(b"latents")
    (entry / ".lock").write_bytes(b"")
    (entry / "00003.tmp4242.png").write_bytes(b"half")  # another process is writing it
    first.save_class_prior()
    assert blob_store.list_prefix(PRIOR) == [
        f"{PRIOR}/00000.png",
        f"{PRIOR}/00001.png",
        f"{PRIOR}/00002.png",
        f"{PRIOR}/latents.safetensors",
    ]

    second = node(blob_store, tmp_path / "b")
    second.restore()
    assert second.class_prior is not None
    assert sorted(p.name for p in second.class_prior.iterdir()) == [
        "00000.png",
        "00001.png",
        "00002.png",
        "latents.safetensors",
    ]
    assert (second.class_prior / "00001.png").read_bytes() == b"png1"

    # The second node tops the entry up (more images, new latents): only that is uploaded.
    (second.class_prior / "00003.png").write_bytes(b"png3")
    latents = second.class_prior / "latents.safetensors"
    latents.write_bytes(b"latents for four")
    os.utime(latents, ns=(latents.stat().st_atime_ns, latents.stat().st_mtime_ns + 10**9))
    blob_store.put(f"{PRIOR}/00000.png", b"changed in the store")  # not uploaded again
    second.save_class_prior()
    assert blob_store.get(f"{PRIOR}/00003.png") == b"png3"
    assert blob_store.get(f"{PRIOR}/latents.safetensors") == b"latents for four"
    assert blob_store.get(f"{PRIOR}/00000.png") == b"changed in the store"


def test_without_prior_preservation_there_is_no_entry(
    blob_store: BlobStore, tmp_path: Path
) -> None:
    state = SharedTrainingState(
        blob_store, checkpoints=tmp_path / "checkpoints", checkpoint_prefix=CKPT
    )
    assert state.restore() is None
    state.save_class_prior()
    assert blob_store.list_prefix("") == []
