"""Jobs are enqueued by dotted path: every path names a job function, and the service
functions (which run in the API process) load neither ``worker.jobs`` nor the trainer."""

from __future__ import annotations

import inspect
import subprocess
import sys

from rq.utils import import_attribute

from worker import job_refs


def test_every_job_ref_names_a_job_function():
    for name in job_refs.__all__:
        path = getattr(job_refs, name)
        func = import_attribute(path)
        assert inspect.isfunction(func), path
        assert func.__module__ in ("worker.jobs", "worker.housekeeping"), path


def test_housekeeping_jobs_never_load_torch():
    """They run on the webhooks queue's CPU workers, which never load a model."""
    code = "import sys, worker.housekeeping; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_service_functions_do_not_import_the_job_modules():
    code = (
        "import sys, worker.services, agent.tools, plugin.app; "
        "print(sorted(m for m in ('worker.jobs', 'worker.training', 'worker.generation', "
        "'worker.runtime', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
