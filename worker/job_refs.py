"""Dotted paths of the RQ job functions in ``worker.jobs``.

Service functions enqueue jobs by these names instead of importing ``worker.jobs``: that
module runs jobs, so it imports the trainer (and torch), while the service functions run in
the API process, which never loads torch. It also keeps ``jobs`` ↔ ``training`` acyclic.
``tests/worker/test_job_refs.py`` checks every name resolves.
"""

from __future__ import annotations

__all__ = ["GENERATE_IMAGES", "JOB_LOST", "PURGE_SUBJECT_PHOTOS", "TRAIN_SUBJECT"]

_MODULE = "worker.jobs"

TRAIN_SUBJECT = f"{_MODULE}.train_subject"
GENERATE_IMAGES = f"{_MODULE}.generate_images"
JOB_LOST = f"{_MODULE}.job_lost"
PURGE_SUBJECT_PHOTOS = "worker.housekeeping.purge_subject_photos"  # light: the webhooks queue
